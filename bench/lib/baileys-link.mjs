// Linking unmodified Baileys 7 sockets through the emulator (wadesk-sim), shared by the Baileys
// sides of the benchmarks (bench/walink/baileys-sockets.mjs, bench/receive/baileys-receive.mjs):
// only the Noise trust root is swapped for the emulator's root key (setTrustRoot), as
// tests/js/lib/sim-harness.mjs does. Baileys is loaded from tests/js/node_modules.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'tests', 'js', 'package.json'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);

const baileysModule = await load('baileys');
const pino = (await load('pino')).default;
const makeWASocket = baileysModule.default;
const { Browsers, WA_CERT_DETAILS, useMultiFileAuthState } = baileysModule;
const silent = pino({ level: 'silent' });

// One socket: resolves with {sock, updates} once `connection` reaches `open` (or rejects on a
// close or the timeout). `onQr` is called with each QR string.
export async function openSocket(cfg, authDir, { onQr, timeoutMs = 180000 } = {}) {
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
export async function linkOne(cfg, phone, index) {
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

export function setTrustRoot(rootKeyHex) {
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootKeyHex, 'hex');
}
