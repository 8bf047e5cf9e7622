// Groups through the sim, proven by unmodified Baileys companions (wa-protocol §18): a group a phone
// creates reaches the members' companions (w:gp2 create) with subject and participants; a phone's
// group text (SKDM pairwise + one skmsg) is decrypted by the Baileys companions and the other
// phones; a Baileys companion's group text is decrypted by the phones; receipts come back with
// `participant`; a member added later reads later messages, a removed one stops receiving; a
// subject change reaches everyone; a group a Baileys companion creates shows at the phones.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SimProcess, cleanup, pairAndOpen } from './lib/sim-harness.mjs';

const ALICE = '15550007001';
const BOB = '15550007002';
const CAROL = '15550007003';
const DAVE = '15550007004';

// Resolves with the first event `name` whose payload satisfies pred.
function nextEvent(client, name, pred, what, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            client.sock.ev.off(name, on);
            reject(new Error(`no ${what}`));
        }, timeoutMs);
        const on = (payload) => {
            const hit = pred(payload);
            if (hit) {
                clearTimeout(timer);
                client.sock.ev.off(name, on);
                resolve(hit);
            }
        };
        client.sock.ev.on(name, on);
    });
}

function nextGroupText(client, gid, text) {
    return nextEvent(client, 'messages.upsert', ({ messages }) =>
        messages.find((m) => m.key.remoteJid === gid &&
            (m.message?.conversation || m.message?.extendedTextMessage?.text) === text),
    `group message "${text}"`);
}

async function inbox(sim, phone) {
    const r = await sim.control('GET', `/accounts/${phone}/inbox`);
    assert.equal(r.status, 200);
    return r.json.messages;
}

async function waitFor(check, what, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await check();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

const inboxHas = (sim, phone, gid, text) => waitFor(async () =>
    (await inbox(sim, phone)).find((m) => m.chat === gid && m.text === text), `"${text}" in ${phone}'s inbox`);

describe('groups through the sim with Baileys companions', () => {
    let sim;
    const accounts = {};
    const dirs = [];
    let bob;
    let carol;
    let gid;

    before(async () => {
        sim = await new SimProcess().start();
        for (const [phone, name] of [[ALICE, 'Alice'], [BOB, 'Bob'], [CAROL, 'Carol'], [DAVE, 'Dave']]) {
            accounts[phone] = await sim.createAccount(phone, name);
        }
        bob = await pairAndOpen(sim, BOB);
        carol = await pairAndOpen(sim, CAROL);
        dirs.push(bob.authDir, carol.authDir);
    });
    after(async () => {
        await bob?.client.end();
        await carol?.client.end();
        const status = await sim.stop();
        for (const d of dirs) cleanup(d);
        assert.equal(status.code, 0, `sim exit ${JSON.stringify(status)}: ${sim.stderr}`);
    });

    test('a group created by a phone reaches the members with subject and participants', async () => {
        const upserted = nextEvent(bob.client, 'groups.upsert', (groups) => groups[0], 'groups.upsert at Bob');
        const created = await sim.control('POST', `/accounts/${ALICE}/groups`,
            { subject: 'Project Falcon', participants: [BOB, `${accounts[CAROL].lid}@lid`] });
        assert.equal(created.status, 201, JSON.stringify(created.json));
        gid = created.json.id;
        assert.match(gid, /^120363\d{12}@g\.us$/);
        assert.equal(created.json.subject, 'Project Falcon');
        assert.equal(created.json.creator, `${ALICE}@s.whatsapp.net`);
        const ranks = Object.fromEntries(created.json.participants.map((p) => [p.phone_number, p.admin]));
        assert.deepEqual(ranks, {
            [`${ALICE}@s.whatsapp.net`]: 'superadmin', [`${BOB}@s.whatsapp.net`]: 'none', [`${CAROL}@s.whatsapp.net`]: 'none',
        });

        const group = await upserted;
        assert.equal(group.id, gid);
        assert.equal(group.subject, 'Project Falcon');
        assert.equal(group.addressingMode, 'lid');
        assert.equal(group.owner, `${accounts[ALICE].lid}@lid`);
        assert.equal(group.participants.length, 3);

        // The members' metadata query and participating list agree.
        const meta = await bob.client.sock.groupMetadata(gid);
        assert.equal(meta.subject, 'Project Falcon');
        const admins = meta.participants.filter((p) => p.admin).map((p) => [p.id, p.admin]);
        assert.deepEqual(admins, [[`${accounts[ALICE].lid}@lid`, 'superadmin']]);
        const all = await carol.client.sock.groupFetchAllParticipating();
        assert.deepEqual(Object.keys(all), [gid]);

        // A non-member is refused (403), an unknown group is 404, as WhatsApp answers.
        const outsider = await sim.control('GET', `/accounts/${DAVE}/groups/${gid}`);
        assert.equal(outsider.status, 403);
        const unknown = await sim.control('GET', `/accounts/${ALICE}/groups/120363999999999999@g.us`);
        assert.equal(unknown.status, 404);
    });

    test("a phone's group text reaches every member's companion and phone; receipts carry participant", async () => {
        const atBob = nextGroupText(bob.client, gid, 'kickoff at 10');
        const atCarol = nextGroupText(carol.client, gid, 'kickoff at 10');
        const sent = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'kickoff at 10' });
        assert.equal(sent.status, 200, JSON.stringify(sent.json));
        // The sender key went pairwise to the phones and companions of Bob and Carol.
        assert.deepEqual([...sent.json.devices].sort(), [
            `${accounts[BOB].lid}@lid`, `${accounts[BOB].lid}:1@lid`, `${accounts[CAROL].lid}@lid`, `${accounts[CAROL].lid}:1@lid`,
        ].sort());
        const [mb, mc] = await Promise.all([atBob, atCarol]);
        assert.equal(mb.key.participant, `${accounts[ALICE].lid}@lid`);
        assert.equal(mc.pushName, 'Alice');
        const atBobPhone = await inboxHas(sim, BOB, gid, 'kickoff at 10');
        assert.equal(atBobPhone.from, `${accounts[ALICE].lid}@lid`);
        await inboxHas(sim, CAROL, gid, 'kickoff at 10');

        // Delivery receipts come back to Alice's phone naming the receiving devices.
        const receipts = await waitFor(async () => {
            const r = (await sim.control('GET', `/accounts/${ALICE}/receipts`)).json.receipts.filter((x) => x.id === sent.json.id);
            return r.length >= 4 ? r : null;
        }, 'four delivery receipts');
        assert.ok(receipts.some((r) => r.from === `${accounts[BOB].lid}:1@lid`), JSON.stringify(receipts));

        // The second text needs no key distribution: a bare skmsg that Baileys decrypts.
        const again = nextGroupText(bob.client, gid, 'bring the specs');
        const second = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'bring the specs' });
        assert.deepEqual(second.json.devices, []);
        await again;
    });

    test("a Baileys companion's group text reaches the phones and the other companion", async () => {
        const atCarol = nextGroupText(carol.client, gid, 'specs attached');
        const sent = await bob.client.sock.sendMessage(gid, { text: 'specs attached' });
        const m = await atCarol;
        assert.equal(m.key.id, sent.key.id);
        const atAlice = await inboxHas(sim, ALICE, gid, 'specs attached');
        assert.equal(atAlice.from, `${accounts[BOB].lid}:1@lid`);
        await inboxHas(sim, CAROL, gid, 'specs attached');
        await inboxHas(sim, BOB, gid, 'specs attached');  // Bob's own phone: groups have no DSM
    });

    test('a member added later reads later messages; a removed one stops receiving', async () => {
        const removedAtCarol = nextEvent(carol.client, 'group-participants.update',
            (u) => (u.id === gid && u.action === 'remove' ? u : null), 'remove at Carol');
        const add = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/participants`,
            { action: 'add', participants: [DAVE, BOB] });
        assert.equal(add.status, 200);
        assert.deepEqual(add.json.participants, [
            { jid: `${DAVE}@s.whatsapp.net` }, { jid: `${BOB}@s.whatsapp.net`, error: '409' },
        ]);
        // Only admins manage members: Bob is refused with 401 → 403.
        const notAdmin = await sim.control('POST', `/accounts/${BOB}/groups/${gid}/participants`,
            { action: 'remove', participants: [ALICE] });
        assert.equal(notAdmin.status, 403);
        assert.equal(notAdmin.json.error.code, 'not-authorized');

        const remove = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/participants`,
            { action: 'remove', participants: [CAROL] });
        assert.deepEqual(remove.json.participants, [{ jid: `${CAROL}@s.whatsapp.net` }]);
        await removedAtCarol;

        // Alice's phone made a new key: it goes to Bob's and Dave's devices, not Carol's.
        const atBob = nextGroupText(bob.client, gid, 'welcome Dave');
        const sent = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'welcome Dave' });
        assert.deepEqual([...sent.json.devices].sort(),
            [`${accounts[BOB].lid}@lid`, `${accounts[BOB].lid}:1@lid`, `${accounts[DAVE].lid}@lid`].sort());
        await atBob;
        await inboxHas(sim, DAVE, gid, 'welcome Dave');
        // Bob's companion sends too: Baileys sends its key to Dave's phone, who decrypts.
        await bob.client.sock.sendMessage(gid, { text: 'hi Dave' });
        await inboxHas(sim, DAVE, gid, 'hi Dave');
        await new Promise((r) => setTimeout(r, 500));
        const carolTexts = (await inbox(sim, CAROL)).filter((m) => m.chat === gid).map((m) => m.text);
        assert.ok(!carolTexts.includes('welcome Dave') && !carolTexts.includes('hi Dave'), JSON.stringify(carolTexts));
        const carolSend = await sim.control('POST', `/accounts/${CAROL}/groups/${gid}/send`, { text: 'still here?' });
        assert.equal(carolSend.status, 403);
    });

    test('a subject change reaches the members', async () => {
        const atBob = nextEvent(bob.client, 'groups.update', (u) => u.find((g) => g.id === gid && g.subject), 'subject update');
        const r = await sim.control('PUT', `/accounts/${DAVE}/groups/${gid}/subject`, { subject: 'Falcon launch' });
        assert.equal(r.status, 200);
        assert.equal((await atBob).subject, 'Falcon launch');
        assert.equal((await sim.control('GET', `/accounts/${ALICE}/groups/${gid}`)).json.subject, 'Falcon launch');
    });

    test('a group a Baileys companion creates shows at the phones; leaving is seen by the others', async () => {
        const meta = await bob.client.sock.groupCreate('Dealers', [`${DAVE}@s.whatsapp.net`]);
        const listed = await waitFor(async () => (await sim.control('GET', `/accounts/${DAVE}/groups`)).json.groups
            .find((g) => g.id === meta.id), 'the group at Dave');
        assert.equal(listed.subject, 'Dealers');
        assert.equal(listed.creator, `${BOB}@s.whatsapp.net`);
        const dave = await sim.control('POST', `/accounts/${DAVE}/groups/${meta.id}/send`, { text: 'thanks Bob' });
        assert.equal(dave.status, 200);
        await nextGroupText(bob.client, meta.id, 'thanks Bob').catch(async (e) => {
            // Already delivered before the listener? The inbox of Bob's phone tells.
            if (!(await inbox(sim, BOB)).some((m) => m.text === 'thanks Bob')) throw e;
        });
        const left = nextEvent(bob.client, 'group-participants.update',
            (u) => (u.id === meta.id && u.action === 'remove' ? u : null), 'leave at Bob');
        assert.equal((await sim.control('POST', `/accounts/${DAVE}/groups/${meta.id}/leave`)).status, 200);
        const u = await left;
        assert.equal(u.participants[0].id ?? u.participants[0], `${accounts[DAVE].lid}@lid`);
    });
});
