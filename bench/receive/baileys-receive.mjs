// The Baileys side of the receive benchmark, forked by receive-bench.mjs: one Node process with N
// unmodified Baileys 7 sockets linked through the emulator (bench/lib/baileys-link.mjs), each
// counting the texts it is handed in `messages.upsert` (type notify) whose text starts with the
// run's prefix, and the latency from the send time the emulator wrote into the text.
//
// Parent → child: {cmd:'link', wsUrl, rootKey, controlUrl, phones:[...], concurrency, authRoot, prefix}
//                 {cmd:'mark', prefix?}   start a measured window (resets counters, CPU and latencies)
//                 {cmd:'stats'}  {type:'stats', ...} for the window so far
//                 {cmd:'exit'}
// Child → parent: {type:'hello'}, {type:'linked', link_ms} or {type:'error', message}, {type:'stats', ...}.
import { linkOne, setTrustRoot } from '../lib/baileys-link.mjs';

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const sockets = [];
let prefix = '';
let window = null;

function newWindow() {
    return { t0: performance.now(), cpu0: process.cpuUsage(), received: 0, latenciesMs: [], lastAt: 0 };
}

function onUpsert({ messages, type }) {
    if (type !== 'notify' || !window) return;
    for (const m of messages) {
        const text = m.message?.conversation ?? m.message?.extendedTextMessage?.text;
        if (typeof text !== 'string' || !text.startsWith(prefix)) continue;
        const sentUs = Number(text.slice(text.lastIndexOf(' ') + 1));
        window.received++;
        window.lastAt = performance.now();
        if (Number.isFinite(sentUs)) window.latenciesMs.push((nowUs() - sentUs) / 1000);
    }
}

async function link(cfg) {
    setTrustRoot(cfg.rootKey);
    prefix = cfg.prefix;
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
        while (next < cfg.phones.length) {
            const i = next++;
            const sock = await linkOne(cfg, cfg.phones[i], i);
            sock.ev.on('messages.upsert', onUpsert);
            sockets.push(sock);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, cfg.concurrency) }, worker));
    window = newWindow();
    process.send({ type: 'linked', sockets: sockets.length, link_ms: Math.round(performance.now() - t0) });
}

function stats() {
    const cpu = process.cpuUsage(window.cpu0);
    const s = Float64Array.from(window.latenciesMs).sort();
    const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN);
    return {
        type: 'stats', received: window.received, window_s: (performance.now() - window.t0) / 1000,
        last_s: window.lastAt ? (window.lastAt - window.t0) / 1000 : 0, cpu_s: (cpu.user + cpu.system) / 1e6,
        p50_ms: q(0.5), p99_ms: q(0.99), max_ms: s.length ? s[s.length - 1] : NaN,
        rss_kb: Math.round(process.memoryUsage().rss / 1024),
    };
}

process.on('message', (m) => {
    if (m.cmd === 'link') {
        link(m).catch((e) => process.send({ type: 'error', message: String(e?.stack || e) }));
    } else if (m.cmd === 'mark') {
        if (m.prefix) prefix = m.prefix;
        window = newWindow();
    } else if (m.cmd === 'stats') {
        process.send(stats());
    } else if (m.cmd === 'exit') {
        for (const s of sockets) s.end(undefined);
        process.exit(0);
    }
});
process.send({ type: 'hello' });
