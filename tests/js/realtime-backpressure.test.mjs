// Back-pressure of the Socket.IO server: a client that stops reading is disconnected when its
// queue overflows, while a client that keeps up receives every event and the producer is not
// slowed down. Runs wadesk-bench-fanout (the real HTTP server and realtime stack of wadesk with
// a synthetic producer on stdin): REST actions cannot produce events fast enough to overflow a
// queue behind the kernel's socket buffers.
//   WADESK_BENCH_FANOUT_BIN  path of wadesk-bench-fanout (default: next to WADESK_BIN)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import WebSocket from 'ws';
import { io } from 'socket.io-client';

import { wadeskBin, sleep } from './lib/server.mjs';
import { waitFor } from './lib/realtime-world.mjs';

function fanoutBin() {
    return process.env.WADESK_BENCH_FANOUT_BIN || path.join(path.dirname(wadeskBin()), 'wadesk-bench-fanout');
}

describe('realtime back-pressure', () => {
    let proc;
    let url;
    const lines = [];
    let exit = null;

    before(async () => {
        proc = spawn(fanoutBin(), ['--clients', '4', '--sessions', '1'], { stdio: ['pipe', 'pipe', 'pipe'] });
        proc.on('exit', (code, signal) => { exit = { code, signal }; });
        createInterface({ input: proc.stdout }).on('line', (l) => lines.push(l));
        let err = '';
        url = await new Promise((resolve, reject) => {
            proc.stderr.on('data', (d) => {
                err += d;
                const m = /listening on (\S+)/.exec(err);
                if (m) resolve(m[1]);
            });
            proc.on('error', reject);
            proc.on('exit', () => reject(new Error(`wadesk-bench-fanout exited: ${err}`)));
        });
    });
    after(async () => {
        if (proc && !exit) {
            proc.stdin.write('quit\n');
            await Promise.race([new Promise((r) => proc.on('exit', r)), sleep(5000)]);
            if (!exit) proc.kill('SIGKILL');
        }
    });

    async function command(cmd, prefix, timeoutMs = 30000) {
        const start = lines.length;
        proc.stdin.write(`${cmd}\n`);
        await waitFor(() => lines.slice(start).some((l) => l.startsWith(prefix)), cmd, timeoutMs);
        return lines.slice(start).find((l) => l.startsWith(prefix));
    }

    it('drops a client that stops reading, keeps the one that reads, never stalls the producer', async () => {
        const good = io(url, { transports: ['websocket'], auth: { token: 'bench-1' }, reconnection: false, forceNew: true });
        let received = 0;
        good.on('whatsapp:message', () => { received++; });
        await new Promise((resolve, reject) => { good.on('connect', resolve); good.on('connect_error', reject); });

        const slow = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
        let slowClosed = false;
        slow.on('close', () => { slowClosed = true; });
        slow.on('error', () => {});
        const frames = [];
        slow.on('message', (d) => frames.push(d.toString()));
        await new Promise((r) => slow.on('open', r));
        slow.send('40{"token":"bench-2"}');
        await waitFor(() => frames.some((f) => f.startsWith('40{')), 'slow client connected');
        slow._socket.pause();  // stops reading: the kernel buffers fill, then the server queue

        // Enough bytes (~10 MB) to fill both kernel socket buffers of the slow client (the
        // server coalesces frames into large segments, so they hold several MB) and then its
        // server-side queue.
        const rate = 20000, seconds = 5;
        const t0 = performance.now();
        const produced = await command(`produce ${rate} ${seconds}`, 'produced', 60000);
        const took = (performance.now() - t0) / 1000;
        assert.equal(produced, `produced ${rate * seconds}`);
        assert.ok(took < seconds * 1.5, `the producer was held back: ${took.toFixed(2)} s for ${seconds} s of events`);

        await waitFor(() => received === rate * seconds, `the reading client gets all ${rate * seconds} events (has ${received})`, 40000);
        const stats = JSON.parse(await command('stats', '{'));
        assert.equal(stats.slow_disconnects, 1, `exactly the slow client was dropped: ${JSON.stringify(stats)}`);
        assert.equal(stats.sockets, 1);
        assert.ok(good.connected);
        slow._socket.resume();
        await waitFor(() => slowClosed, 'the slow client sees its connection closed');
        good.close();
    });
});
