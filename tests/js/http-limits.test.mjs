// The accept loop at its limits. Under `ulimit -n 64` the server runs out of descriptors: it must
// back off instead of spinning (bounded CPU), log the failures once per interval instead of once
// per retry, keep serving the connections it has (a keep-alive /health), and serve the waiting
// connections once others close. With WADESK_MAX_CONNECTIONS it stops accepting at the cap, and
// the waiting connections are served as others close.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TestServer, sleep, until, wadeskBin } from './lib/server.mjs';
import { tempDir } from './lib/client-harness.mjs';

const kClockTicks = 100;  // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

let wrapperDir;
const realBin = wadeskBin();

// A raw keep-alive client: sends GET /health and waits for each whole response.
class Conn {
    constructor(port) {
        this.socket = net.connect(port, '127.0.0.1');
        this.socket.setNoDelay(true);
        this.buffer = '';
        this.responses = 0;
        this.closed = false;
        this.waiters = [];
        this.socket.on('data', (d) => {
            this.buffer += d;
            for (;;) {
                const end = this.buffer.indexOf('\r\n\r\n');
                if (end < 0) break;
                const m = /content-length: (\d+)/i.exec(this.buffer.slice(0, end));
                const total = end + 4 + (m ? Number(m[1]) : 0);
                if (this.buffer.length < total) break;
                this.last = this.buffer.slice(0, total);
                this.buffer = this.buffer.slice(total);
                this.responses++;
            }
            this.wake();
        });
        this.socket.on('error', () => {});
        this.socket.on('close', () => { this.closed = true; this.wake(); });
        this.opened = new Promise((resolve) => {
            this.socket.once('connect', () => resolve(true));
            this.socket.once('error', () => resolve(false));
        });
    }

    wake() { for (const w of this.waiters.splice(0)) w(); }

    // Sends one GET; resolves true when its response (then in this.last) arrived within `ms`.
    async get(urlPath, ms) {
        const want = this.responses + 1;
        this.socket.write(`GET ${urlPath} HTTP/1.1\r\nHost: t\r\n\r\n`);
        return this.waitResponses(want, ms);
    }

    health(ms) { return this.get('/health', ms); }

    async waitResponses(want, ms) {
        const deadline = Date.now() + ms;
        while (this.responses < want && !this.closed) {
            const left = deadline - Date.now();
            if (left <= 0) return false;
            await new Promise((r) => {
                const t = setTimeout(r, left);
                this.waiters.push(() => { clearTimeout(t); r(); });
            });
        }
        return this.responses >= want;
    }

    close() { this.socket.destroy(); }
}

function cpuSeconds(pid) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / kClockTicks;  // utime + stime
}

function acceptLines(stderr) {
    return stderr.split('\n').filter((l) => /\[http\] (accept failed|\d+ connections open)/.test(l));
}

// Opens connections one by one until one is not served within `ms`; returns [served, waiting].
async function fillUp(port, max, ms = 700) {
    const served = [];
    const waiting = [];
    for (let i = 0; i < max && waiting.length < 3; i++) {
        const c = new Conn(port);
        assert.ok(await c.opened, 'the kernel still completes connections into the backlog');
        if (waiting.length === 0 && await c.health(ms)) served.push(c);
        else {
            if (waiting.length > 0) c.socket.write('GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
            waiting.push(c);
        }
    }
    return [served, waiting];
}

before(() => {
    // `ulimit -n` for the server only: a wrapper script that lowers it and runs the real binary.
    wrapperDir = tempDir('wadesk-ulimit-');
    const wrapper = path.join(wrapperDir.dir, 'wadesk-ulimit');
    writeFileSync(wrapper, `#!/bin/bash\nulimit -n 64 || exit 97\nexec ${JSON.stringify(realBin)} "$@"\n`);
    chmodSync(wrapper, 0o755);
    wrapperDir.wrapper = wrapper;
});

after(() => wrapperDir?.remove());

test('at the descriptor limit the server backs off, logs once per interval and keeps serving', async () => {
    process.env.WADESK_BIN = wrapperDir.wrapper;
    const srv = new TestServer({ backend: 'sqlite' });
    try {
        await srv.start();
    } finally {
        process.env.WADESK_BIN = realBin;
    }
    const conns = [];
    try {
        const limit = readFileSync(`/proc/${srv.proc.pid}/limits`, 'utf8').match(/Max open files\s+(\d+)/)[1];
        assert.equal(limit, '64', 'the server runs under ulimit -n 64');
        const port = Number(new URL(srv.baseUrl).port);
        const [served, waiting] = await fillUp(port, 100);
        conns.push(...served, ...waiting);
        assert.ok(served.length > 5 && served.length < 64, `${served.length} connections served before the limit`);
        assert.equal(waiting.length, 3, 'connections beyond the descriptor limit wait');
        await until('the descriptor shortage logged', async () => acceptLines(srv.stderr).length > 0, 5000);

        // Three seconds at the limit: no spinning, one line (the next summary is due after 10 s).
        const linesBefore = acceptLines(srv.stderr).length;
        const cpuBefore = cpuSeconds(srv.proc.pid);
        await sleep(3000);
        const cpu = cpuSeconds(srv.proc.pid) - cpuBefore;
        assert.ok(cpu < 0.6, `the server used ${cpu.toFixed(2)} s of CPU in 3 s at the descriptor limit`);
        const lines = acceptLines(srv.stderr);
        assert.ok(lines.length <= 2 && lines.length - linesBefore <= 1, `accept failures logged ${lines.length} times:\n${lines.join('\n')}`);
        assert.match(lines[0], /accept failed: Too many open files/);

        // Connections already open are served.
        for (const c of served.slice(0, 3)) assert.ok(await c.health(1000), 'a keep-alive /health at the limit');

        // Closing some lets the waiting ones in; their requests are answered.
        for (const c of served.splice(0, 5)) c.close();
        for (const c of waiting) assert.ok(await c.waitResponses(1, 5000), 'a waiting connection is served once others closed');
        const fresh = new Conn(port);
        conns.push(fresh);
        assert.ok(await fresh.health(5000), 'a new connection is served after the shortage');
    } finally {
        for (const c of conns) c.close();
        await srv.stop();
    }
});

test('WADESK_MAX_CONNECTIONS caps open connections; waiting ones are served as others close', async () => {
    const srv = new TestServer({ backend: 'sqlite', env: { WADESK_MAX_CONNECTIONS: '6' } });
    await srv.start();
    const conns = [];
    try {
        const port = Number(new URL(srv.baseUrl).port);
        // The harness's readiness probes may still hold a keep-alive connection: count them.
        const probe = new Conn(port);
        conns.push(probe);
        assert.ok(await probe.get('/metrics', 2000));
        const open = Number(/wadesk_http_connections_open (\d+)/.exec(probe.last)[1]);
        assert.ok(open >= 1 && open <= 3, `${open} connections open before the test's own`);
        const [served, waiting] = await fillUp(port, 20);
        conns.push(...served, ...waiting);
        assert.equal(served.length, 6 - open, 'connections are served up to the cap');
        assert.equal(waiting.length, 3);
        assert.equal(acceptLines(srv.stderr).filter((l) => /connections open \(WADESK_MAX_CONNECTIONS\)/.test(l)).length, 1);
        for (const c of served) assert.ok(await c.health(1000), 'connections under the cap are served');
        served[0].close();
        assert.ok(await waiting[0].waitResponses(1, 2000), 'one closes, the oldest waiting one is served');
        assert.equal(waiting[1].responses, 0, 'still at the cap');
        served[1].close();
        served[2].close();
        assert.ok(await waiting[1].waitResponses(1, 2000));
        assert.ok(await waiting[2].waitResponses(1, 2000));
        assert.doesNotMatch(srv.stderr, /accept failed/);
    } finally {
        for (const c of conns) c.close();
        await srv.stop();
    }
});
