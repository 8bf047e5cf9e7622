// The reference for the fan-out benchmark: a plain socket.io@4 Node server with the same
// tokens, the same delivery rule (client i reads session s<i % S> only, as a room) and the same
// stdin-driven producer as wadesk-bench-fanout.
//   node reference-server.mjs --clients N --sessions S
// Prints "listening on http://127.0.0.1:PORT" on stderr; stdin: produce RATE SECONDS | stats | quit.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'tests', 'js', 'package.json'));
const { Server } = require('socket.io');

const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
};
const clients = arg('clients', 2000);
const sessions = arg('sessions', 20);

const http = createServer();
const io = new Server(http, { transports: ['websocket', 'polling'] });
io.use((socket, next) => {
    const m = /^bench-(\d+)$/.exec(socket.handshake.auth?.token ?? '');
    if (!m || Number(m[1]) >= clients) return next(new Error('invalid_token'));
    socket.data.session = `s${Number(m[1]) % sessions}`;
    next();
});
io.on('connection', (socket) => socket.join(socket.data.session));

http.listen(0, '127.0.0.1', () => {
    process.stderr.write(`listening on http://127.0.0.1:${http.address().port}\n`);
});

let nextId = 1;
function produce(rate, seconds) {
    return new Promise((resolve) => {
        const total = rate * seconds;
        const start = performance.now();
        let n = 0;
        const tick = () => {
            const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
            for (; n < due; n++) {
                const sessionId = `s${n % sessions}`;
                const id = nextId++;
                io.to(sessionId).emit('whatsapp:message', {
                    seq: n, ts: performance.timeOrigin + performance.now(), sessionId, eventId: id,
                }, String(id));
            }
            if (n < total) setTimeout(tick, 1);
            else resolve(total);
        };
        tick();
    });
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
    const [cmd, a, b] = line.trim().split(/\s+/);
    if (cmd === 'produce') {
        const total = await produce(Number(a), Number(b));
        process.stdout.write(`produced ${total}\n`);
    } else if (cmd === 'stats') {
        process.stdout.write(`${JSON.stringify({ rss_kb: Math.round(process.memoryUsage().rss / 1024), sockets: io.engine.clientsCount })}\n`);
    } else if (cmd === 'quit') {
        io.close();
        process.exit(0);
    }
});
