#!/usr/bin/env node
// Renders a walink-bench.mjs result (JSON line file) as a Markdown section and writes it into DOC
// between "<!-- walink-bench:begin -->" and "<!-- walink-bench:end -->" (appended when the
// markers are absent), leaving the other sections of the file alone.
// Usage: node bench/walink/report.mjs DOC COMMAND-LINE RESULT.json
import { cpus, totalmem, release, loadavg } from 'node:os';
import { baileysVersion as baileysVersionOf, fmt, lastResult, writeSection } from '../lib/report.mjs';

const [doc, command, file] = process.argv.slice(2);
const r = lastResult(file);
const baileysVersion = baileysVersionOf();

const w = r.wadesk;
const rc = r.reconnect;
const b = r.baileys;
const lines = [];
lines.push('<!-- walink-bench:begin -->');
lines.push('## WhatsApp link: memory per idle linked session and reconnect time');
lines.push('');
lines.push(`Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} by \`${command}\` (scripts/run-bench.sh → bench/walink/walink-bench.mjs).`);
lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()};`
    + ` 1-minute load average ${fmt(r.load1_start, 1)} at the start, ${fmt(rc.load1_before, 1)} before the restart,`
    + ` ${fmt(r.load1_end, 1)} at the end (${loadavg().map((l) => l.toFixed(1)).join(' ')} at report time).`
    + ' wadesk, the emulator and the drivers share the same cores.');
lines.push('');
lines.push(`Method: \`wadesk-sim\` with ${r.sessions + r.baileys_sockets} accounts; \`wadesk serve\` (native engine, SQLite in a temporary`);
lines.push(`directory) pointed at it. ${r.sessions} sessions are created through \`POST /api/whatsapp/sessions\`, ${r.concurrency} at a`);
lines.push('time: each one\'s `GET .../qr` text is scanned by its own account (`POST /accounts/{phone}/scan` on the emulator),');
lines.push('then the driver polls the session until `connected` (pair-success → pair-device-sign → 515 → login → pre-keys).');
lines.push(`After ${r.settle_s} s idle, memory per session = (VmRSS now − VmRSS of the same process before the first session) / N,`);
lines.push('from /proc/PID/status. Then SIGTERM, `wadesk serve` again on the same database; reconnect time = from the');
lines.push('spawn (and from its `listening on` log line) to the N-th `[WhatsApp] Session … authorized as` log line, each');
lines.push('written after the session row was updated to `connected`; the REST list is polled until it shows all N');
lines.push(`connected too. Baileys ${baileysVersion}: ${r.baileys_sockets} sockets in one Node process (bench/walink/baileys-sockets.mjs,`);
lines.push('unmodified Baileys with the emulator\'s trust root, multi-file auth state), each paired by QR the same way,');
lines.push('reopened after the 515 until `open`; memory per socket = (VmRSS after all are open and idle − VmRSS after the');
lines.push('imports) / M, both read right after a forced full GC (`--expose-gc`).');
lines.push('');
lines.push('| client | linked sessions | link time | VmRSS before | VmRSS idle | KB per idle session | after restart: KB per session |');
lines.push('|---|---:|---:|---:|---:|---:|---:|');
lines.push(`| wadesk (native engine, one process) | ${r.sessions} | ${fmt(r.link_seconds, 1)} s | ${w.rss_kb_before} KB | ${w.rss_kb_idle} KB`
    + ` | **${fmt(w.kb_per_session, 1)}** | ${fmt(w.kb_per_session_after_restart, 1)} |`);
if (b) {
    lines.push(`| Baileys ${baileysVersion} (one Node process) | ${b.sockets} | ${fmt(b.link_ms / 1000, 1)} s | ${b.rss_kb_baseline} KB`
        + ` | ${b.rss_kb_idle} KB | **${fmt(b.kb_per_socket, 1)}** | — |`);
}
if (r.baileys_error) lines.push(`| Baileys ${baileysVersion} | run failed: ${r.baileys_error.replace(/\|/g, '/')} | | | | | |`);
lines.push('');
lines.push('| reconnect after restart | ms |');
lines.push('|---|---:|');
lines.push(`| spawn → \`listening on\` | ${rc.listening_at_ms} |`);
lines.push(`| spawn → first session connected | ${rc.first_ready_ms} |`);
lines.push(`| spawn → half connected | ${rc.median_ready_ms} |`);
lines.push(`| spawn → all ${r.sessions} connected | **${rc.from_spawn_ms}** |`);
lines.push(`| \`listening on\` → all ${r.sessions} connected | ${rc.from_listening_ms} |`);
lines.push(`| REST list confirmed all connected (100 ms polls, after a login) | ${rc.rest_confirmed_ms} |`);
lines.push('');
lines.push(`Also: wadesk threads ${w.threads}; CPU while all ${r.sessions} sessions idle ${fmt(r.idle_cpu_pct, 1)} % of one core;`
    + ` SIGTERM → exit ${r.shutdown_ms} ms; emulator VmRSS at the end ${r.sim_rss_kb} KB.`);
if (b) {
    const ratio = b.kb_per_socket / w.kb_per_session;
    lines.push(`Baileys uses ${fmt(ratio, 1)}× the memory per linked session of wadesk (V8 heap used after GC: ${b.heap_used_kb} KB).`);
}
lines.push('');
const ok = (c) => (c ? 'met' : 'NOT met');
lines.push(`Targets (wadesk): under 300 KB per idle linked session — ${ok(w.kb_per_session < 300)} (${fmt(w.kb_per_session, 1)} KB);`
    + ` all ${r.sessions} reconnected in under 10 s — ${ok(rc.from_spawn_ms < 10000)} (${fmt(rc.from_spawn_ms / 1000, 2)} s from the spawn).`);
lines.push('');
lines.push('<!-- walink-bench:end -->');
const section = lines.join('\n');

writeSection(doc, 'walink-bench', section);
console.log(section);
