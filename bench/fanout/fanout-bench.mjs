// The fan-out benchmark: N websocket clients across S sessions, a producer emitting RATE
// events/s for DURATION s, against one server; prints one JSON result.
//   node fanout-bench.mjs --server wadesk|reference --build DIR [--clients 2000] [--sessions 20]
//                         [--rate 2000] [--duration 30] [--workers 2] [--client native|lean|official]
//                         [--drain 10] [--io-threads 0]
// --client: the load clients, the same against both servers: native (default; C++ over epoll,
// bench/fanout/load_client.cpp, the cheapest on the shared cores), lean (lean-client.mjs, the
// same minimal Engine.IO/Socket.IO client in Node) or official (socket.io-client). --drain:
// after the producer stops, wait at most this many seconds for outstanding deliveries (ends
// early once every expected event arrived); what has not arrived then counts as lost.
// --io-threads: wadesk-bench-fanout's I/O threads (0: one per hardware thread). --coalesce-ms:
// its RealtimeOptions::write_coalesce_ms (default: the product's default).
// Measures: delivered events/s, p50/p99/max delivery latency (producer timestamp to client
// receipt), events lost and duplicated, server RSS per idle connected socket, and the CPU
// seconds the server and the load clients used while the producer ran and the run drained.
import { spawn, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const opt = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : def;
};
const kind = opt('server', 'wadesk');
const build = path.resolve(repo, opt('build', 'build'));
const clients = Number(opt('clients', 2000));
const sessions = Number(opt('sessions', 20));
const rate = Number(opt('rate', 2000));
const duration = Number(opt('duration', 30));
const workers = Number(opt('workers', 2));
const client = opt('client', 'native');
const drainMax = Number(opt('drain', 10));
const ioThreads = Number(opt('io-threads', 0));
const coalesceMs = opt('coalesce-ms', null);  // wadesk-bench-fanout's default when not given
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServer() {
    const args = ['--clients', String(clients), '--sessions', String(sessions)];
    const proc = kind === 'reference'
        ? spawn(process.execPath, [path.join(here, 'reference-server.mjs'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn(path.join(build, 'wadesk-bench-fanout'),
            [...args, '--io-threads', String(ioThreads), ...(coalesceMs === null ? [] : ['--coalesce-ms', coalesceMs])],
            { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = [];
    const waiters = [];
    createInterface({ input: proc.stdout }).on('line', (l) => {
        const w = waiters.shift();
        if (w) w(l); else lines.push(l);
    });
    const nextLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => waiters.push(r)));
    let stderr = '';
    const url = new Promise((resolve, reject) => {
        proc.stderr.on('data', (d) => {
            stderr += d;
            const m = /listening on (http:\/\/\S+)/.exec(stderr);
            if (m) resolve(m[1]);
        });
        proc.on('exit', (code) => reject(new Error(`${kind} server exited (${code}): ${stderr}`)));
    });
    const command = async (c) => { proc.stdin.write(`${c}\n`); return nextLine(); };
    return { proc, url, command };
}

function percentile(hist, p, bucketMs = 0.1) {
    const total = hist.reduce((a, b) => a + b, 0);
    if (!total) return null;
    let target = Math.ceil(total * p), acc = 0;
    for (let i = 0; i < hist.length; i++) {
        acc += hist[i];
        if (acc >= target) return i * bucketMs;
    }
    return (hist.length - 1) * bucketMs;
}

// CPU seconds (user + system) a process has used so far; NaN when it cannot be read.
function cpuSeconds(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (USER_HZ 100)
    } catch {
        return NaN;
    }
}

// One load-client process holding clients [first, first+count): the native client
// (wadesk-bench-fanout-client, line commands on stdin, JSON lines on stdout) or a Node worker
// (load-worker.mjs with the lean or the official client, IPC messages). Both answer the same
// commands — count, report, close — with the same messages.
function startLoadWorker({ url, first, count, sessions, total }) {
    const inbox = [];
    const waiters = [];
    const deliver = (m) => { const f = waiters.shift(); if (f) f(m); else inbox.push(m); };
    const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)));
    if (client === 'native') {
        const port = new URL(url).port;
        const child = spawn(path.join(build, 'wadesk-bench-fanout-client'),
            ['--port', port, '--first', String(first), '--count', String(count), '--sessions', String(sessions),
                '--total', String(total)], { stdio: ['pipe', 'pipe', 'inherit'] });
        createInterface({ input: child.stdout }).on('line', (l) => deliver(JSON.parse(l)));
        child.on('exit', (code) => { if (code) deliver({ type: 'error', message: `load client exited (${code})` }); });
        return { pid: child.pid, next, send: (cmd) => child.stdin.write(`${cmd}\n`) };
    }
    const child = fork(path.join(here, 'load-worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', deliver);
    child.send({ cmd: 'connect', url, first, count, sessions, total, client });
    return { pid: child.pid, next, send: (cmd) => child.send({ cmd }) };
}

async function main() {
    const server = startServer();
    const url = await server.url;
    await sleep(300);
    const before = JSON.parse(await server.command('stats'));
    const total = rate * duration;
    const kids = [];
    const per = Math.ceil(clients / workers);
    const t0 = Date.now();
    for (let w = 0; w < workers; w++) {
        const first = w * per;
        const count = Math.min(per, clients - first);
        if (count <= 0) break;
        kids.push(startLoadWorker({ url, first, count, sessions, total }));
    }
    for (const k of kids) {
        const m = await k.next();
        if (m.type !== 'connected') throw new Error(`load worker: ${m.message}`);
    }
    const connectMs = Date.now() - t0;
    await sleep(3000);
    const idle = JSON.parse(await server.command('stats'));
    const cpu = () => ({ server: cpuSeconds(server.proc.pid), clients: kids.reduce((a, k) => a + cpuSeconds(k.pid), 0) });
    const cpu0 = cpu();
    const p0 = performance.now();
    const produced = await server.command(`produce ${rate} ${duration}`);
    const produceS = (performance.now() - p0) / 1000;
    // Drain: bounded; ends as soon as every expected delivery arrived.
    const expectedTotal = Number(/produced (\d+)/.exec(produced)?.[1] ?? 0) * (clients / sessions);
    const d0 = performance.now();
    while ((performance.now() - d0) / 1000 < drainMax) {
        let got = 0;
        for (const k of kids) {
            k.send('count');
            got += (await k.next()).received;
        }
        if (got >= expectedTotal) break;
        await sleep(250);
    }
    const drainS = (performance.now() - d0) / 1000;
    const cpu1 = cpu();
    const hist = new Array(100001).fill(0);
    let received = 0, duplicates = 0, disconnects = 0, missing = 0, expected = 0, malformed = 0;
    for (const k of kids) {
        k.send('report');
        const r = await k.next();
        r.hist.forEach((v, i) => { hist[i] += v; });
        received += r.received; duplicates += r.duplicates; disconnects += r.disconnects;
        missing += r.missing; expected += r.expected; malformed += r.malformed;
    }
    const after = JSON.parse(await server.command('stats'));
    for (const k of kids) k.send('close');
    server.proc.stdin.write('quit\n');
    await sleep(500);
    server.proc.kill('SIGKILL');
    const result = {
        server: kind, client, clients, sessions, rate, duration, io_threads: kind === 'wadesk' ? ioThreads : 1,
        produced: Number(/produced (\d+)/.exec(produced)?.[1] ?? 0), produce_seconds: Number(produceS.toFixed(2)),
        connect_ms: connectMs,
        delivered: received, delivered_per_s: Math.round(received / produceS), expected, missing, duplicates,
        disconnects, malformed, drain_seconds: Number(drainS.toFixed(2)),
        server_cpu_s: Number((cpu1.server - cpu0.server).toFixed(2)),
        clients_cpu_s: Number((cpu1.clients - cpu0.clients).toFixed(2)),
        write_coalesce_ms: kind === 'wadesk' ? after.write_coalesce_ms : null,
        // wadesk: socket writes during production and drain, and the server's CPU per write.
        websocket_writes: kind === 'wadesk' ? after.websocket_writes - idle.websocket_writes : null,
        server_us_per_write: kind === 'wadesk' && after.websocket_writes > idle.websocket_writes
            ? Number(((cpu1.server - cpu0.server) / (after.websocket_writes - idle.websocket_writes) * 1e6).toFixed(2)) : null,
        p10_ms: percentile(hist, 0.1), p50_ms: percentile(hist, 0.5), p90_ms: percentile(hist, 0.9),
        p99_ms: percentile(hist, 0.99), max_ms: percentile(hist, 1),
        rss_kb_before: before.rss_kb, rss_kb_idle: idle.rss_kb, rss_kb_after: after.rss_kb,
        kb_per_idle_socket: Number(((idle.rss_kb - before.rss_kb) / clients).toFixed(2)),
        server_stats: after,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
