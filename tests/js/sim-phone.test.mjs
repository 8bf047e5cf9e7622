// The emulated phones as Signal parties, proven by an unmodified Baileys companion: phone A sends
// texts to account B by PN and by LID and gets the companion's delivery receipts; the companion
// sends to phone A, which decrypts it and receipts it; a message broken on purpose makes Baileys
// ask for a retry, and the phone's resend decrypts once; the phone's read receipt reaches Baileys.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BaileysClient, SimProcess, cleanup, pairAndOpen, tempDir } from './lib/sim-harness.mjs';

const A = '15550007777';
const B = '15550008888';
const C = '15550009999';

const textOf = (m) => m.message?.conversation || m.message?.extendedTextMessage?.text;

// Records every messages.upsert of `client`; `next(pred)` resolves with the first recorded or
// future message matching pred.
function recordUpserts(client) {
    const seen = [];
    const waiters = [];
    client.sock.ev.on('messages.upsert', ({ messages }) => {
        for (const m of messages) {
            seen.push(m);
            for (const w of [...waiters]) {
                if (w.pred(m)) {
                    waiters.splice(waiters.indexOf(w), 1);
                    clearTimeout(w.timer);
                    w.resolve(m);
                }
            }
        }
    });
    return {
        seen,
        next(pred, what, timeoutMs = 20000) {
            const hit = seen.find(pred);
            if (hit) return Promise.resolve(hit);
            return new Promise((resolve, reject) => {
                const w = { pred, resolve };
                w.timer = setTimeout(() => {
                    waiters.splice(waiters.indexOf(w), 1);
                    reject(new Error(`no message: ${what}`));
                }, timeoutMs);
                waiters.push(w);
            });
        },
    };
}

// Records the highest status messages.update reported per message id of `client`;
// `reach(id, status)` resolves once that id got at least that status (before or after the call).
// Baileys buffers events: a receipt that arrives before its own sent message was emitted is merged
// into that message's upsert (type 'append') instead, so `withUpserts` counts those statuses too.
function recordStatus(client, { withUpserts = false } = {}) {
    const best = new Map();
    const waiters = [];
    const seen = (id, status) => {
        if (status > (best.get(id) ?? 0)) best.set(id, status);
        for (const w of [...waiters]) {
            if (w.id === id && status >= w.status) {
                waiters.splice(waiters.indexOf(w), 1);
                clearTimeout(w.timer);
                w.resolve(status);
            }
        }
    };
    if (withUpserts) {
        client.sock.ev.on('messages.upsert', ({ messages }) => {
            for (const m of messages) if (m.key.fromMe) seen(m.key.id, m.status ?? 0);
        });
    }
    client.sock.ev.on('messages.update', (updates) => {
        for (const u of updates) {
            const status = u.update.status ?? 0;
            if (status) seen(u.key.id, status);
        }
    });
    return {
        reach(id, status, timeoutMs = 20000) {
            if ((best.get(id) ?? 0) >= status) return Promise.resolve(best.get(id));
            return new Promise((resolve, reject) => {
                const w = { id, status, resolve };
                w.timer = setTimeout(() => {
                    waiters.splice(waiters.indexOf(w), 1);
                    reject(new Error(`no status >= ${status} for ${id} (got ${best.get(id)})`));
                }, timeoutMs);
                waiters.push(w);
            });
        },
    };
}

// Polls a control GET until `pick(json)` returns something truthy (the sim has no event stream).
async function until(sim, route, pick, what, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
        const r = await sim.control('GET', route);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        last = r.json;
        const hit = pick(last);
        if (hit) return hit;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

describe('emulated phone as a Signal party, with a Baileys companion', () => {
    let sim;
    let a;
    let b;
    let bob;
    let carol;
    let upserts;
    let statuses;
    let updates;

    before(async () => {
        sim = await new SimProcess().start();
        a = await sim.createAccount(A, 'Alice Phone');
        b = await sim.createAccount(B, 'Bob');
        bob = await pairAndOpen(sim, B);
        upserts = recordUpserts(bob.client);
        statuses = recordStatus(bob.client, { withUpserts: true });
        updates = recordStatus(bob.client);
    });
    after(async () => {
        await bob?.client.end();
        await carol?.client.end();
        const status = await sim.stop();
        if (bob) cleanup(bob.authDir);
        if (carol) cleanup(carol.authDir);
        assert.equal(status.code, 0, sim.stderr);
    });

    const receiptFrom = (id, from, type) => (j) =>
        j.receipts.find((r) => r.id === id && r.from === from && (type === undefined ? r.type !== 'retry' : r.type === type));

    test('phone A sends to B by PN and by LID; Baileys receives both and receipts them', async () => {
        const byPn = await sim.control('POST', `/accounts/${A}/send`, { to: B, text: 'hello from the phone (pn)' });
        assert.equal(byPn.status, 200, JSON.stringify(byPn.json));
        assert.deepEqual(byPn.json.devices.sort(), [`${B}:1@s.whatsapp.net`, `${B}@s.whatsapp.net`]);
        const got = await upserts.next((m) => m.key.id === byPn.json.id && textOf(m), 'the PN text');
        assert.equal(textOf(got), 'hello from the phone (pn)');
        assert.equal(got.key.fromMe, false);
        assert.equal(got.pushName, 'Alice Phone');
        assert.ok([`${A}@s.whatsapp.net`, `${a.lid}@lid`].includes(got.key.remoteJid), got.key.remoteJid);
        const pnReceipt = await until(sim, `/accounts/${A}/receipts`, receiptFrom(byPn.json.id, `${B}:1@s.whatsapp.net`),
            'the companion\'s receipt (pn)');
        assert.ok(['', 'inactive'].includes(pnReceipt.type), pnReceipt.type);
        // B's phone decrypted its copy as well.
        const inboxB = await sim.control('GET', `/accounts/${B}/inbox`);
        assert.ok(inboxB.json.messages.some((m) => m.id === byPn.json.id && m.text === 'hello from the phone (pn)'));

        const byLid = await sim.control('POST', `/accounts/${A}/send`,
            { to: `${b.lid}@lid`, text: 'hello from the phone (lid)', addressing: 'lid' });
        assert.equal(byLid.status, 200, JSON.stringify(byLid.json));
        assert.deepEqual(byLid.json.devices.sort(), [`${b.lid}:1@lid`, `${b.lid}@lid`]);
        const gotLid = await upserts.next((m) => m.key.id === byLid.json.id && textOf(m), 'the LID text');
        assert.equal(textOf(gotLid), 'hello from the phone (lid)');
        await until(sim, `/accounts/${A}/receipts`, receiptFrom(byLid.json.id, `${b.lid}:1@lid`), 'the companion\'s receipt (lid)');
    });

    test('Baileys sends to phone A: it lands in A\'s inbox and Baileys gets the delivery receipt', async () => {
        const sent = await bob.client.sock.sendMessage(`${A}@s.whatsapp.net`, { text: 'hi phone A' });
        const entry = await until(sim, `/accounts/${A}/inbox`,
            (j) => j.messages.find((m) => m.id === sent.key.id), 'the text in A\'s inbox');
        assert.equal(entry.text, 'hi phone A');
        assert.equal(entry.type, 'text');
        assert.equal(entry.count, 0);
        assert.ok([`${B}:1@s.whatsapp.net`, `${b.lid}:1@lid`].includes(entry.from), entry.from);
        assert.equal(await statuses.reach(sent.key.id, 3), 3, 'DELIVERY_ACK from the phone');

        // (d) The phone reads it on command: Baileys sees READ as a messages.update (once its own
        // copy of the message was emitted, so the status is not merged into that upsert).
        await upserts.next((m) => m.key.id === sent.key.id && m.key.fromMe, 'Baileys\' own copy');
        const r = await sim.control('POST', `/accounts/${A}/read`, { chat: `${B}@s.whatsapp.net`, ids: [sent.key.id] });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.equal(await updates.reach(sent.key.id, 4), 4, 'READ from the phone');
    });

    test('break-next: Baileys asks for a retry and the resend decrypts once', async () => {
        const brk = await sim.control('POST', `/accounts/${A}/break-next`, { to: `${B}:1@s.whatsapp.net` });
        assert.equal(brk.status, 200, JSON.stringify(brk.json));
        const sent = await sim.control('POST', `/accounts/${A}/send`, { to: B, text: 'broken once' });
        assert.equal(sent.status, 200, JSON.stringify(sent.json));
        const id = sent.json.id;
        const got = await upserts.next((m) => m.key.id === id && textOf(m), 'the resent text');
        assert.equal(textOf(got), 'broken once');
        const retry = await until(sim, `/accounts/${A}/receipts`, receiptFrom(id, `${B}:1@s.whatsapp.net`, 'retry'),
            'Baileys\' retry receipt');
        assert.equal(retry.count, 1);
        await until(sim, `/accounts/${A}/receipts`, receiptFrom(id, `${B}:1@s.whatsapp.net`), 'the receipt of the resend');
        // B's phone was not broken: it decrypted the first copy.
        const inboxB = await sim.control('GET', `/accounts/${B}/inbox`);
        assert.equal(inboxB.json.messages.filter((m) => m.id === id).length, 1);

        // A later message on the same connection is a barrier: a duplicate of the resend would be
        // in front of it.
        const after = await sim.control('POST', `/accounts/${A}/send`, { to: B, text: 'after the retry' });
        assert.equal(after.status, 200);
        await upserts.next((m) => m.key.id === after.json.id && textOf(m), 'the message after the retry');
        assert.equal(upserts.seen.filter((m) => m.key.id === id && textOf(m)).length, 1, 'emitted once');
        const stillRetried = (await sim.control('GET', `/accounts/${A}/receipts`)).json.receipts
            .filter((r) => r.id === after.json.id && r.type === 'retry');
        assert.equal(stillRetried.length, 0, 'only the next message was broken');
    });

    test('break-next on the first message (a pkmsg) to a fresh companion: retried, decrypts once', async () => {
        const c = await sim.createAccount(C, 'Carol');
        carol = await pairAndOpen(sim, C);
        const carolUpserts = recordUpserts(carol.client);
        const brk = await sim.control('POST', `/accounts/${A}/break-next`, { to: `${c.lid}:1@lid` });
        assert.equal(brk.status, 200, JSON.stringify(brk.json));
        const sent = await sim.control('POST', `/accounts/${A}/send`, { to: `${c.lid}@lid`, text: 'first and broken', addressing: 'lid' });
        assert.equal(sent.status, 200, JSON.stringify(sent.json));
        const id = sent.json.id;
        const got = await carolUpserts.next((m) => m.key.id === id && textOf(m), 'the resent first text');
        assert.equal(textOf(got), 'first and broken');
        const retry = await until(sim, `/accounts/${A}/receipts`, receiptFrom(id, `${c.lid}:1@lid`, 'retry'), 'the retry receipt');
        assert.equal(retry.count, 1);
        const next = await sim.control('POST', `/accounts/${A}/send`, { to: `${c.lid}@lid`, text: 'second', addressing: 'lid' });
        await carolUpserts.next((m) => m.key.id === next.json.id && textOf(m), 'the second text');
        assert.equal(carolUpserts.seen.filter((m) => m.key.id === id && textOf(m)).length, 1, 'emitted once');
    });

    test('CLI verbs: send, inbox, receipts, read, break-next', async () => {
        const sent = await sim.cli('send', '--phone', A, '--to', `${b.lid}@lid`, '--text', 'via the cli',
            '--addressing', 'lid', '--id', '3ACLI0000000000001');
        assert.equal(sent.code, 0, JSON.stringify(sent));
        assert.equal(sent.json.id, '3ACLI0000000000001');
        assert.ok(sent.json.devices.includes(`${b.lid}:1@lid`));
        const got = await upserts.next((m) => m.key.id === '3ACLI0000000000001' && textOf(m), 'the CLI text');
        assert.equal(textOf(got), 'via the cli');
        const inbox = await sim.cli('inbox', '--phone', B);
        assert.equal(inbox.code, 0);
        const entry = inbox.json.messages.find((m) => m.id === '3ACLI0000000000001');
        assert.equal(entry.text, 'via the cli');
        assert.equal(entry.chat, `${a.lid}@lid`);
        const read = await sim.cli('read', '--phone', B, '--chat', `${a.lid}@lid`, '--ids', '3ACLI0000000000001');
        assert.equal(read.code, 0, JSON.stringify(read));
        const receipts = await until(sim, `/accounts/${A}/receipts`,
            (j) => j.receipts.find((r) => r.id === '3ACLI0000000000001' && r.type === 'read'), 'B\'s phone read receipt');
        assert.equal(receipts.from, `${b.lid}@lid`);
        const cliReceipts = await sim.cli('receipts', '--phone', A);
        assert.equal(cliReceipts.code, 0);
        assert.ok(cliReceipts.json.receipts.some((r) => r.id === '3ACLI0000000000001' && r.type === 'read'));
        const badDevice = await sim.cli('break-next', '--phone', A, '--to', `${B}:9@s.whatsapp.net`);
        assert.equal(badDevice.code, 1);
        assert.equal(badDevice.json.error.code, 'no_device');
        const usage = await sim.cli('send', '--phone', A, '--to', B);
        assert.equal(usage.code, 2);
    });
});

// Baileys leaves un-cleared timers behind; see sim-baileys.test.mjs.
after(() => setTimeout(() => process.exit(), 1000).unref());
