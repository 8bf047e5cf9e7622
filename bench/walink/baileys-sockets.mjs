// The Baileys side of the link benchmark, forked by walink-bench.mjs (run with --expose-gc):
// one Node process opening N unmodified Baileys 7 sockets (only the Noise trust root swapped for
// the emulator's root key, as tests/js/lib/sim-harness.mjs does) against wadesk-sim. Each socket
// is paired by the emulated phone of its own account through its QR (POST /accounts/{phone}/scan
// on the sim's control API), closes with 515 as the protocol requires, and is reopened with its
// saved credentials until `open`. The process's RSS is read after the imports (baseline) and
// after all N are open and idle, both right after a full GC.
//
// Parent → child: {cmd:'run', wsUrl, rootKey, controlUrl, phones:[...], concurrency, settleMs, authRoot}
// Child → parent: {type:'baseline', rss_kb} then {type:'done', ...} or {type:'error', message}.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'tests', 'js', 'package.json'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKb() {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : NaN;
}

function collect() {
    if (typeof globalThis.gc === 'function') {
        globalThis.gc();
        globalThis.gc();
    }
}

const baileysModule = await load('baileys');
const pino = (await load('pino')).default;
const makeWASocket = baileysModule.default;
const { Browsers, WA_CERT_DETAILS, useMultiFileAuthState } = baileysModule;
const silent = pino({ level: 'silent' });

// One socket: resolves with {sock, updates} once `connection` reaches `open` (or rejects on a
// close or the timeout). `onQr` is called with each QR string.
async function openSocket(cfg, authDir, { onQr, timeoutMs = 180000 } = {}) {
    const { state, saveCreds } = await useMultiFileAuthState(authDir);
    const pending = new Set();
    const sock = makeWASocket({
        auth: state,
        waWebSocketUrl: cfg.wsUrl,
        browser: Browsers.ubuntu('Chrome'),
        logger: silent,
        printQRInTerminal: false,
        markOnlineOnConnect: false,
        shouldSyncHistoryMessage: () => false,
        connectTimeoutMs: 30000,
        qrTimeout: 60000,
    });
    sock.ev.on('creds.update', () => {
        const p = saveCreds().finally(() => pending.delete(p));
        pending.add(p);
    });
    const outcome = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
        sock.ev.on('connection.update', (u) => {
            if (typeof u.qr === 'string' && onQr) onQr(u.qr);
            if (u.connection === 'open') {
                clearTimeout(timer);
                resolve({ kind: 'open' });
            } else if (u.connection === 'close') {
                clearTimeout(timer);
                resolve({ kind: 'close', code: u.lastDisconnect?.error?.output?.statusCode });
            }
        });
    });
    await Promise.all([...pending]);
    return { sock, outcome, flush: () => Promise.all([...pending]) };
}

// Pairs `phone` through a QR scan (first socket ends with 515), then opens the paired socket.
async function linkOne(cfg, phone, index) {
    const authDir = path.join(cfg.authRoot, `b${index}`);
    mkdirSync(authDir, { recursive: true });
    let scanned = false;
    let scanError = null;
    const first = await openSocket(cfg, authDir, {
        onQr: (qr) => {
            if (scanned) return;
            scanned = true;
            fetch(`${cfg.controlUrl}/accounts/${phone}/scan`, {
                method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ qr }),
            }).then(async (r) => { if (r.status !== 200) scanError = `scan ${r.status} ${await r.text()}`; })
                .catch((e) => { scanError = String(e); });
        },
    });
    if (scanError) throw new Error(`${phone}: ${scanError}`);
    if (first.outcome.kind !== 'close' || first.outcome.code !== 515) {
        throw new Error(`${phone}: pairing socket ended with ${JSON.stringify(first.outcome)} (expected close 515)`);
    }
    await first.flush();
    const second = await openSocket(cfg, authDir);
    if (second.outcome.kind !== 'open') throw new Error(`${phone}: login ended with ${JSON.stringify(second.outcome)}`);
    return second.sock;
}

async function run(cfg) {
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(cfg.rootKey, 'hex');
    collect();
    await sleep(500);
    collect();
    const baseline = rssKb();
    process.send({ type: 'baseline', rss_kb: baseline });
    const sockets = [];
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
        while (next < cfg.phones.length) {
            const i = next++;
            sockets.push(await linkOne(cfg, cfg.phones[i], i));
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, cfg.concurrency) }, worker));
    const linkMs = performance.now() - t0;
    await sleep(cfg.settleMs);
    collect();
    await sleep(500);
    collect();
    const idle = rssKb();
    const heap = process.memoryUsage();
    process.send({
        type: 'done', sockets: sockets.length, link_ms: Math.round(linkMs), rss_kb_baseline: baseline, rss_kb_idle: idle,
        heap_used_kb: Math.round(heap.heapUsed / 1024), external_kb: Math.round(heap.external / 1024),
        kb_per_socket: Number(((idle - baseline) / sockets.length).toFixed(1)),
    });
    for (const s of sockets) s.end(undefined);
}

process.on('message', (m) => {
    if (m.cmd === 'run') {
        run(m).catch((e) => process.send({ type: 'error', message: String(e?.stack || e) }));
    } else if (m.cmd === 'exit') {
        process.exit(0);
    }
});
process.send({ type: 'hello' });
