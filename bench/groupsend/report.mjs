#!/usr/bin/env node
// Renders a groupsend-bench.mjs result (JSON line file) as a Markdown section and writes it into
// DOC between "<!-- groupsend-bench:begin -->" and "<!-- groupsend-bench:end -->" (appended when
// the markers are absent), leaving the other sections of the file alone.
// Usage: node bench/groupsend/report.mjs DOC COMMAND-LINE RESULT.json
import { cpus, totalmem, release } from 'node:os';
import { baileysVersion as baileysVersionOf, fmt, lastResult, writeSection } from '../lib/report.mjs';

const [doc, command, file] = process.argv.slice(2);
const r = lastResult(file);
const baileysVersion = baileysVersionOf();

const w = r.wadesk;
const b = r.baileys;
const lines = [];
lines.push('<!-- groupsend-bench:begin -->');
lines.push(`## Sending to a ${r.members}-member group`);
lines.push('');
lines.push(`Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} by \`${command}\` (scripts/run-bench.sh → bench/groupsend/groupsend-bench.mjs).`);
lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()};`
    + ` 1-minute load average ${fmt(r.load1_start, 1)} at the start, ${fmt(r.load1_end, 1)} at the end.`
    + ' wadesk, Baileys, the emulator and the driver share the same cores.');
lines.push('');
lines.push(`Method: \`wadesk-sim\` with a LID-addressed group of ${r.group_members} members: the two senders (wadesk's account, Baileys'`);
lines.push(`account) and ${r.members - 2} emulated phones made at once (\`POST /accounts/bulk\`), each with ${r.companions} emulated companion`);
lines.push(`devices, so one send goes to ${r.devices_per_send} devices. The group is created by a member's phone; both senders learn of it`);
lines.push('as a member would. `wadesk serve` (native engine, SQLite) sends through `POST .../chats/{chatId}/send`; an unmodified');
lines.push(`Baileys ${baileysVersion} socket (default configuration: group metadata queried per send) through \`sendMessage\`, in the same`);
lines.push('run against the same emulator and group, after wadesk. Time = from the call to the server\'s ack of the stanza');
lines.push('(wadesk: the `whatsapp:message_status` "sent" event at a Socket.IO client; Baileys: its socket\'s `<ack class=\'message\'>`');
lines.push('for the id); each send starts after the previous ack. The first send carries the sender key to every device (usync of');
lines.push('the members, a key fetch for every device, one pkmsg each, then the skmsg); the later ones are the skmsg alone.');
lines.push(`CPU = CPU seconds of the sender's process from just before the call until the replies have settled (every member`);
lines.push(`phone decrypted it and sent its delivery receipt, which wadesk stores per member, then ${r.settle_s} s), per send.`);
lines.push('The emulator\'s CPU (routing, and the member phones decrypting) is shown apart.');
lines.push('');
lines.push('| sender | first send: to the ack | first send: CPU | later sends: p50 / p90 / max to the ack | later sends: CPU per send | emulator CPU: first / later per send |');
lines.push('|---|---:|---:|---:|---:|---:|');
const row = (name, x) => `| ${name} | **${fmt(x.first_ms, 0)} ms** | ${fmt(x.first_cpu_ms, 0)} ms | **${fmt(x.later_ms.p50, 1)}** / ${fmt(x.later_ms.p90, 1)} / ${fmt(x.later_ms.max, 1)} ms`
    + ` (${x.later_ms.n} sends) | **${fmt(x.later_cpu_ms_per_send, 1)} ms** | ${fmt(x.first_sim_cpu_ms, 0)} / ${fmt(x.later_sim_cpu_ms_per_send, 1)} ms |`;
lines.push(row('wadesk (native engine)', w));
if (b) lines.push(row(`Baileys ${baileysVersion}`, b));
if (r.baileys_error) lines.push(`| Baileys ${baileysVersion} | run failed: ${r.baileys_error.replace(/\|/g, '/')} | | | | |`);
lines.push('');
const extra = [`wadesk kept ${w.first_receipts} receipts for the first send (one per member other than itself)`,
    `wadesk VmRSS at the end ${w.rss_kb} KB`, `emulator VmRSS ${r.sim_rss_kb} KB`, `${r.members - 2} accounts with their devices made in ${r.bulk_create_ms} ms`];
if (b) {
    extra.push(`Baileys needs ${fmt(b.first_ms / w.first_ms, 1)}× wadesk's time for the first send and ${fmt(b.later_cpu_ms_per_send / w.later_cpu_ms_per_send, 1)}× its CPU per later send`);
}
lines.push(`Also: ${extra.join('; ')}.`);
lines.push('');
lines.push('<!-- groupsend-bench:end -->');
const section = lines.join('\n');

writeSection(doc, 'groupsend-bench', section);
console.log(section);
