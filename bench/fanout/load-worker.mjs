// One load-client process of the fan-out benchmark (forked by fanout-bench.mjs): connects
// clients [first, first+count) over websocket — with the lean client (lean-client.mjs, default)
// or the official socket.io-client — records for every received event its delivery latency
// (producer timestamp to receipt) and which sequence numbers arrived, and reports to the parent
// on request.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { leanConnect } from './lean-client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'tests', 'js', 'package.json'));

const kBucketMs = 0.1;
const kBuckets = 100000;  // up to 10 s
const hist = new Uint32Array(kBuckets + 1);
const sockets = [];
const seen = [];
let received = 0, duplicates = 0, disconnects = 0, connectErrors = 0, malformed = 0;
let cfg;

function now() { return performance.timeOrigin + performance.now(); }

// Records one received event of client `c`.
function onEvent(c, seq, ts) {
    if (!Number.isFinite(seq) || !Number.isFinite(ts) || seq % cfg.sessions !== c.session) {
        malformed++;
        return;
    }
    const lat = now() - ts;
    hist[Math.min(kBuckets, Math.max(0, Math.round(lat / kBucketMs)))]++;
    received++;
    const slot = Math.floor(seq / cfg.sessions);
    if (c.bits[slot]) duplicates++;
    else c.bits[slot] = 1;
}

async function connectAll() {
    const { url, first, count, sessions, total, client } = cfg;
    const perSession = Math.ceil(total / sessions) + 1;
    let connected = 0;
    const official = client === 'official' ? require('socket.io-client').io : null;
    await new Promise((resolve, reject) => {
        let next = 0;
        const batch = () => {
            const end = Math.min(count, next + 50);
            for (; next < end; next++) {
                const i = first + next;
                const c = { i, session: i % sessions, bits: new Uint8Array(perSession) };
                seen.push(c);
                const onConnect = () => { if (++connected === count) resolve(); };
                const onConnectError = (message) => { connectErrors++; reject(new Error(`client ${i}: ${message}`)); };
                if (official) {
                    const s = official(url, { transports: ['websocket'], auth: { token: `bench-${i}` }, reconnection: false, forceNew: true });
                    s.on('connect', onConnect);
                    s.on('connect_error', (e) => onConnectError(e.message));
                    s.on('disconnect', () => { disconnects++; });
                    s.on('whatsapp:message', (data) => onEvent(c, data.seq, data.ts));
                    sockets.push(s);
                } else {
                    sockets.push(leanConnect(url, `bench-${i}`, {
                        connect: onConnect,
                        connectError: onConnectError,
                        disconnect: () => { disconnects++; },
                        event: (seq, ts) => onEvent(c, seq, ts),
                    }));
                }
            }
            if (next < count) setTimeout(batch, 20);
        };
        batch();
    });
}

process.on('message', async (msg) => {
    if (msg.cmd === 'connect') {
        cfg = msg;
        try {
            await connectAll();
            process.send({ type: 'connected' });
        } catch (e) {
            process.send({ type: 'error', message: e.message });
        }
    } else if (msg.cmd === 'count') {
        process.send({ type: 'count', received, disconnects });
    } else if (msg.cmd === 'report') {
        // Missing: per client, the sequence numbers of its session that never arrived.
        const { total, sessions } = cfg;
        let missing = 0, expected = 0;
        for (const c of seen) {
            for (let seq = c.session; seq < total; seq += sessions) {
                expected++;
                if (!c.bits[Math.floor(seq / sessions)]) missing++;
            }
        }
        process.send({ type: 'report', hist: Array.from(hist), received, duplicates, disconnects, connectErrors, malformed, missing, expected });
    } else if (msg.cmd === 'close') {
        for (const s of sockets) s.close();
        setTimeout(() => process.exit(0), 200);
    }
});
