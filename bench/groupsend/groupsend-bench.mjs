// The group-send benchmark: a real `wadesk serve` (native engine, SQLite) and one unmodified
// Baileys 7 socket both send texts to the same large group on wadesk-sim, in the same run:
//   - the group: --members accounts (the two senders and --members − 2 phones made at once with
//     POST /accounts/bulk, each with --companions emulated companion devices), so every send goes
//     to (members − 1) × (1 + companions) + 2 devices;
//   - first send: our sender key distributed pairwise to every device (usync of the members, a key
//     fetch for every device, one pkmsg each) plus the skmsg; later sends: the skmsg alone;
//   - each send is timed from the call (wadesk: the REST POST; Baileys: sendMessage) to the server's
//     ack of the stanza (wadesk: the `whatsapp:message_status` "sent" event at a Socket.IO client;
//     Baileys: its socket's <ack class='message'> for the id); the next send starts after it;
//   - CPU per send: CPU seconds of the sender's process (wadesk serve; the Baileys Node process)
//     from just before the first call to the settling of the replies the phase caused (every
//     member phone's delivery receipt is stored: wadesk keeps receipts per member), over the sends.
// wadesk goes first, then Baileys, against the same emulator and group. Prints one JSON object
// on stdout; progress on stderr.
//   node groupsend-bench.mjs --build DIR [--members 256] [--companions 3] [--sends 20] [--settle 3]
import { execFile, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import {
    Wadesk, binaries, socketIo, cpuSeconds, http, linkSession, load1, makeLog, ok, option, quantiles, rssKb, sleep, startSim, until,
} from '../lib/wa-bench.mjs';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const io = socketIo();

const { wadeskBin, simBin } = binaries();
const nMembers = Number(option('members', 256));
const nCompanions = Number(option('companions', 3));
const nSends = Number(option('sends', 20));
const settleS = Number(option('settle', 3));
const log = makeLog('groupsend');
const round = (x, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

const WADESK_PHONE = '15571000001';
const BAILEYS_PHONE = '15571000002';
const FIRST_MEMBER = '15572000001';

function summary(ms) {
    const q = quantiles(ms);
    return { n: q.n, p50: round(q.p50, 1), p90: round(q.p90, 1), max: round(q.max, 1), mean: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length), 1) };
}

async function runWadesk(sim, work, gid, recipients) {
    const env = {
        ...process.env, WADESK_DATA_DIR: path.join(work, 'wadesk'), WADESK_JWT_SECRET: randomBytes(32).toString('hex'),
        WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey, WADESK_LOG_LEVEL: 'warn',
    };
    delete env.DATABASE_URL;
    const email = `bench-${randomBytes(3).toString('hex')}@groupsend.test`;
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    await execFileP(wadeskBin, ['company', 'create', '--name', 'Group send bench', '--admin-email', email, '--admin-password', password], { env });
    const wadesk = new Wadesk(wadeskBin, env);
    const base = await wadesk.start();
    const result = {};
    try {
        const token = (await ok(http(base, 'POST', '/api/auth/login', { body: { email, password } }), 'login')).token;
        const { sessionId } = await linkSession(base, token, sim, WADESK_PHONE, 'groupsend');
        const api = `/api/whatsapp/sessions/${sessionId}`;
        // The group, with its members, as the login's `participating` read told.
        const chat = await until('the group in wadesk', async () => {
            const page = await ok(http(base, 'GET', `${api}/chats?limit=200`, { token }), 'chats');
            const c = page.items.find((x) => x.jid === gid);
            if (!c) return null;
            const members = await ok(http(base, 'GET', `${api}/chats/${c.id}/participants`, { token }), 'participants');
            return members.length === nMembers ? c : null;
        }, 60000, 200);
        const socket = io(base, { auth: { token }, transports: ['websocket'], reconnection: false });
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
        const waiting = new Map();  // message id → resolve(status)
        const early = new Map();
        socket.on('whatsapp:message_status', (e) => {
            if (e.status !== 'sent' && e.status !== 'failed') return;
            const w = waiting.get(e.messageId);
            if (w) { waiting.delete(e.messageId); w(e); } else early.set(e.messageId, e);
        });
        const send = async (text) => {
            const t0 = performance.now();
            const r = await http(base, 'POST', `${api}/chats/${chat.id}/send`, { token, body: { message: text } });
            if (r.status !== 201) throw new Error(`send: ${r.status} ${r.text}`);
            const id = r.json.data.id;
            const e = early.get(id) ?? await Promise.race([
                new Promise((resolve) => waiting.set(id, resolve)),
                sleep(120000).then(() => ({ status: 'timeout' })),
            ]);
            early.delete(id);
            if (e.status !== 'sent') throw new Error(`send ${id}: ${e.status} ${e.reason ?? ''}`);
            return { id, ms: performance.now() - t0 };
        };
        // The receipts wadesk keeps for a message: all members' phones have it.
        const settle = async (id) => {
            const t0 = performance.now();
            await until('every member phone\'s receipt', async () => {
                const list = await ok(http(base, 'GET', `${api}/messages/${id}/receipts`, { token }), 'receipts');
                return list.length >= recipients ? list : null;
            }, 120000, 100);
            await sleep(settleS * 1000);
            return performance.now() - t0;
        };

        log(`wadesk: first send to ${gid}`);
        let cpu0 = cpuSeconds(wadesk.proc.pid);
        let sim0 = cpuSeconds(sim.proc.pid);
        const first = await send('first text to the whole group');
        await settle(first.id);
        result.first_ms = round(first.ms, 1);
        result.first_cpu_ms = round((cpuSeconds(wadesk.proc.pid) - cpu0) * 1000, 0);
        result.first_sim_cpu_ms = round((cpuSeconds(sim.proc.pid) - sim0) * 1000, 0);
        const receipts = await ok(http(base, 'GET', `${api}/messages/${first.id}/receipts`, { token }), 'receipts');
        result.first_receipts = receipts.length;
        log(`wadesk: first send ${result.first_ms} ms to the ack, ${result.first_cpu_ms} ms CPU; ${receipts.length} member receipts`);

        log(`wadesk: ${nSends} later sends`);
        cpu0 = cpuSeconds(wadesk.proc.pid);
        sim0 = cpuSeconds(sim.proc.pid);
        const later = [];
        let last = null;
        for (let i = 0; i < nSends; i++) {
            last = await send(`later text ${i + 1}`);
            later.push(last.ms);
        }
        await settle(last.id);
        result.later_ms = summary(later);
        result.later_cpu_ms_per_send = round(((cpuSeconds(wadesk.proc.pid) - cpu0) * 1000) / nSends, 1);
        result.later_sim_cpu_ms_per_send = round(((cpuSeconds(sim.proc.pid) - sim0) * 1000) / nSends, 1);
        result.rss_kb = rssKb(wadesk.proc.pid);
        log(`wadesk: later sends p50 ${result.later_ms.p50} ms, ${result.later_cpu_ms_per_send} ms CPU per send`);
        socket.close();
    } finally {
        await wadesk.stop();
    }
    return result;
}

async function runBaileys(sim, work, gid) {
    const child = fork(path.join(here, 'baileys-send.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const inbox = [];
    const waiters = [];
    child.on('message', (m) => { const w = waiters.shift(); if (w) w(m); else inbox.push(m); });
    const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)));
    const ask = async (msg) => { child.send(msg); return next(); };
    const cpu = async () => (await ask({ cmd: 'cpu' })).cpu_s;
    const send = async (text) => {
        const r = await ask({ cmd: 'send', gid, text });
        if (r.error) throw new Error(`Baileys send: ${r.error}`);
        return r;
    };
    // Baileys keeps no receipts; its replies (the member phones' receipts) are settled when the
    // emulator's delivery receipts for the last id have all been sent: wait as long as wadesk's did.
    const result = {};
    try {
        if ((await next()).type !== 'hello') throw new Error('baileys worker did not start');
        const linked = await ask({ cmd: 'link', wsUrl: sim.wsUrl, rootKey: sim.rootKey, controlUrl: sim.controlUrl, phone: BAILEYS_PHONE, authRoot: path.join(work, 'baileys') });
        if (linked.type !== 'linked') throw new Error(linked.message);
        await sleep(2000);  // its login queries settle
        log(`Baileys: first send to ${gid}`);
        let cpu0 = await cpu();
        let sim0 = cpuSeconds(sim.proc.pid);
        const first = await send('first text to the whole group');
        await waitReceipts(sim, first.id);
        await sleep(settleS * 1000);
        result.first_ms = round(first.ms, 1);
        result.first_cpu_ms = round(((await cpu()) - cpu0) * 1000, 0);
        result.first_sim_cpu_ms = round((cpuSeconds(sim.proc.pid) - sim0) * 1000, 0);
        log(`Baileys: first send ${result.first_ms} ms to the ack, ${result.first_cpu_ms} ms CPU`);
        cpu0 = await cpu();
        sim0 = cpuSeconds(sim.proc.pid);
        const later = [];
        let last = null;
        for (let i = 0; i < nSends; i++) {
            last = await send(`later text ${i + 1}`);
            later.push(last.ms);
        }
        await waitReceipts(sim, last.id);
        await sleep(settleS * 1000);
        result.later_ms = summary(later);
        result.later_cpu_ms_per_send = round((((await cpu()) - cpu0) * 1000) / nSends, 1);
        result.later_sim_cpu_ms_per_send = round(((cpuSeconds(sim.proc.pid) - sim0) * 1000) / nSends, 1);
        log(`Baileys: later sends p50 ${result.later_ms.p50} ms, ${result.later_cpu_ms_per_send} ms CPU per send`);
    } finally {
        child.send({ cmd: 'exit' });
    }
    return result;
}

// The last member phone has the message: its inbox holds the id (phones decrypt in order).
async function waitReceipts(sim, id) {
    const lastMember = String(Number(FIRST_MEMBER) + nMembers - 3);
    await until('the last member phone to have it', async () => {
        const r = await sim.control('GET', `/accounts/${lastMember}/inbox`);
        return r.json.messages.some((m) => m.id === id);
    }, 120000, 100);
}

async function main() {
    for (const bin of [wadeskBin, simBin]) await execFileP('test', ['-x', bin]).catch(() => { throw new Error(`${bin} is not built`); });
    if (nMembers < 3) throw new Error('--members must be at least 3');
    const work = mkdtempSync(path.join(tmpdir(), 'wadesk-groupsend-'));
    const result = { members: nMembers, companions: nCompanions, sends: nSends, settle_s: settleS, load1_start: load1() };
    let sim;
    try {
        sim = await startSim(simBin, path.join(work, 'sim'));
        for (const [phone, name] of [[WADESK_PHONE, 'wadesk'], [BAILEYS_PHONE, 'Baileys']]) {
            const r = await sim.control('POST', '/accounts', { phone, name });
            if (r.status !== 201) throw new Error(`create ${phone}: ${r.status} ${r.text}`);
        }
        const t0 = performance.now();
        const bulk = await sim.control('POST', '/accounts/bulk', { first: FIRST_MEMBER, count: nMembers - 2, companions: nCompanions, name: 'Member' });
        if (bulk.status !== 201) throw new Error(`bulk accounts: ${bulk.status} ${bulk.text}`);
        result.bulk_create_ms = round(performance.now() - t0, 0);
        const phones = bulk.json.accounts.map((a) => a.phone);
        // The group: made by the first member's phone with everyone else in it.
        const created = await sim.control('POST', `/accounts/${phones[0]}/groups`,
            { subject: `Bench group of ${nMembers}`, participants: [...phones.slice(1), WADESK_PHONE, BAILEYS_PHONE] });
        if (created.status !== 201) throw new Error(`group: ${created.status} ${created.text}`);
        const gid = created.json.id;
        result.group_members = created.json.participants.length;
        // Devices a send goes to: every device of every other member (the sender's own phone too).
        result.devices_per_send = (nMembers - 2) * (1 + nCompanions) + 2;
        log(`group ${gid}: ${result.group_members} members, ${result.devices_per_send} devices per send (bulk accounts in ${result.bulk_create_ms} ms)`);
        // Recipients wadesk keeps a receipt for: every member but wadesk's own account.
        result.wadesk = await runWadesk(sim, work, gid, nMembers - 1);
        try {
            result.baileys = await runBaileys(sim, work, gid);
        } catch (e) {
            log(`Baileys run failed: ${e.message}`);
            result.baileys_error = String(e.message).split('\n')[0];
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
