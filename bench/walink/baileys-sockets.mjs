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
import { readFileSync } from 'node:fs';

import { linkOne, setTrustRoot } from '../lib/baileys-link.mjs';

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

async function run(cfg) {
    setTrustRoot(cfg.rootKey);
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
