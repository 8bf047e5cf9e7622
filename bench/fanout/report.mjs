#!/usr/bin/env node
// Renders fanout-bench.mjs results (JSON lines files) as a Markdown section and writes it into
// DOC between "<!-- fanout-bench:begin -->" and "<!-- fanout-bench:end -->" (appended when the
// markers are absent), leaving the other sections of the file alone.
// Usage: node bench/fanout/report.mjs DOC COMMAND-LINE RESULT.json...
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release, loadavg } from 'node:os';
import { fmt, writeSection } from '../lib/report.mjs';

const [doc, command, ...files] = process.argv.slice(2);
const runs = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
const ours = runs.find((r) => r.server === 'wadesk');
const ref = runs.find((r) => r.server === 'reference');
const floors = runs.filter((r) => r.us_per_write !== undefined);

const lines = [];
lines.push('<!-- fanout-bench:begin -->');
lines.push('## Socket.IO fan-out');
lines.push('');
lines.push(`Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} by \`${command}\` (scripts/run-bench.sh → bench/fanout/fanout-bench.mjs).`);
lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()};`
    + ` load average at report time ${loadavg().map((l) => l.toFixed(1)).join(' ')}. Server and load clients share the same cores.`);
lines.push('');
const clientKind = {
    official: 'the official `socket.io-client` 4.8.1 in several Node processes',
    lean: '`bench/fanout/lean-client.mjs` in several Node processes',
}[runs[0]?.client] ?? '`wadesk-bench-fanout-client` (bench/fanout/load_client.cpp), one epoll thread per process, several processes';
lines.push(`Method: N websocket clients (${clientKind}; the same client against both servers) connect with distinct`);
lines.push('tokens; client i may read session s(i mod S) only, so each event reaches N/S clients. The load client speaks just');
lines.push('enough Engine.IO v4 / Socket.IO v5 (handshake, CONNECT with auth, pongs, EVENT) and reads only `seq` and `ts` from');
lines.push('the frame bytes: server and clients share two cores, and every CPU-second the clients spend is taken from the server');
lines.push('(socket.io-client parsing ~200,000 messages/s alone saturates them). After 3 s idle the server\'s RSS is read (memory per idle');
lines.push('socket = RSS growth since before the first connect / N). The producer then emits the stated rate round-robin over the');
lines.push('sessions for the stated time; the run then drains for at most the stated time (ending once everything arrived).');
lines.push('`wadesk` = `wadesk-bench-fanout`: the real HTTP server, `realtime::RealtimeServer`, `MemoryAccessView` and `EventBus`');
lines.push('with a synthetic producer thread publishing on the bus. `socket.io@4` = a plain Node socket.io 4.8.1 server with one');
lines.push('room per session and the same producer in its event loop. Latency: producer wall clock in the payload to receipt in');
lines.push('the client (same machine clock). Lost: per client, every sequence number of its session that had not arrived when');
lines.push('the drain ended. CPU: seconds of CPU used by the server process and by the load clients from the start of');
lines.push('production to the end of the drain.');
lines.push('');
lines.push('| server | clients | sessions | events/s × s | delivered | delivered/s | lost | dup | p50 ms | p90 ms | p99 ms | max ms | KB per idle socket | client disconnects | drain s | server CPU s | clients CPU s |');
lines.push('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const label = (r) => (r.server === 'wadesk'
    ? `wadesk (io threads ${r.io_threads || 'auto'}, coalesce ${r.write_coalesce_ms ?? '?'} ms)` : 'socket.io@4 (Node)');
for (const r of runs.filter((x) => x.server)) {
    lines.push(`| ${label(r)} | ${r.clients} | ${r.sessions} | ${r.rate} × ${r.duration} | ${r.delivered}`
        + ` | ${r.delivered_per_s} | ${r.missing} | ${r.duplicates} | ${fmt(r.p50_ms)} | ${fmt(r.p90_ms)} | ${fmt(r.p99_ms)} | ${fmt(r.max_ms)}`
        + ` | ${fmt(r.kb_per_idle_socket, 2)} | ${r.disconnects} | ${fmt(r.drain_seconds, 2)} | ${fmt(r.server_cpu_s, 2)} | ${fmt(r.clients_cpu_s, 2)} |`);
}
lines.push('');
if (ours?.websocket_writes) {
    lines.push(`wadesk wrote ${ours.websocket_writes} times to its sockets (${fmt(ours.delivered / ours.websocket_writes, 2)} events per write,`
        + ` ${fmt(ours.websocket_writes / ours.produce_seconds / ours.clients, 1)} writes per socket per second),`
        + ` ${fmt(ours.server_us_per_write, 2)} µs of server CPU per write.`);
    lines.push('');
}
if (ours && ref) {
    const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : 'n/a');
    lines.push(`Ratio wadesk / socket.io@4: delivered/s ${ratio(ours.delivered_per_s, ref.delivered_per_s)}, p50 ${ratio(ours.p50_ms, ref.p50_ms)},`
        + ` p99 ${ratio(ours.p99_ms, ref.p99_ms)}, memory per idle socket ${ratio(ours.kb_per_idle_socket, ref.kb_per_idle_socket)}.`);
    lines.push('');
}
if (floors.length) {
    lines.push('The machine\'s floor (`wadesk-bench-loopback-floor`, bench/fanout/loopback_floor.cpp): plain TCP over loopback, no');
    lines.push('protocol: one process writes one message per connection per round with one `send()` each, paced; a second process');
    lines.push('reads them with epoll, one `read()` per ready socket. CPU per write and per read is what any server and any client');
    lines.push('pay here per TCP segment, on the same two cores.');
    lines.push('');
    lines.push('| connections | writes/s asked | bytes per write | writes/s done | µs CPU per write | µs CPU per read | cores used |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|');
    for (const f of floors) {
        lines.push(`| ${f.connections} | ${f.connections * f.rate} | ${f.bytes} | ${Math.round(f.writes_per_s)} | ${fmt(f.us_per_write, 2)}`
            + ` | ${fmt(f.us_per_read, 2)} | ${fmt((f.writer_cpu_s + f.reader_cpu_s) / f.seconds, 2)} |`);
    }
    lines.push('');
}
if (ours) {
    const ok = (c) => (c ? 'met' : 'NOT met');
    lines.push(`Targets (wadesk): no event lost — ${ok(ours.missing === 0 && ours.disconnects === 0)}; p99 < 50 ms — ${ok(ours.p99_ms < 50)};`
        + ` < 20 KB per idle socket — ${ok(ours.kb_per_idle_socket < 20)}.`);
    lines.push('');
}
lines.push('<!-- fanout-bench:end -->');
const section = lines.join('\n');

writeSection(doc, 'fanout-bench', section);
