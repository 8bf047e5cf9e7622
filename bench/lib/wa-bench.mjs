// Shared pieces of the WhatsApp benchmarks (bench/receive/, bench/groupsend/, bench/walink/): the emulator, a `wadesk serve`
// process, REST helpers, linking sessions through the emulator's phones, and /proc readings.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const load1 = () => Number(loadavg()[0].toFixed(2));

export function makeLog(tag) {
    return (...a) => console.error(`[${tag} ${new Date().toISOString().slice(11, 19)}]`, ...a);
}

export function option(name, def) {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : def;
}

// The repository's root and the binaries a benchmark runs: WADESK_BIN / WADESK_SIM_BIN, else
// those of --build DIR (relative to the repository; default build/).
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export function binaries() {
    const build = path.resolve(repo, option('build', 'build'));
    return {
        wadeskBin: process.env.WADESK_BIN || path.join(build, 'wadesk'),
        simBin: process.env.WADESK_SIM_BIN || path.join(build, 'wadesk-sim'),
    };
}

// The `io` of socket.io-client, installed with the tests (tests/js).
export function socketIo() {
    return createRequire(path.join(repo, 'tests', 'js', 'package.json'))('socket.io-client').io;
}

// CPU seconds (user + system) of one process, from /proc/PID/stat.
export function cpuSeconds(pid) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
}

// CPU seconds of a process and all its live children (PostgreSQL: the postmaster and its backends).
// Children that exited meanwhile are counted through the parent's cutime/cstime.
export function treeCpuSeconds(rootPid) {
    const children = new Map();
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ');
            const ppid = Number(fields[1]);
            if (!children.has(ppid)) children.set(ppid, []);
            children.get(ppid).push(Number(name));
        } catch { /* gone */ }
    }
    let total = 0;
    const visit = (pid) => {
        try {
            const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
            total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
        } catch { return; }
        for (const c of children.get(pid) ?? []) visit(c);
    };
    visit(rootPid);
    return total;
}

// CPU seconds of each thread of a process: Map(tid → {name, cpu}).
export function threadCpuSeconds(pid) {
    const out = new Map();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
            const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
            const fields = stat.split(') ')[1].split(' ');
            out.set(tid, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpu: (Number(fields[11]) + Number(fields[12])) / 100 });
        } catch { /* gone */ }
    }
    return out;
}

// The busiest threads between two threadCpuSeconds() readings, as % of one core over `seconds`.
export function busiestThreads(before, after, seconds, top = 4) {
    const rows = [];
    for (const [tid, t] of after) rows.push({ name: t.name, pct: ((t.cpu - (before.get(tid)?.cpu ?? 0)) / seconds) * 100 });
    return rows.sort((a, b) => b.pct - a.pct).slice(0, top).map((t) => ({ name: t.name, pct: Number(t.pct.toFixed(0)) }));
}

// Busy and total CPU seconds of the whole machine (all cores), from /proc/stat.
export function machineCpuSeconds() {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + v[4];  // idle + iowait
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / 100, total: total / 100 };
}

export function rssKb(pid) {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
}

export async function pool(count, width, fn) {
    let next = 0;
    const worker = async () => {
        while (next < count) {
            const i = next++;
            await fn(i);
        }
    };
    await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

export async function http(base, method, route, { token, body } = {}) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, json, text };
}

export async function ok(promise, what) {
    const r = await promise;
    if (r.status < 200 || r.status > 299 || r.json?.success !== true) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.json.data;
}

export async function until(what, fn, timeoutMs, everyMs = 100) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(everyMs);
    }
}

export function quantiles(values) {
    if (values.length === 0) return { n: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
    const s = Float64Array.from(values).sort();
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] };
}

// The emulator on spare loopback ports with its state in `stateDir`.
export async function startSim(simBin, stateDir) {
    const proc = spawn(simBin, ['serve', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0', '--state', stateDir,
        '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20000); });
    const lines = createInterface({ input: proc.stdout });
    const info = await new Promise((resolve, reject) => {
        const got = {};
        const timer = setTimeout(() => reject(new Error(`wadesk-sim did not start: ${stderr}`)), 15000);
        proc.on('exit', (code) => reject(new Error(`wadesk-sim exited (${code}): ${stderr}`)));
        lines.on('line', (l) => {
            let m;
            if ((m = /^root-key ([0-9a-f]{64})$/.exec(l))) got.rootKey = m[1];
            if ((m = /^listening on (ws:\/\/\S+)$/.exec(l))) got.wsUrl = m[1];
            if ((m = /^control on (http:\/\/\S+)$/.exec(l))) got.controlUrl = m[1];
            if (got.rootKey && got.wsUrl && got.controlUrl) { clearTimeout(timer); resolve(got); }
        });
    });
    const control = (method, route, body) => http(info.controlUrl, method, route, { body });
    return { proc, ...info, control, stderr: () => stderr };
}

// One `wadesk serve` on a spare port. `ready` counts the sessions that logged "authorized as",
// `readyAt` holds when each did and `listeningAt` when the server listened (ms since the spawn).
export class Wadesk {
    constructor(bin, env) {
        this.bin = bin;
        this.env = env;
    }

    start() {
        this.t0 = performance.now();
        this.proc = spawn(this.bin, ['serve', '--listen', '127.0.0.1:0'], { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
        this.tail = '';
        this.ready = 0;
        this.readyAt = [];
        this.listeningAt = null;
        this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => { this.exit = { code, signal }; r(this.exit); }));
        this.base = new Promise((resolve, reject) => {
            createInterface({ input: this.proc.stderr }).on('line', (l) => {
                this.tail = (this.tail + l + '\n').slice(-20000);
                if (l.includes('[WhatsApp] Session ') && l.includes(' authorized as ')) {
                    this.ready++;
                    this.readyAt.push(performance.now() - this.t0);
                }
                const m = /listening on (http:\/\/\S+)/.exec(l);
                if (m && this.listeningAt === null) {
                    this.listeningAt = performance.now() - this.t0;
                    resolve(m[1].replace(/\/$/, ''));
                }
            });
            this.exited.then((e) => reject(new Error(`wadesk exited (${JSON.stringify(e)}):\n${this.tail}`)));
        });
        return this.base;
    }

    // SIGTERM, then SIGKILL after 30 s. Returns how long the shutdown took (ms). Throws when it
    // needed the SIGKILL or the process did not exit cleanly.
    async stop() {
        const t = performance.now();
        this.proc.kill('SIGTERM');
        const e = await Promise.race([this.exited, sleep(30000).then(() => null)]);
        if (!e) {
            this.proc.kill('SIGKILL');
            await this.exited;
            throw new Error(`wadesk did not exit within 30 s of SIGTERM:\n${this.tail}`);
        }
        if (!(e.code === 0 || e.signal === 'SIGTERM')) throw new Error(`wadesk exited uncleanly ${JSON.stringify(e)}:\n${this.tail}`);
        return performance.now() - t;
    }
}

// Links one new wadesk session to the emulator account `phone`: create → QR → scan → connected.
// Returns the session id.
export async function linkSession(base, token, sim, phone, name) {
    const s = await ok(http(base, 'POST', '/api/whatsapp/sessions', { token, body: { name } }), 'create session');
    const qr = await until(`QR of session ${name}`, async () => {
        const q = await ok(http(base, 'GET', `/api/whatsapp/sessions/${s.sessionId}/qr`, { token }), 'qr');
        return q.qr ? q : null;
    }, 60000, 100);
    const scan = await sim.control('POST', `/accounts/${phone}/scan`, { qr: qr.qr });
    if (scan.status !== 200) throw new Error(`scan ${phone}: ${scan.status} ${scan.text}`);
    await until(`session ${name} connected`, async () => {
        const g = await ok(http(base, 'GET', `/api/whatsapp/sessions/${s.sessionId}`, { token }), 'session');
        if (['failed', 'logged_out', 'disconnected'].includes(g.status)) throw new Error(`session ${name} ended ${g.status} ${g.statusReason ?? ''}`);
        return g.status === 'connected' ? g : null;
    }, 60000, 200);
    return { sessionId: s.sessionId, deviceId: scan.json.device_id };
}

// The value of one Prometheus series (no labels) in a /metrics text.
export function metric(text, name) {
    const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
}
