// The Baileys side of the group-send benchmark, forked by groupsend-bench.mjs: one unmodified
// Baileys 7 socket linked through the emulator (bench/lib/baileys-link.mjs) that sends texts to a
// group with its default configuration (group metadata queried per send, devices and sessions
// cached as Baileys caches them) and times each from the sendMessage call to the server's
// <ack class='message'> for its id.
//
// Parent → child: {cmd:'link', wsUrl, rootKey, controlUrl, phone, authRoot}
//                 {cmd:'send', gid, text}   → {type:'sent', ms, error?}
//                 {cmd:'cpu'}               → {type:'cpu', cpu_s}  (user + system of this process so far)
//                 {cmd:'exit'}
// Child → parent: {type:'hello'}, {type:'linked', link_ms} or {type:'error', message}.
import { randomBytes } from 'node:crypto';
import { linkOne, setTrustRoot } from '../lib/baileys-link.mjs';

let sock = null;
const acks = new Map();  // message id → resolve(error code or 0)

async function link(cfg) {
    setTrustRoot(cfg.rootKey);
    const t0 = performance.now();
    sock = await linkOne(cfg, cfg.phone, 0);
    sock.ws.on('CB:ack,class:message', (node) => {
        const done = acks.get(node.attrs.id);
        if (!done) return;
        acks.delete(node.attrs.id);
        done(Number(node.attrs.error ?? 0));
    });
    process.send({ type: 'linked', link_ms: Math.round(performance.now() - t0) });
}

async function send(gid, text) {
    const id = `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
    const acked = new Promise((resolve) => acks.set(id, resolve));
    const t0 = performance.now();
    await sock.sendMessage(gid, { text }, { messageId: id });
    const error = await Promise.race([acked, new Promise((r) => setTimeout(() => r('timeout'), 120000))]);
    return { type: 'sent', id, ms: performance.now() - t0, error: error === 0 ? null : String(error) };
}

const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

process.on('message', (m) => {
    if (m.cmd === 'link') {
        link(m).catch((e) => process.send({ type: 'error', message: String(e?.stack || e) }));
    } else if (m.cmd === 'send') {
        send(m.gid, m.text).then((r) => process.send(r), (e) => process.send({ type: 'sent', ms: NaN, error: String(e?.stack || e) }));
    } else if (m.cmd === 'cpu') {
        process.send({ type: 'cpu', cpu_s: cpuNow() });
    } else if (m.cmd === 'exit') {
        sock?.end(undefined);
        process.exit(0);
    }
});
process.send({ type: 'hello' });
