// The receive pipeline benchmark: emulated phones (wadesk-sim) send Signal-encrypted texts to N
// linked sessions of a real `wadesk serve`, per backend (SQLite, PostgreSQL), in two measured
// phases after a warm-up text per session (which sets up each Signal session):
//   - max: --rate texts/s (the 5,000) for --max-duration s; committed/s = growth of
//     wadesk_receive_committed_total (/metrics) from the start to the last commit, over that time;
//   - paced: --paced-rate texts/s (default half the max phase's committed/s) for --duration s, so
//     latency is not queueing: the send time is in each text ("bench-paced <seq> <µs>", stamped
//     by the emulator just before encrypting) and read back from the `whatsapp:message` Socket.IO
//     event at a socket.io-client in this process;
// in both: socket-thread stall (the sim pings one idle linked session every --ping-ms and times
// each reply), CPU seconds of wadesk, the emulator, PostgreSQL (postmaster and backends) and this
// driver; and PostgreSQL's transactions and rows written per message over the whole run. Then, against the same
// emulator, M Baileys 7 sockets in one Node process (bench/receive/baileys-receive.mjs) receiving
// the max phase's per-session rate for --max-duration s.
// The texts come from the emulator's load generator (POST /load, docs/sim.md), not one HTTP
// request per message. Prints one JSON object on stdout; progress goes to stderr.
//   node receive-bench.mjs --build DIR [--sessions 1000] [--contacts 20] [--rate 5000] [--max-duration 8]
//        [--paced-rate 0 (= half the measured rate)] [--duration 20]
//        [--backends sqlite,postgres] [--baileys 100] [--concurrency 50] [--baileys-concurrency 5]
//        [--ping-ms 100] [--pg-dir DIR] [--wadesk-log warn]
// PostgreSQL: WADESK_BENCH_PG_URL; --pg-dir (or WADESK_BENCH_PG_DIR) is its scripts/pg-temp.sh directory, to
// find its processes. wadesk logs at warn by default: at info it writes one line per saved message.
import { execFile, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import {
    Wadesk, binaries, socketIo, busiestThreads, cpuSeconds, http, linkSession, load1, machineCpuSeconds, makeLog, metric, ok, option, pool, quantiles, rssKb, sleep,
    startSim, threadCpuSeconds, treeCpuSeconds, until,
} from '../lib/wa-bench.mjs';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const io = socketIo();

const { wadeskBin, simBin } = binaries();
const nSessions = Number(option('sessions', 1000));
const nContacts = Number(option('contacts', 20));
const rate = Number(option('rate', 5000));
const duration = Number(option('duration', 20));
const maxSeconds = Number(option('max-duration', 8));
const pacedRate = Number(option('paced-rate', 0));
const backends = option('backends', 'sqlite,postgres').split(',').filter(Boolean);
const nBaileys = Number(option('baileys', 100));
const concurrency = Number(option('concurrency', 50));
const baileysConcurrency = Number(option('baileys-concurrency', 5));
const pingMs = Number(option('ping-ms', 100));
const pgDir = option('pg-dir', process.env.WADESK_BENCH_PG_DIR || '');
const wadeskLog = option('wadesk-log', 'warn');
let pgUrl = null;  // the database of the PostgreSQL run
const log = makeLog('receive');
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const round = (x, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

const contactPhone = (i) => `1556900${String(1000 + i)}`;
const sessionPhone = (b, i) => `155${6 + b}${String(1000000 + i)}`;  // b: 0 sqlite, 1 postgres
const baileysPhone = (i) => `1559${String(1000000 + i)}`;

// PostgreSQL's own counters (pg_stat_database, pg_stat_user_tables), read through psql.
async function pgStats() {
    // A busy backend flushes its statistics when it goes idle, within 10 s (PGSTAT_IDLE_INTERVAL).
    await sleep(11000);
    const sql = "SELECT 'db', xact_commit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database() "
        + "UNION ALL SELECT relname, 0, seq_tup_read, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables";
    const { stdout } = await execFileP('psql', [pgUrl, '-AtF', '\t', '-c', sql]);
    const rows = {};
    for (const line of stdout.trim().split('\n')) {
        const [name, ...v] = line.split('\t');
        rows[name] = v.map(Number);
    }
    return rows;
}

// Per committed message: transactions, rows read, and rows written per table.
function pgPerMessage(a, b, n) {
    const d = (name, i) => ((b[name]?.[i] ?? 0) - (a[name]?.[i] ?? 0)) / n;
    const tables = {};
    for (const name of Object.keys(b)) {
        if (name === 'db') continue;
        const w = d(name, 3) + d(name, 4) + d(name, 5);
        if (w > 0.01) tables[name] = round(w, 2);
    }
    return {
        transactions: round(d('db', 0), 2), rows_returned: round(d('db', 1), 1), rows_fetched: round(d('db', 2), 1),
        rows_written: round(d('db', 3) + d('db', 4) + d('db', 5), 2), written_by_table: tables,
    };
}

function postmasterPid() {
    if (!pgDir) return null;
    try { return Number(readFileSync(path.join(pgDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]); } catch { return null; }
}

// Runs a load on the emulator and waits until it sent everything. Returns its final status.
async function runLoad(sim, spec) {
    const r = await sim.control('POST', '/load', spec);
    if (r.status !== 200) throw new Error(`start load: ${r.status} ${r.text}`);
    return until('the emulator to send its load', async () => {
        const s = await sim.control('GET', '/load');
        return s.json.running ? null : s.json;
    }, (spec.count / spec.rate) * 1000 * 4 + 60000, 200);
}

// Polls `count()` until it reaches `target` or stops moving for `stallMs`; returns the time (ms,
// performance.now) it last moved and its value.
async function waitCount(count, target, stallMs = 20000) {
    let last = await count();
    let lastAt = performance.now();
    while (last < target) {
        await sleep(50);
        const v = await count();
        if (v !== last) {
            last = v;
            lastAt = performance.now();
        } else if (performance.now() - lastAt > stallMs) {
            break;
        }
    }
    return { value: last, at: lastAt };
}

// Pings one device through the emulator every `everyMs` until stop(); each ping id is tagged with
// the phase it was sent in.
function startPinger(sim, phone, device, everyMs) {
    const phaseOf = new Map();
    let phase = 'idle';
    let stopped = false;
    const errors = [];
    const loop = (async () => {
        while (!stopped) {
            const r = await sim.control('POST', `/accounts/${phone}/devices/${device}/ping`);
            if (r.status === 200) phaseOf.set(r.json.id, phase); else errors.push(`${r.status} ${r.text}`);
            await sleep(everyMs);
        }
    })();
    return {
        setPhase: (p) => { phase = p; },
        async stop() {
            stopped = true;
            await loop;
            await sleep(Math.max(1000, everyMs * 2));
            const r = await sim.control('GET', `/accounts/${phone}/devices/${device}/pings`);
            const byPhase = {};
            for (const p of r.json.pings) {
                const ph = phaseOf.get(p.id);
                if (!ph) continue;
                (byPhase[ph] ??= []).push(p.rtt_ms);
            }
            const answered = Object.values(byPhase).reduce((n, a) => n + a.length, 0);
            return { byPhase, sent: phaseOf.size, unanswered: phaseOf.size - answered, errors: errors.slice(0, 3) };
        },
    };
}

async function runWadesk(sim, work, backend, b) {
    const result = { backend, sessions: nSessions };
    const env = {
        ...process.env, WADESK_DATA_DIR: path.join(work, `data-${backend}`), WADESK_JWT_SECRET: randomBytes(32).toString('hex'),
        WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey, WADESK_LOG_LEVEL: wadeskLog,
    };
    delete env.DATABASE_URL;
    if (backend === 'postgres') {
        if (!process.env.WADESK_BENCH_PG_URL) throw new Error('WADESK_BENCH_PG_URL is not set (scripts/run-bench.sh starts one)');
        // A database of its own on that server: other sections (http) leave theirs filled.
        const db = `wadesk_receive_${randomBytes(4).toString('hex')}`;
        await execFileP('psql', [process.env.WADESK_BENCH_PG_URL, '-qc', `CREATE DATABASE ${db}`]);
        env.DATABASE_URL = process.env.WADESK_BENCH_PG_URL.replace(/\/[^/?]*(\?.*)?$/, `/${db}$1`);
        pgUrl = env.DATABASE_URL;
    }
    const email = `bench-${backend}-${randomBytes(3).toString('hex')}@receive.test`;
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    await execFileP(wadeskBin, ['company', 'create', '--name', `Receive bench ${backend}`, '--admin-email', email,
        '--admin-password', password, '--max-sessions', String(nSessions + 10)], { env });
    const wadesk = new Wadesk(wadeskBin, env);
    const base = await wadesk.start();
    try {
        const token = (await ok(http(base, 'POST', '/api/auth/login', { body: { email, password } }), 'login')).token;
        log(`${backend}: linking ${nSessions} sessions + 1 idle, ${concurrency} at a time`);
        const tLink = performance.now();
        await pool(nSessions + 1, concurrency, async (i) => {
            await linkSession(base, token, sim, sessionPhone(b, i), `r${i}`);
            if ((i + 1) % 250 === 0) log(`${backend}: ${i + 1} linked (${((performance.now() - tLink) / 1000).toFixed(0)} s)`);
        });
        result.link_s = round((performance.now() - tLink) / 1000);
        const idlePhone = sessionPhone(b, nSessions);
        const idleDevice = (await sim.control('GET', `/accounts/${idlePhone}/devices`)).json.devices[0].id;

        // The Socket.IO client: every whatsapp:message of the company (an admin sees all sessions).
        const socket = io(base, { auth: { token }, transports: ['websocket'], reconnection: false });
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
        const seen = { warm: 0, bench: 0, latenciesMs: [], lastAt: 0, prefix: null };
        socket.on('whatsapp:message', (e) => {
            const text = e?.message?.body;
            if (typeof text !== 'string') return;
            if (text.startsWith('warm ')) { seen.warm++; return; }
            if (!seen.prefix || !text.startsWith(seen.prefix)) return;
            seen.bench++;
            seen.lastAt = performance.now();
            seen.latenciesMs.push((nowUs() - Number(text.slice(text.lastIndexOf(' ') + 1))) / 1000);
        });
        const committed = async () => metric((await http(base, 'GET', '/metrics')).text, 'wadesk_receive_committed_total');
        const pairs = Array.from({ length: nSessions }, (_, i) => ({ from: contactPhone(i % nContacts), to: sessionPhone(b, i) }));

        const pgPid = backend === 'postgres' ? postmasterPid() : null;
        const pg0 = pgUrl && backend === 'postgres' ? await pgStats() : null;
        const c00 = await committed();
        // Warm-up: one text per pair sets up each Signal session (the first message is a pkmsg).
        log(`${backend}: warm-up, one text per session`);
        const c0w = await committed();
        await runLoad(sim, { pairs, rate: Math.min(1000, rate), count: nSessions, text_prefix: 'warm' });
        await waitCount(committed, c0w + nSessions);
        await until('warm-up events', async () => seen.warm >= nSessions, 30000, 100).catch(() => {});
        result.warm_events = seen.warm;

        // One measured phase: `phaseRate` texts/s for `seconds`, then until the last commit.
        const measure = async (phase, phaseRate, seconds) => {
            const pinger = startPinger(sim, idlePhone, idleDevice, pingMs);
            await sleep(3000);
            pinger.setPhase('burst');
            seen.bench = 0;
            seen.latenciesMs = [];
            const prefix = `bench-${phase} `;
            seen.prefix = prefix;
            const c0 = await committed();
            const cpu0 = { wadesk: cpuSeconds(wadesk.proc.pid), sim: cpuSeconds(sim.proc.pid), pg: pgPid ? treeCpuSeconds(pgPid) : NaN, driver: process.cpuUsage() };
            const threads0 = threadCpuSeconds(wadesk.proc.pid);
            const machine0 = machineCpuSeconds();
            const count = Math.round(phaseRate * seconds);
            log(`${backend} ${phase}: ${count} texts at ${phaseRate}/s from ${nContacts} contacts to ${nSessions} sessions`);
            const t0 = performance.now();
            const load = await runLoad(sim, { pairs, rate: phaseRate, count, text_prefix: prefix.trim() });
            const tSent = performance.now();
            const done = await waitCount(committed, c0 + load.sent);
            await until('the events', async () => seen.bench >= load.sent, 5000, 50).catch(() => {});
            const window = (done.at - t0) / 1000;
            const cpu = {
                wadesk: cpuSeconds(wadesk.proc.pid) - cpu0.wadesk, sim: cpuSeconds(sim.proc.pid) - cpu0.sim,
                pg: pgPid ? treeCpuSeconds(pgPid) - cpu0.pg : NaN,
                driver: (() => { const u = process.cpuUsage(cpu0.driver); return (u.user + u.system) / 1e6; })(),
            };
            const threads = busiestThreads(threads0, threadCpuSeconds(wadesk.proc.pid), window);
            const machine1 = machineCpuSeconds();
            const machineBusy = (machine1.busy - machine0.busy) / window;
            const pings = await pinger.stop();
            const n = done.value - c0;
            const lat = quantiles(seen.latenciesMs);
            const idlePing = quantiles(pings.byPhase.idle ?? []);
            const burstPing = quantiles(pings.byPhase.burst ?? []);
            const r = {
                phase, asked_rate: phaseRate, duration_s: seconds, asked: count, sim_sent: load.sent, sim_failed: load.failed,
                sim_send_s: round(load.elapsed_s, 2), sim_rate: round(load.sent / load.elapsed_s, 0),
                committed: n, window_s: round(window, 2), committed_per_s: round(n / window, 0),
                drain_s: round((done.at - tSent) / 1000, 2),
                events: seen.bench, events_lost: load.sent - seen.bench,
                latency_ms: { p50: round(lat.p50, 2), p90: round(lat.p90, 2), p99: round(lat.p99, 2), max: round(lat.max, 2) },
                ping_idle_ms: { n: idlePing.n, p50: round(idlePing.p50, 2), p99: round(idlePing.p99, 2), max: round(idlePing.max, 2) },
                ping_burst_ms: { n: burstPing.n, p50: round(burstPing.p50, 2), p99: round(burstPing.p99, 2), max: round(burstPing.max, 2) },
                pings_unanswered: pings.unanswered, ping_errors: pings.errors,
                cpu_s: { wadesk: round(cpu.wadesk, 2), sim: round(cpu.sim, 2), postgres: round(cpu.pg, 2), driver: round(cpu.driver, 2) },
                cpu_us_per_msg: {
                    wadesk: round((cpu.wadesk / n) * 1e6, 0), sim: round((cpu.sim / n) * 1e6, 0),
                    postgres: round((cpu.pg / n) * 1e6, 0), driver: round((cpu.driver / n) * 1e6, 0),
                },
                wadesk_busiest_threads: threads, machine_busy_cores: round(machineBusy, 2), load1: load1(),
            };
            log(`${backend} ${phase}: ${n} committed in ${window.toFixed(1)} s = ${r.committed_per_s}/s; latency p50 ${r.latency_ms.p50} p99 ${r.latency_ms.p99} ms; `
                + `idle ping during p99 ${r.ping_burst_ms.p99} ms max ${r.ping_burst_ms.max} ms; CPU µs/msg wadesk ${r.cpu_us_per_msg.wadesk} sim ${r.cpu_us_per_msg.sim} pg ${r.cpu_us_per_msg.postgres}`);
            return r;
        };
        // Throughput: the asked rate (above what this machine commits) for maxSeconds; then latency
        // at a paced rate the pipeline keeps up with (--paced-rate, or half the measured rate).
        result.max = await measure('max', rate, maxSeconds);
        const paced = pacedRate > 0 ? pacedRate : Math.max(100, Math.floor(result.max.committed_per_s / 2 / 100) * 100);
        result.paced = await measure('paced', paced, duration);
        result.wadesk_rss_kb = rssKb(wadesk.proc.pid);
        // PostgreSQL's counters over the whole run (warm-up and both phases): per committed message.
        if (pg0) result.pg_per_msg = pgPerMessage(pg0, await pgStats(), (await committed()) - c00);
        socket.close();
    } finally {
        await wadesk.stop();
    }
    return result;
}

async function runBaileys(sim, work) {
    const perSocket = rate / nSessions;
    const total = perSocket * nBaileys;
    const result = { sockets: nBaileys, rate_per_socket: round(perSocket, 2), asked_rate: round(total, 1) };
    const child = fork(path.join(here, 'baileys-receive.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const inbox = [];
    const waiters = [];
    child.on('message', (m) => { const w = waiters.shift(); if (w) w(m); else inbox.push(m); });
    const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)));
    const stats = async () => { child.send({ cmd: 'stats' }); return next(); };
    try {
        if ((await next()).type !== 'hello') throw new Error('baileys worker did not start');
        log(`Baileys: linking ${nBaileys} sockets in one process, ${baileysConcurrency} at a time`);
        const phones = Array.from({ length: nBaileys }, (_, k) => baileysPhone(k));
        child.send({
            cmd: 'link', wsUrl: sim.wsUrl, rootKey: sim.rootKey, controlUrl: sim.controlUrl, phones,
            concurrency: baileysConcurrency, authRoot: path.join(work, 'baileys'), prefix: 'warm ',
        });
        const linked = await next();
        if (linked.type !== 'linked') throw new Error(linked.message);
        result.link_s = round(linked.link_ms / 1000);
        const pairs = phones.map((p, k) => ({ from: contactPhone(k % nContacts), to: p }));
        await runLoad(sim, { pairs, rate: Math.min(200, total), count: nBaileys, text_prefix: 'warm' });
        await until('Baileys warm-up', async () => (await stats()).received >= nBaileys, 60000, 200).catch(() => {});
        child.send({ cmd: 'mark', prefix: 'bench ' });
        const sim0 = cpuSeconds(sim.proc.pid);
        const count = Math.round(total * maxSeconds);
        log(`Baileys: ${count} texts at ${round(total, 1)}/s`);
        const load = await runLoad(sim, { pairs, rate: total, count, text_prefix: 'bench' });
        const done = await waitCount(async () => (await stats()).received, load.sent, 20000);
        const s = await stats();
        Object.assign(result, {
            sim_sent: load.sent, received: s.received, lost: load.sent - s.received, window_s: round(s.last_s, 2),
            handled_per_s: round(s.received / s.last_s, 0), cpu_s: round(s.cpu_s, 2),
            cpu_us_per_msg: round((s.cpu_s / Math.max(1, s.received)) * 1e6, 0),
            cpu_pct: round((s.cpu_s / s.window_s) * 100, 1), sim_cpu_s: round(cpuSeconds(sim.proc.pid) - sim0, 2),
            latency_ms: { p50: round(s.p50_ms, 2), p99: round(s.p99_ms, 2), max: round(s.max_ms, 2) },
            rss_kb: s.rss_kb, load1: load1(), stalled: done.value < load.sent,
        });
        log(`Baileys: ${s.received} handled, ${result.handled_per_s}/s, ${result.cpu_us_per_msg} µs CPU per message`);
    } finally {
        child.send({ cmd: 'exit' });
    }
    return result;
}

async function main() {
    for (const bin of [wadeskBin, simBin]) await execFileP('test', ['-x', bin]).catch(() => { throw new Error(`${bin} is not built`); });
    const work = mkdtempSync(path.join(tmpdir(), 'wadesk-receive-'));
    const result = {
        sessions: nSessions, contacts: nContacts, rate, duration_s: duration, ping_ms: pingMs, wadesk_log: wadeskLog, load1_start: load1(), runs: [],
    };
    let sim;
    try {
        sim = await startSim(simBin, path.join(work, 'sim'));
        const phones = [
            ...Array.from({ length: nContacts }, (_, i) => contactPhone(i)),
            ...backends.flatMap((name) => {
                const b = name === 'postgres' ? 1 : 0;
                return Array.from({ length: nSessions + 1 }, (_, i) => sessionPhone(b, i));
            }),
            ...Array.from({ length: nBaileys }, (_, i) => baileysPhone(i)),
        ];
        log(`sim at ${sim.wsUrl}; creating ${phones.length} accounts`);
        await pool(phones.length, 16, async (i) => {
            const r = await sim.control('POST', '/accounts', { phone: phones[i], name: `Bench ${i}` });
            if (r.status !== 201) throw new Error(`create account ${phones[i]}: ${r.status} ${r.text}`);
        });
        for (const backend of backends) {
            const simCpu0 = cpuSeconds(sim.proc.pid);
            const run = await runWadesk(sim, work, backend, backend === 'postgres' ? 1 : 0);
            run.sim_cpu_whole_run_s = round(cpuSeconds(sim.proc.pid) - simCpu0, 1);
            result.runs.push(run);
        }
        if (nBaileys > 0) {
            try {
                result.baileys = await runBaileys(sim, work);
            } catch (e) {
                log(`Baileys run failed: ${e.message}`);
                result.baileys_error = String(e.message).split('\n')[0];
            }
        }
        result.sim_rss_kb = rssKb(sim.proc.pid);
        result.load1_end = load1();
        process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
        sim?.proc.kill('SIGTERM');
        await sleep(500);
        rmSync(work, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
