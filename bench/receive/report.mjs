#!/usr/bin/env node
// Renders a receive-bench.mjs result (JSON line file) as a Markdown section and writes it into DOC
// between "<!-- receive-bench:begin -->" and "<!-- receive-bench:end -->" (appended when the
// markers are absent), leaving the other sections of the file alone.
// Usage: node bench/receive/report.mjs DOC COMMAND-LINE RESULT.json
import { cpus, totalmem, release, loadavg } from 'node:os';
import { baileysVersion as baileysVersionOf, fmt, lastResult, writeSection } from '../lib/report.mjs';

const [doc, command, file] = process.argv.slice(2);
const r = lastResult(file);
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const baileysVersion = baileysVersionOf();

const lines = [];
const L = (s = '') => lines.push(s);
L('<!-- receive-bench:begin -->');
L('## WhatsApp receive pipeline: messages committed per second, event latency, socket-thread stall');
L();
L(`Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} by \`${command}\` (scripts/run-bench.sh → bench/receive/receive-bench.mjs).`);
L(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()};`
    + ` 1-minute load average ${fmt(r.load1_start, 1)} at the start, ${fmt(r.load1_end, 1)} at the end`
    + ` (${loadavg().map((l) => l.toFixed(1)).join(' ')} at report time). wadesk, the emulator (which encrypts every`
    + ' message), PostgreSQL and the driver with its socket.io-client share the same two cores.');
L();
const first = r.runs[0];
L(`Method: one \`wadesk-sim\`; per backend a fresh \`wadesk serve\` (native engine, log level ${r.wadesk_log}) with ${r.sessions} sessions`);
L('linked through the emulator\'s phones as bench/walink does, plus one more linked session that receives nothing (the');
L(`idle session). ${r.contacts} contact accounts (emulated phones) send to the ${r.sessions} sessions round robin from the`);
L('emulator\'s own load generator (`POST /load`, docs/sim.md): each text is Signal-encrypted by the contact\'s phone for');
L('the session\'s companion device and carries its send time ("bench-<phase> <seq> <µs since the epoch>", stamped just');
L('before it is encrypted). One warm-up text per session first sets up every Signal session (pkmsg). Then two measured');
L(`phases: **max** asks for ${int(first?.max?.asked_rate)} texts/s for ${first?.max?.duration_s} s — more than this machine commits — so committed/s is the`);
L('pipeline\'s throughput (its latency is mostly queueing); **paced** asks for half of that throughput for');
L(`${first?.paced?.duration_s} s, so its latency is the pipeline's own. Committed/s = growth of \`wadesk_receive_committed_total\` (/metrics, polled every`);
L('50 ms) from the start of the phase to the last commit, over that time. Latency = the text\'s send time to its');
L('`whatsapp:message` Socket.IO event at an admin socket.io-client in the driver process (same clock). Stall: the');
L(`emulator sends \`<iq xmlns='urn:xmpp:ping' type='get'>\` to the idle session every ${r.ping_ms} ms`);
L('(`POST /accounts/{phone}/devices/{id}/ping`) and times the reply from its write to the reply\'s arrival; "before" = the');
L('3 s before the phase, "during" = from its start to the last commit. CPU = user + system seconds from /proc over the');
L('phase (PostgreSQL: the postmaster and all its backends). PostgreSQL is a throwaway local server (scripts/pg-temp.sh:');
L('fsync, synchronous_commit and full_page_writes off) with a database of its own; SQLite is wadesk\'s own file in a');
L('temporary directory.');
L();
L('| backend | phase | asked/s | sent by the sim/s | committed | **committed/s** | drain after the last send | events lost | latency p50 | p90 | **p99** | max | idle ping before p50 / p99 | idle ping during p50 / p99 / **max** |');
L('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const phases = (w) => [w.max, w.paced].filter(Boolean);
for (const w of r.runs) {
    for (const p of phases(w)) {
        L(`| ${w.backend} | ${p.phase} | ${int(p.asked_rate)} | ${int(p.sim_rate)} | ${int(p.committed)} | **${int(p.committed_per_s)}** | ${fmt(p.drain_s, 2)} s`
            + ` | ${p.events_lost} | ${fmt(p.latency_ms.p50, 1)} ms | ${fmt(p.latency_ms.p90, 1)} ms | **${fmt(p.latency_ms.p99, 1)} ms** | ${fmt(p.latency_ms.max, 1)} ms`
            + ` | ${fmt(p.ping_idle_ms.p50, 1)} / ${fmt(p.ping_idle_ms.p99, 1)} ms | ${fmt(p.ping_burst_ms.p50, 1)} / ${fmt(p.ping_burst_ms.p99, 1)} / **${fmt(p.ping_burst_ms.max, 1)} ms** |`);
    }
}
L();
L('CPU over each phase (seconds; µs per committed message; the emulator\'s share of one core):');
L();
L('| backend | phase | time | wadesk s | emulator s | PostgreSQL s | driver s | **wadesk µs/msg** | emulator µs/msg | **PostgreSQL µs/msg** | emulator % of a core | cores busy (these four) | cores busy (whole machine) |');
L('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const w of r.runs) {
    for (const p of phases(w)) {
        const c = p.cpu_s;
        const u = p.cpu_us_per_msg;
        const pg = w.backend === 'postgres';
        const busy = [c.wadesk, c.sim, pg ? c.postgres : 0, c.driver].filter(Number.isFinite).reduce((a, b) => a + b, 0) / p.window_s;
        L(`| ${w.backend} | ${p.phase} | ${fmt(p.window_s, 1)} s | ${fmt(c.wadesk, 1)} | ${fmt(c.sim, 1)} | ${pg ? fmt(c.postgres, 1) : '—'} | ${fmt(c.driver, 1)}`
            + ` | **${int(u.wadesk)}** | ${int(u.sim)} | ${pg ? `**${int(u.postgres)}**` : '—'} | ${fmt((c.sim / p.window_s) * 100, 0)} % | ${fmt(busy, 2)} | ${fmt(p.machine_busy_cores, 2)} |`);
    }
}
L();
const pgRun = r.runs.find((w) => w.backend === 'postgres' && w.pg_per_msg);
if (pgRun) {
    const m = pgRun.pg_per_msg;
    const tables = Object.entries(m.written_by_table).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${fmt(n, 2)}`).join(', ');
    L(`PostgreSQL per committed message over the whole run (warm-up and both phases; pg_stat_database / pg_stat_user_tables):`
        + ` ${fmt(m.transactions, 2)} transactions, ${fmt(m.rows_written, 2)} rows written (${tables}), ${fmt(m.rows_fetched, 1)} rows fetched by index, ${fmt(m.rows_returned, 1)} rows returned.`);
    L();
}
const b = r.baileys;
if (b) {
    L(`Baileys ${baileysVersion}: ${b.sockets} sockets in one Node process (bench/receive/baileys-receive.mjs; unmodified Baileys`);
    L('with the emulator\'s trust root, linked by QR as bench/walink does), the same contacts sending the max phase\'s rate per');
    L(`session (${fmt(b.rate_per_socket, 2)} texts/s per socket, ${fmt(b.asked_rate, 0)}/s in all) for the same time; handled = texts`);
    L('emitted in `messages.upsert` (notify); CPU = the Node process\'s own `process.cpuUsage()` from the start of the load to');
    L('the last text. Baileys keeps its Signal state in memory and in its auth files and stores no message; wadesk\'s own');
    L('figure includes talking to its database, PostgreSQL\'s is in the table above.');
    L();
    L('| client | sockets / sessions | asked/s | handled | handled/s | lost | CPU s | **µs CPU per message** | % of a core | latency p50 / p99 / max |');
    L('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    L(`| Baileys ${baileysVersion} (one Node process) | ${b.sockets} | ${fmt(b.asked_rate, 0)} | ${int(b.received)} | ${int(b.handled_per_s)} | ${b.lost}`
        + ` | ${fmt(b.cpu_s, 1)} | **${int(b.cpu_us_per_msg)}** | ${fmt(b.cpu_pct, 1)} | ${fmt(b.latency_ms.p50, 1)} / ${fmt(b.latency_ms.p99, 1)} / ${fmt(b.latency_ms.max, 1)} ms |`);
    for (const w of r.runs) {
        for (const p of phases(w)) {
            L(`| wadesk, ${w.backend}, ${p.phase} (one process) | ${w.sessions} | ${int(p.asked_rate)} | ${int(p.committed)} | ${int(p.committed_per_s)} | ${p.events_lost}`
                + ` | ${fmt(p.cpu_s.wadesk, 1)} | **${int(p.cpu_us_per_msg.wadesk)}** | ${fmt((p.cpu_s.wadesk / p.window_s) * 100, 1)} | ${fmt(p.latency_ms.p50, 1)} / ${fmt(p.latency_ms.p99, 1)} / ${fmt(p.latency_ms.max, 1)} ms |`);
        }
    }
    L();
    const ratios = r.runs.map((w) => `${fmt(b.cpu_us_per_msg / w.max.cpu_us_per_msg.wadesk, 1)}× (${w.backend}, max phase)`).join(', ');
    L(`Baileys spends ${ratios} the CPU per received message of the wadesk process.`);
    L();
}
if (r.baileys_error) {
    L(`Baileys run failed: ${r.baileys_error}`);
    L();
}
// What limits the numbers, from the measured CPU: on a saturated machine the rate is the cores
// divided by the CPU all processes spend per message.
const ncores = cpus().length;
L('What limits the numbers:');
L();
for (const w of r.runs) {
    const p = w.max;
    if (!p) continue;
    const u = p.cpu_us_per_msg;
    const parts = [['wadesk', u.wadesk], ['the emulator', u.sim], ['PostgreSQL', w.backend === 'postgres' ? u.postgres : NaN], ['the driver', u.driver]]
        .filter(([, v]) => Number.isFinite(v));
    const sum = parts.reduce((a, [, v]) => a + v, 0);
    const busy = (p.cpu_s.wadesk + p.cpu_s.sim + (w.backend === 'postgres' ? p.cpu_s.postgres : 0) + p.cpu_s.driver) / p.window_s;
    L(`- ${w.backend}, max phase: the four processes kept ${fmt(busy, 2)} of ${ncores} cores busy and spent ${int(sum)} µs of CPU per`
        + ` committed message (${parts.map(([n, v]) => `${n} ${int(v)}`).join(', ')}): ${ncores} cores / ${int(sum)} µs ≈ ${int((ncores * 1e6) / sum)} messages/s is where`
        + ` this machine's cores run out for the whole set-up. At 5,000/s wadesk alone would need ${fmt((u.wadesk * 5000) / 1e6, 1)} cores`
        + (w.backend === 'postgres' ? ` and PostgreSQL ${fmt((u.postgres * 5000) / 1e6, 1)}.` : '.')
        + (p.wadesk_busiest_threads ? ` wadesk's busiest threads used ${p.wadesk_busiest_threads.map((t) => `${t.pct} %`).join(', ')} of a core.` : ''));
}
{
    const lanes = Number(process.env.WADESK_WA_RECEIVE_THREADS || 2);  // wadesk's receive pool (its default: 2)
    const held = r.runs.filter((w) => w.max).map((w) => `${w.backend} ${fmt((lanes / w.max.committed_per_s) * 1000, 2)} ms`).join(', ');
    L(`- wadesk decrypts and commits on a pool of ${lanes} receive threads (\`WADESK_WA_RECEIVE_THREADS\`), one message at a`);
    L(`  time per thread, the commit synchronous: at the max phase's rate each message held a thread for ${held} of wall`);
    L('  time, most of it not wadesk\'s own CPU (see its busiest threads above): waiting on the database (PostgreSQL: the');
    L('  round trips of one receive transaction, and PostgreSQL\'s own CPU on the same cores) and for a core.');
}
L('- The emulator is single-threaded and encrypts every text (one Signal encryption per message, for the session\'s');
L('  companion only) and routes wadesk\'s delivery receipts back; its share is in the CPU table. Its ping round trip is');
L('  timed on its own thread, so a busy emulator adds its own delay to the idle session\'s ping.');
L('- The driver\'s socket.io-client receives two events per message (`whatsapp:message` and `whatsapp:chat_updated`, the');
L('  admin sees every session) and takes its CPU from the same cores.');
L('- Other engineers share this machine: "cores busy (whole machine)" minus "(these four)" is what other processes');
L('  (builds, test suites) took from the same two cores during each phase; the load averages above include them too.');
L();
const pgw = r.runs.find((w) => w.backend === 'postgres');
const met = (c) => (c ? 'met' : 'NOT met');
if (pgw) {
    const worstPing = Math.max(pgw.max.ping_burst_ms.max, pgw.paced.ping_burst_ms.max);
    L(`Targets (issue, PostgreSQL): ≥ 5,000 messages/s per node — ${met(pgw.max.committed_per_s >= 5000)} (${int(pgw.max.committed_per_s)}/s with ${int(pgw.max.asked_rate)}/s asked);`
        + ` p99 < 50 ms — ${met(pgw.paced.latency_ms.p99 < 50)} at ${int(pgw.paced.asked_rate)}/s paced (${fmt(pgw.paced.latency_ms.p99, 1)} ms), ${met(pgw.max.latency_ms.p99 < 50)} at the max rate (${fmt(pgw.max.latency_ms.p99, 1)} ms);`
        + ` idle session's ping < 100 ms during both phases — ${met(worstPing < 100)} (max ${fmt(worstPing, 1)} ms).`);
    L();
}
L('<!-- receive-bench:end -->');
const section = lines.join('\n');

writeSection(doc, 'receive-bench', section);
console.log(section);
