// The link benchmark (issue 4): N WhatsApp sessions of a real `wadesk serve` (native engine,
// SQLite) linked through the emulator (wadesk-sim), then
//   - memory: VmRSS of the wadesk process once all N are connected and idle, minus its VmRSS
//     before the first session existed, divided by N;
//   - reconnect: SIGTERM, start again on the same database, time from the spawn (and from the
//     "listening on" log line) until all N are `connected` again;
// and, in the same run against the same emulator, M unmodified Baileys 7 sockets in one Node
// process (bench/walink/baileys-sockets.mjs), RSS per open idle socket measured the same way.
// Prints one JSON object on stdout; progress goes to stderr.
//   node walink-bench.mjs --build DIR [--sessions 1000] [--baileys 100] [--concurrency 50]
//                         [--baileys-concurrency 5] [--settle 10]
import { execFile, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import {
    Wadesk, binaries, cpuSeconds, http, linkSession, load1, makeLog, ok, option, pool, sleep, startSim, until,
} from '../lib/wa-bench.mjs';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const { wadeskBin, simBin } = binaries();
const nSessions = Number(option('sessions', 1000));
const nBaileys = Number(option('baileys', 100));
const concurrency = Number(option('concurrency', 50));
const baileysConcurrency = Number(option('baileys-concurrency', 5));
const settleMs = Number(option('settle', 10)) * 1000;
const log = makeLog('walink');

function procStatus(pid) {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN);
    return { rss_kb: kb('VmRSS'), rss_anon_kb: kb('RssAnon'), rss_file_kb: kb('RssFile'), threads: Number(/^Threads:\s+(\d+)$/m.exec(text)?.[1]) };
}

async function listSessions(base, token) {
    const r = await http(base, 'GET', '/api/whatsapp/sessions', { token });
    if (r.status !== 200) throw new Error(`list sessions: ${r.status} ${r.text.slice(0, 300)}`);
    const d = r.json.data;
    return Array.isArray(d) ? d : (d.items ?? d.sessions);
}

function phoneOf(i) { return `1555${String(1000000 + i)}`; }

async function main() {
    for (const b of [wadeskBin, simBin]) await execFileP('test', ['-x', b]).catch(() => { throw new Error(`${b} is not built`); });
    const work = mkdtempSync(path.join(tmpdir(), 'wadesk-walink-'));
    const cleanup = [];
    const result = {
        sessions: nSessions, baileys_sockets: nBaileys, concurrency, settle_s: settleMs / 1000, load1_start: load1(),
    };
    try {
        const sim = await startSim(simBin, path.join(work, 'sim'));
        cleanup.push(() => sim.proc.kill('SIGTERM'));
        log(`sim at ${sim.wsUrl}; creating ${nSessions + nBaileys} accounts`);
        await pool(nSessions + nBaileys, 16, async (i) => {
            const r = await sim.control('POST', '/accounts', { phone: phoneOf(i), name: `Bench ${i}` });
            if (r.status !== 201) throw new Error(`create account ${i}: ${r.status} ${r.text}`);
        });

        // wadesk on a fresh SQLite database.
        const env = {
            ...process.env, WADESK_DATA_DIR: path.join(work, 'data'), WADESK_JWT_SECRET: randomBytes(32).toString('hex'),
            WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey, WADESK_LOG_LEVEL: 'info',
        };
        delete env.DATABASE_URL;
        const email = 'bench@walink.test';
        const password = `pw-${randomBytes(9).toString('base64url')}`;
        await execFileP(wadeskBin, ['company', 'create', '--name', 'Walink bench', '--admin-email', email,
            '--admin-password', password, '--max-sessions', String(nSessions + 10)], { env });
        let wadesk = new Wadesk(wadeskBin, env);
        let base = await wadesk.start();
        cleanup.push(() => wadesk.proc.kill('SIGKILL'));
        const login = async () => (await ok(http(base, 'POST', '/api/auth/login', { body: { email, password } }), 'login')).token;
        let token = await login();
        await sleep(2000);
        const before = procStatus(wadesk.proc.pid);
        log(`wadesk up, RSS ${before.rss_kb} KB before any session; linking ${nSessions} sessions, ${concurrency} at a time`);

        // Link: create → QR → the account's phone scans → connected.
        const ids = new Array(nSessions);
        const tLink = performance.now();
        const cpuLink0 = cpuSeconds(wadesk.proc.pid);
        let linked = 0;
        await pool(nSessions, concurrency, async (i) => {
            ids[i] = (await linkSession(base, token, sim, phoneOf(i), `s${i}`)).sessionId;
            if (++linked % 100 === 0) log(`${linked} linked (${((performance.now() - tLink) / 1000).toFixed(1)} s, load ${load1()})`);
        });
        result.link_seconds = Number(((performance.now() - tLink) / 1000).toFixed(1));
        result.link_cpu_s = Number((cpuSeconds(wadesk.proc.pid) - cpuLink0).toFixed(1));
        const all = await listSessions(base, token);
        const connected = all.filter((s) => s.status === 'connected').length;
        if (connected !== nSessions) throw new Error(`after linking ${connected}/${nSessions} connected`);
        log(`all ${nSessions} connected in ${result.link_seconds} s; idle for ${settleMs / 1000} s`);
        await sleep(settleMs);
        const idle = procStatus(wadesk.proc.pid);
        const cpuIdle0 = cpuSeconds(wadesk.proc.pid);
        await sleep(5000);
        result.idle_cpu_pct = Number(((cpuSeconds(wadesk.proc.pid) - cpuIdle0) / 5 * 100).toFixed(1));
        result.wadesk = {
            rss_kb_before: before.rss_kb, rss_kb_idle: idle.rss_kb, rss_anon_kb_before: before.rss_anon_kb,
            rss_anon_kb_idle: idle.rss_anon_kb, threads: idle.threads,
            kb_per_session: Number(((idle.rss_kb - before.rss_kb) / nSessions).toFixed(1)),
            load1: load1(),
        };
        log(`idle RSS ${idle.rss_kb} KB → ${result.wadesk.kb_per_session} KB per session`);

        // Restart on the same database.
        result.shutdown_ms = Math.round(await wadesk.stop());
        log(`stopped in ${result.shutdown_ms} ms; restarting`);
        const loadBeforeRestart = load1();
        wadesk = new Wadesk(wadeskBin, env);
        base = await wadesk.start();
        token = await login();
        let restConnectedAt = null;
        await until('all sessions connected after restart', async () => {
            const list = await listSessions(base, token);
            const n = list.filter((s) => s.status === 'connected').length;
            if (n === nSessions && wadesk.ready >= nSessions) {
                restConnectedAt = performance.now() - wadesk.t0;
                return true;
            }
            return false;
        }, 120000, 100);
        const lastReady = wadesk.readyAt[nSessions - 1];
        result.reconnect = {
            from_spawn_ms: Math.round(lastReady),
            from_listening_ms: Math.round(lastReady - wadesk.listeningAt),
            listening_at_ms: Math.round(wadesk.listeningAt),
            first_ready_ms: Math.round(wadesk.readyAt[0]),
            median_ready_ms: Math.round(wadesk.readyAt[Math.floor(nSessions / 2)]),
            rest_confirmed_ms: Math.round(restConnectedAt),
            load1_before: loadBeforeRestart,
            load1_after: load1(),
        };
        log(`reconnected ${nSessions} in ${result.reconnect.from_spawn_ms} ms from spawn (${result.reconnect.from_listening_ms} ms from listening)`);
        await sleep(settleMs);
        const idle2 = procStatus(wadesk.proc.pid);
        result.wadesk.rss_kb_idle_after_restart = idle2.rss_kb;
        result.wadesk.kb_per_session_after_restart = Number(((idle2.rss_kb - before.rss_kb) / nSessions).toFixed(1));
        await wadesk.stop();

        // Baileys in one Node process, same emulator, accounts of its own.
        if (nBaileys > 0) {
            log(`Baileys: ${nBaileys} sockets in one process, ${baileysConcurrency} at a time`);
            const child = fork(path.join(here, 'baileys-sockets.mjs'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            cleanup.push(() => child.kill('SIGKILL'));
            const inbox = [];
            const waiters = [];
            child.on('message', (m) => { const w = waiters.shift(); if (w) w(m); else inbox.push(m); });
            const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)));
            if ((await next()).type !== 'hello') throw new Error('baileys worker did not start');
            child.send({
                cmd: 'run', wsUrl: sim.wsUrl, rootKey: sim.rootKey, controlUrl: sim.controlUrl,
                phones: Array.from({ length: nBaileys }, (_, k) => phoneOf(nSessions + k)),
                concurrency: baileysConcurrency, settleMs, authRoot: path.join(work, 'baileys'),
            });
            let m = await next();
            if (m.type !== 'error') m = await next();
            if (m.type === 'error') {
                // Recorded (and shown by report.mjs) rather than losing the wadesk results.
                log(`Baileys run failed: ${m.message}`);
                result.baileys_error = m.message.split('\n')[0];
            } else {
                result.baileys = { ...m, load1: load1() };
                delete result.baileys.type;
                log(`Baileys: ${m.kb_per_socket} KB per socket`);
            }
            child.send({ cmd: 'exit' });
        }
        result.sim_rss_kb = procStatus(sim.proc.pid).rss_kb;
        result.load1_end = load1();
        result.targets = {
            kb_per_session_lt_300: result.wadesk.kb_per_session < 300,
            reconnect_lt_10s: result.reconnect.from_spawn_ms < 10000,
        };
        process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
        for (const f of cleanup.reverse()) { try { f(); } catch { /* already gone */ } }
        await sleep(500);
        rmSync(work, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
