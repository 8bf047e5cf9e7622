// One load-client process of the fan-out benchmark (forked by fanout-bench.mjs): connects
// clients [first, first+count) with the official socket.io-client over websocket, records for
// every received event its delivery latency (producer timestamp to receipt) and which
// sequence numbers arrived, and reports to the parent on request.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'tests', 'js', 'package.json'));
const { io } = require('socket.io-client');

const kBucketMs = 0.1;
const kBuckets = 100000;  // up to 10 s
const hist = new Uint32Array(kBuckets + 1);
let sockets = [];
let seen = [];
let received = 0, duplicates = 0, disconnects = 0, connectErrors = 0;
let cfg;

function now() { return performance.timeOrigin + performance.now(); }

async function connectAll() {
    const { url, first, count, sessions, total } = cfg;
    const perSession = Math.ceil(total / sessions) + 1;
    let connected = 0;
    await new Promise((resolve, reject) => {
        let next = 0;
        const batch = () => {
            const end = Math.min(count, next + 50);
            for (; next < end; next++) {
                const i = first + next;
                const mySeen = new Uint8Array(perSession);
                seen.push({ i, session: i % sessions, bits: mySeen });
                const s = io(url, { transports: ['websocket'], auth: { token: `bench-${i}` }, reconnection: false, forceNew: true });
                s.on('connect', () => { if (++connected === count) resolve(); });
                s.on('connect_error', (e) => { connectErrors++; reject(new Error(`client ${i}: ${e.message}`)); });
                s.on('disconnect', () => { disconnects++; });
                s.on('whatsapp:message', (data) => {
                    const lat = now() - data.ts;
                    const b = Math.min(kBuckets, Math.max(0, Math.round(lat / kBucketMs)));
                    hist[b]++;
                    received++;
                    const slot = Math.floor(data.seq / sessions);
                    if (mySeen[slot]) duplicates++;
                    else mySeen[slot] = 1;
                });
                sockets.push(s);
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
        process.send({ type: 'report', hist: Array.from(hist), received, duplicates, disconnects, connectErrors, missing, expected });
    } else if (msg.cmd === 'close') {
        for (const s of sockets) s.close();
        setTimeout(() => process.exit(0), 200);
    }
});
