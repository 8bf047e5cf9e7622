#!/usr/bin/env node
// Renders http-bench.mjs results (JSON lines files given as arguments) as a Markdown section and
// writes it into DOC between "<!-- http-bench:begin -->" and "<!-- http-bench:end -->" (appended
// when the markers are absent), leaving the other sections of the file alone.
// Usage: node bench/http/report.mjs DOC COMMAND-LINE RESULT.json...
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { execFileSync } from 'node:child_process';
import { writeSection } from '../lib/report.mjs';

const [doc, command, ...files] = process.argv.slice(2);
const runs = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));

const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const wrkVersion = (() => { try { return execFileSync('wrk', ['-v'], { encoding: 'utf8' }).split('\n')[0]; } catch (e) { return (e.stdout || '').split('\n')[0]; } })();
const pgVersion = (() => { try { return execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim(); } catch { return 'n/a'; } })();

const lines = [];
lines.push('<!-- http-bench:begin -->');
lines.push('## HTTP read path (REST)');
lines.push('');
lines.push(`Measured ${new Date().toISOString().replace(/\.\d+Z$/, "Z")} by \`${command}\` (\`make bench\` runs it; see bench/http/http-bench.mjs).`);
lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()};`
    + ` load generator and server share the same cores. ${wrkVersion}; ${pgVersion}.`);
lines.push('');
lines.push('Method: a fresh database per backend is filled by `wadesk-bench-seed`, `wadesk serve` runs on it, an admin');
lines.push('logs in, and wrk (`bench/http/rotate.lua`: bearer header, rotating paths) drives each mix for the stated');
lines.push('duration after a 3 s warm-up. wrk has no rate control, so the "paced" rows use 16 connections that each');
lines.push('wait a gap after every response (fractional gaps are kept on average); short probes set the gap until the rate');
lines.push('is within 4 % of 2,000 req/s, and a measured run that lands more than 5 % off is repeated with a corrected gap');
lines.push('(twice at most); the achieved rate is what the table shows.');
lines.push('"max" rows use more connections and no gap; "serial" rows one connection, no gap (the server\'s own time per');
lines.push('request without queueing). Latency is wrk\'s (--latency), from request written to response read.');
lines.push('Mixes: `chats` = `GET .../sessions/{id}/chats?limit=50` over every session; `messages` = `GET .../chats/{id}/messages?limit=50`');
lines.push('over the 100 most recently active chats of each session; `deep` = `page=8&limit=50` of the biggest chats;');
lines.push('`before` = `limit=50&before={id}` with the cursor at the first message of page 8 (same rows as `deep`, by cursor).');
lines.push('PostgreSQL is a throwaway local server (scripts/pg-temp.sh) with shared_buffers = 1 GB, so the seeded tables and');
lines.push('indexes (~750 MB) fit in its buffers as on a sized database server; durability settings are off, which reads do not touch.');
lines.push('');
for (const run of runs) {
    lines.push(`### ${run.backend} — seeded ${run.seed.sessions} sessions, ${run.seed.chats} chats, ${run.seed.messages} messages (seed took ${fmt(run.seed.seconds, 0)} s)`);
    lines.push('');
    lines.push('| mix | load | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors | machine load (1 min) |');
    lines.push('|---|---|---:|---:|---:|---:|---:|---|---:|');
    for (const r of run.results) {
        lines.push(`| ${r.mix} | ${r.mode} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${r.non2xx} | ${r.errors ? r.errors.replace('Socket errors: ', '') : 'none'} | ${fmt(r.load1, 1)} |`);
    }
    const paced = Object.fromEntries(run.results.filter((r) => r.mode.startsWith('paced')).map((r) => [r.mix, r]));
    const max = Object.fromEntries(run.results.filter((r) => r.mode.startsWith('max')).map((r) => [r.mix, r]));
    lines.push('');
    lines.push('The load column is the 1-minute load average after each mix; it counts the benchmark\'s own processes'
        + ' (wrk, wadesk and, for PostgreSQL, its backends), which share the same cores.');
    lines.push('');
    const targetOk = Object.values(paced).every((r) => r.p99 < 10 && r.rps >= 2000 * 0.96);
    lines.push(`Targets: p99 under 10 ms at ~2,000 req/s — ${targetOk ? 'met' : 'NOT met'} (paced p99: ${Object.entries(paced).map(([k, r]) => `${k} ${fmt(r.p99)} ms at ${fmt(r.rps, 0)}/s`).join(', ')}).`);
    if (max.deep && max.messages) {
        // Compared at maximum throughput, where both mixes meet the same saturated server.
        const rpsRatio = max.messages.rps / max.deep.rps;
        const p50Ratio = max.deep.p50 / max.messages.p50;
        lines.push(`Deep page (page=8) vs first page at max throughput: ${fmt(rpsRatio)}× fewer req/s, p50 ×${fmt(p50Ratio)} — `
            + `${rpsRatio <= 2 && p50Ratio <= 2 ? 'within' : 'NOT within'} the 2× bound. The before cursor to the same depth: `
            + `${fmt(max.before ? max.before.rps : NaN, 0)} req/s, p50 ${fmt(max.before ? max.before.p50 : NaN)} ms.`);
    }
    lines.push('');
    lines.push('<details><summary>wrk commands</summary>');
    lines.push('');
    for (const r of run.results) lines.push(`- ${r.mix} ${r.mode}: \`${r.args}\``);
    lines.push('');
    lines.push('</details>');
    lines.push('');
}
lines.push('<!-- http-bench:end -->');
const section = lines.join('\n');

writeSection(doc, 'http-bench', section);
console.log(section);
