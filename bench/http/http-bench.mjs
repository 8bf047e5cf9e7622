#!/usr/bin/env node
// HTTP read-path benchmark of wadesk: seeds a fresh database with wadesk-bench-seed, starts the
// real server on it, logs in, and drives four request mixes with wrk (bench/http/rotate.lua):
//   chats     GET /api/whatsapp/sessions/{id}/chats?limit=50              (every seeded session)
//   messages  GET .../chats/{chatId}/messages?limit=50                    (many chats)
//   deep      GET .../chats/{chatId}/messages?page=8&limit=50             (the biggest chats)
//   before    GET .../chats/{chatId}/messages?limit=50&before={messageId}  (cursor at depth 400)
// each once paced near --rate req/s (wrk has no rate control: a few connections each wait
// between requests; the achieved rate is reported), once at maximum throughput, and once over a
// single connection (the server's own time per request, without queueing). Prints a
// Markdown table and, with --doc, writes it into docs/benchmarks.md between markers.
//
// Usage: node bench/http/http-bench.mjs --build build --backend sqlite|postgres
//        [--pg-url postgres://...] [--sessions 5] [--chats 2000] [--messages 1000000]
//        [--duration 15] [--rate 2000] [--keep]
//        [--db-url URL --admin-email E --admin-password P]   (reuse a database seeded before by
//        wadesk-bench-seed with that admin: no seeding, nothing dropped; before/after comparisons
//        then run on the very same rows)   [--mixes deep,before] (a subset of the four mixes)
// WADESK_BIN / WADESK_SEED_BIN override the binaries of --build.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

function parseArgs(argv) {
    const o = { build: 'build', backend: 'sqlite', sessions: 5, chats: 2000, messages: 1000000, duration: 15,
        rate: 2000, connections: 32, pacedConnections: 16, threads: 2, doc: null, keep: false, pgUrl: process.env.WADESK_BENCH_PG_URL,
        dbUrl: null, adminEmail: null, adminPassword: null, mixes: 'chats,messages,deep,before' };
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i].replace(/^--/, '');
        const camel = k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
        if (k === 'keep') { o.keep = true; continue; }
        const v = argv[++i];
        o[camel] = ['build', 'backend', 'doc', 'pgUrl', 'dbUrl', 'adminEmail', 'adminPassword', 'mixes'].includes(camel) ? v : Number(v);
    }
    return o;
}

const opt = parseArgs(process.argv.slice(2));
const buildDir = path.resolve(repo, opt.build);
const wadesk = process.env.WADESK_BIN || path.join(buildDir, 'wadesk');
const seeder = process.env.WADESK_SEED_BIN || path.join(buildDir, 'wadesk-bench-seed');
const log = (...a) => console.error('[http-bench]', ...a);

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function api(base, method, p, token, body) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(base + p, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const j = await r.json().catch(() => null);
    if (!r.ok || !j?.success) throw new Error(`${method} ${p}: HTTP ${r.status} ${JSON.stringify(j)}`);
    return j.data;
}
const listOf = (d, key) => (Array.isArray(d) ? d : d[key] ?? Object.values(d).find(Array.isArray));

// Runs wrk once; returns { rps, p50, p90, p99, requests, non2xx, errors, raw }.
async function wrk({ base, urlsFile, token, seconds, connections, threads, delayMs }) {
    const env = { ...process.env, WADESK_BENCH_URLS: urlsFile, WADESK_BENCH_TOKEN: token, WADESK_BENCH_DELAY_MS: String(delayMs) };
    const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '--timeout', '5s',
        '-s', path.join(here, 'rotate.lua'), base];
    const { stdout } = await execFileP('wrk', args, { env, maxBuffer: 1 << 20 });
    const toMs = (s) => {
        const m = /([\d.]+)(us|ms|s)/.exec(s);
        return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
    };
    const pct = (p) => { const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout); return m ? toMs(m[1]) : NaN; };
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
    const errLine = /Socket errors:.*$/m.exec(stdout)?.[0] ?? '';
    return { rps, p50: pct(50), p90: pct(90), p99: pct(99), requests, non2xx, errors: errLine, raw: stdout, args: `WADESK_BENCH_DELAY_MS=${delayMs} wrk ${args.join(' ')}` };
}

async function createDatabase() {
    if (opt.dbUrl) {
        if (!opt.adminEmail || !opt.adminPassword) throw new Error('--db-url needs --admin-email and --admin-password');
        const dir = mkdtempSync(path.join(tmpdir(), 'wadesk-bench-'));
        return { dataDir: dir, url: opt.dbUrl, env: { DATABASE_URL: opt.dbUrl }, reused: true, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    }
    if (opt.backend === 'sqlite') {
        const dir = mkdtempSync(path.join(tmpdir(), 'wadesk-bench-'));
        const url = `sqlite://${path.join(dir, 'wadesk.db')}`;
        return { dataDir: dir, url, env: { DATABASE_URL: url }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    }
    if (!opt.pgUrl) throw new Error('postgres needs --pg-url or WADESK_BENCH_PG_URL');
    const name = `wadesk_bench_${Date.now().toString(36)}`;
    await execFileP('psql', [opt.pgUrl, '-qc', `CREATE DATABASE ${name}`]);
    const u = new URL(opt.pgUrl);
    u.pathname = `/${name}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'wadesk-bench-'));
    return {
        dataDir: dir, url: u.toString(), env: { DATABASE_URL: u.toString() },
        drop: async () => {
            rmSync(dir, { recursive: true, force: true });
            await execFileP('psql', [opt.pgUrl, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]).catch(() => {});
        },
    };
}

function parseJsonOut(stdout) {
    const s = stdout.trim();
    try { return JSON.parse(s); } catch { /* fall through */ }
    const a = s.indexOf('{');
    const b = s.lastIndexOf('}');
    return JSON.parse(s.slice(a, b + 1));
}

async function main() {
    for (const f of opt.dbUrl ? [wadesk] : [wadesk, seeder]) if (!existsSync(f)) throw new Error(`missing ${f} (build it first)`);
    const db = await createDatabase();
    const env = { ...process.env, ...db.env, WADESK_DATA_DIR: db.dataDir, WADESK_JWT_SECRET: randomBytes(32).toString('hex') };
    let server = null;
    try {
        const email = db.reused ? opt.adminEmail : `bench-admin-${Date.now()}@example.test`;
        const password = db.reused ? opt.adminPassword : `bench-${randomBytes(8).toString('hex')}`;
        let seedSeconds = 0;
        if (db.reused) {
            log(`reusing ${db.url} (seeded before; not seeded again)`);
        } else {
            // The seeder creates the schema, the company, its admin and the bulk rows.
            const seedArgs = ['--db', db.url, '--sessions', String(opt.sessions), '--chats', String(opt.chats),
                '--messages', String(opt.messages), '--admin-email', email, '--admin-password', password];
            log(`seeding: ${path.basename(seeder)} ${seedArgs.join(' ')}`);
            const t0 = Date.now();
            const seeded = await execFileP(seeder, seedArgs, { env, maxBuffer: 1 << 24, timeout: 3600000 });
            seedSeconds = (Date.now() - t0) / 1000;
            const seedOut = parseJsonOut(seeded.stdout);
            log(`seeded ${seedOut.chats} chats, ${seedOut.messages} messages in ${seedSeconds.toFixed(1)} s`);
        }

        server = spawn(wadesk, ['serve', '--listen', '127.0.0.1:0', '--data', db.dataDir], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        const base = await new Promise((resolve, reject) => {
            server.stderr.on('data', (d) => {
                stderr += d;
                const m = /listening on (http:\/\/\S+)/.exec(stderr);
                if (m) resolve(m[1].replace(/\/$/, ''));
            });
            server.on('exit', (c, s) => reject(new Error(`server exited ${c ?? s}: ${stderr}`)));
            setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60000);
        });
        server.stderr.removeAllListeners('data');
        server.stderr.resume();
        for (let i = 0; i < 600; i++) {
            const r = await fetch(`${base}/ready`).catch(() => null);
            if (r?.status === 200) break;
            await sleep(100);
        }
        const token = (await api(base, 'POST', '/api/auth/login', null, { email, password })).token;
        const sessions = listOf(await api(base, 'GET', '/api/whatsapp/sessions', token), 'sessions').map((s) => s.id);
        if (sessions.length === 0) throw new Error('the seeded company has no session');
        const work = mkdtempSync(path.join(tmpdir(), 'wadesk-bench-urls-'));
        const files = { chats: [], messages: [], deep: [], before: [] };
        for (const sid of sessions) {
            files.chats.push(`/api/whatsapp/sessions/${sid}/chats?limit=50`);
            // The most recently active chats of each session, and their sizes.
            for (let page = 1; page <= 2; page++) {
                const chats = listOf(await api(base, 'GET', `/api/whatsapp/sessions/${sid}/chats?limit=50&page=${page}`, token), 'chats');
                for (const c of chats) files.messages.push(`/api/whatsapp/sessions/${sid}/chats/${c.id}/messages?limit=50`);
            }
        }
        // Big chats: probe message totals of the listed chats and keep those with >= 450 messages.
        const big = [];
        for (const u of files.messages) {
            if (big.length >= 40) break;
            const d = await api(base, 'GET', u.replace('limit=50', 'page=9&limit=50'), token);
            if (listOf(d, 'messages').length > 0) big.push(u);
        }
        if (big.length === 0) throw new Error('no chat with 450+ messages among the listed chats: seed more messages');
        for (const u of big) {
            files.deep.push(u.replace('limit=50', 'page=8&limit=50'));
            const p8 = listOf(await api(base, 'GET', u.replace('limit=50', 'page=8&limit=50'), token), 'messages');
            files.before.push(`${u}&before=${p8[0].id}`);
        }
        const urlFiles = {};
        for (const [k, list] of Object.entries(files)) {
            urlFiles[k] = path.join(work, `${k}.txt`);
            writeFileSync(urlFiles[k], `${list.join('\n')}\n`);
        }
        log(`urls: chats ${files.chats.length}, messages ${files.messages.length}, deep ${files.deep.length}, before ${files.before.length}`);

        const results = [];
        for (const mix of ['chats', 'messages', 'deep', 'before'].filter((m) => opt.mixes.split(',').includes(m))) {
            // Warm up caches and the pool for a few seconds, unmeasured.
            await wrk({ base, urlsFile: urlFiles[mix], token, seconds: 3, connections: 8, threads: 1, delayMs: 0 });
            // Each paced connection's cycle is gap + latency, so C connections send about
            // C * 1000 / (gap + latency) req/s. The gap may be fractional (rotate.lua keeps it on
            // average). Short probes measure the rate at a gap, infer the latency part, and set
            // the gap for the target, until the rate is within 4 % of it: the paced rows must
            // measure the latency at the target rate, not above or below it.
            const cycleAt = (rps) => (opt.pacedConnections * 1000) / rps;
            const target = cycleAt(opt.rate);
            let pacedDelay = Math.max(0.5, target / 2);
            for (let step = 0; step < 5; step++) {
                const check = await wrk({ base, urlsFile: urlFiles[mix], token, seconds: 3, connections: opt.pacedConnections, threads: opt.threads, delayMs: pacedDelay });
                log(`${mix} probe: gap ${pacedDelay} ms -> ${check.rps} req/s`);
                if (Math.abs(check.rps - opt.rate) <= opt.rate * 0.04) break;
                const latency = Math.max(0, cycleAt(check.rps) - pacedDelay);
                pacedDelay = Math.round(Math.max(0.1, target - latency) * 10) / 10;
            }
            // The measured run itself must land near the target too (a 3 s probe can mislead):
            // when it does not, the gap is corrected the same way and the run repeated, twice at most.
            let paced;
            for (let attempt = 0; attempt < 3; attempt++) {
                paced = await wrk({ base, urlsFile: urlFiles[mix], token, seconds: opt.duration, connections: opt.pacedConnections, threads: opt.threads, delayMs: pacedDelay });
                if (Math.abs(paced.rps - opt.rate) <= opt.rate * 0.05) break;
                log(`${mix} paced run at gap ${pacedDelay} ms: ${paced.rps} req/s, off target; again`);
                pacedDelay = Math.round(Math.max(0.1, target - Math.max(0, cycleAt(paced.rps) - pacedDelay)) * 10) / 10;
            }
            const max = await wrk({ base, urlsFile: urlFiles[mix], token, seconds: opt.duration, connections: opt.connections, threads: opt.threads, delayMs: 0 });
            // One connection, no gap: the server's own time per request, with no queueing.
            const serial = await wrk({ base, urlsFile: urlFiles[mix], token, seconds: Math.max(3, Math.round(opt.duration / 3)), connections: 1, threads: 1, delayMs: 0 });
            const load1 = loadavg()[0];
            for (const r of [paced, max, serial]) r.load1 = load1;
            for (const [mode, r] of [[`paced (${opt.pacedConnections} conn, ${pacedDelay} ms gap)`, paced], [`max (${opt.connections} conn)`, max], ['serial (1 conn)', serial]]) {
                results.push({ mix, mode, ...r });
                log(`${opt.backend} ${mix} ${mode}: ${r.rps} req/s p50 ${r.p50} ms p99 ${r.p99} ms non2xx ${r.non2xx} ${r.errors}`);
            }
            if (server.exitCode !== null) throw new Error(`server died during ${mix}: ${stderr}`);
        }
        rmSync(work, { recursive: true, force: true });
        const out = { backend: opt.backend, seed: { sessions: opt.sessions, chats: opt.chats, messages: opt.messages, seconds: seedSeconds }, results };
        process.stdout.write(`${JSON.stringify(out)}\n`);
    } finally {
        if (server && server.exitCode === null) {
            server.kill('SIGTERM');
            await Promise.race([new Promise((r) => server.on('exit', r)), sleep(10000)]);
            if (server.exitCode === null) server.kill('SIGKILL');
        }
        if (!opt.keep) await db.drop();
    }
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
