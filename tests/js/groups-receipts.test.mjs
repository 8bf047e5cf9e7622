// Receipts per recipient and groups the session knows nothing of, end to end through the real
// wadesk server (native engine) and the emulator's phones, on each backend:
//   - a manager's group text: each member's phone has it (delivered), one member reads it; the
//     message's status follows the first delivery and the first read, and
//     GET .../messages/{id}/receipts lists one entry per member (never per device, never our own
//     account) with the best status it reached and when; a 1:1 text has one entry, the contact;
//     the route answers 404 to whoever may not read the session, and for unknown ids;
//   - a group created without any notification reaching wadesk (the emulator's `notify: false`):
//     its first messages are stored at once, and the session asks WhatsApp for the group's
//     metadata, once, so the chat gets its subject and participants; a change notification in such
//     a group (a member added) brings the whole group the same way.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, backends, newId, until, sleep } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';

for (const [b, backend] of backends().entries()) {
  describe(`receipts per recipient and unknown groups (${backend})`, () => {
    const SHOP = `155500090${b}1`;   // the wadesk account
    const ALICE = `155500090${b}2`;  // the group's creator
    const BOB = `155500090${b}3`;
    const CAROL = `155500090${b}4`;
    let sim;
    let srv;
    let token;
    let sessionId;
    let shopDevice;
    let manager;   // {token, id}
    let gid;
    let other;     // another company
    const lids = {};

    const chats = async () => (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=200`, token), 'chats')).items;
    const messagesOf = async (chatId) =>
      (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chatId}/messages?limit=200`, token), 'messages')).items;
    const receipts = (messageId, t = manager.token) => srv.get(`/api/whatsapp/sessions/${sessionId}/messages/${messageId}/receipts`, t);
    const inbox = async (phone) => (await sim.control('GET', `/accounts/${phone}/inbox`)).body.messages;

    before(async () => {
      sim = await startSim();
      for (const [phone, name] of [[SHOP, 'Shop'], [ALICE, 'Alice'], [BOB, 'Bob'], [CAROL, 'Carol']]) {
        const r = await sim.control('POST', '/accounts', { phone, name });
        assert.equal(r.status, 201);
        lids[phone] = r.body.lid;
      }
      srv = new TestServer({
        backend,
        env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
      });
      const company = await srv.createCompany({ name: `Receipts ${backend}` });
      await srv.start();
      token = await srv.login(company.adminEmail, company.adminPassword);
      ({ sessionId, device: shopDevice } = await linkSession(srv, sim, token, SHOP));
      const email = `mara-${backend}@example.test`;
      const created = await srv.ok(srv.post('/api/managers', token, { email, password: 'a-long-password-1', name: 'Mara' }), 'manager');
      const managerId = (created.user ?? created).id;
      await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, token,
        { managerId, canRead: true, canWrite: true, canManageChats: false }), 'grant');
      manager = { id: managerId, token: await srv.login(email, 'a-long-password-1') };
      other = await srv.createCompany({ name: `Other ${backend}` });

      const group = await sim.control('POST', `/accounts/${ALICE}/groups`, { subject: 'Spare parts', participants: [SHOP, BOB, CAROL] });
      assert.equal(group.status, 201, JSON.stringify(group.body));
      gid = group.body.id;
      await until('the group with its members', async () => {
        const chat = (await chats()).find((c) => c.jid === gid);
        if (!chat) return null;
        const list = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/participants`, token), 'participants');
        return list.length === 4 ? chat : null;
      });
    });

    after(async () => {
      await srv?.stop();
      await sim?.close();
    });

    test("a manager's group text: delivered at the first member's device, read at the first reader, kept per member", async () => {
      const chat = (await chats()).find((c) => c.jid === gid);
      const sent = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/send`, manager.token, { message: 'the pump arrives Tuesday' });
      assert.equal(sent.status, 201, JSON.stringify(sent.json));
      const m = sent.json.data;
      for (const phone of [ALICE, BOB, CAROL]) {
        await until(`at ${phone}'s phone`, async () => (await inbox(phone)).find((x) => x.id === m.waMessageId && x.text === 'the pump arrives Tuesday'));
      }
      // Every member's phone sent its delivery receipt: one entry per member, all delivered.
      const delivered = await until('three members delivered', async () => {
        const r = await receipts(m.id);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        return r.json.data.length === 3 ? r.json.data : null;
      });
      assert.deepEqual(delivered.map((x) => x.phone).sort(), [ALICE, BOB, CAROL].sort());
      for (const x of delivered) {
        assert.equal(x.status, 'delivered');
        assert.equal(x.jid, `${x.phone}@s.whatsapp.net`);
        assert.ok(!Number.isNaN(Date.parse(x.at)), `at is a time: ${x.at}`);
        assert.deepEqual(Object.keys(x).sort(), ['at', 'jid', 'name', 'phone', 'status']);
      }
      const status = async () => (await messagesOf(chat.id)).find((x) => x.id === m.id).status;
      assert.equal(await status(), 'delivered');

      // Bob reads it: the message is read, Bob's entry is read, the others stay delivered.
      const read = await sim.control('POST', `/accounts/${BOB}/read`, { chat: gid, ids: [m.waMessageId] });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      const after = await until('Bob read', async () => {
        const list = (await receipts(m.id)).json.data;
        return list.find((x) => x.phone === BOB && x.status === 'read') ? list : null;
      });
      assert.equal(after.length, 3, JSON.stringify(after));
      assert.equal(after[0].phone, BOB, 'the best status comes first');
      const byPhone = Object.fromEntries(after.map((x) => [x.phone, x]));
      assert.equal(byPhone[ALICE].status, 'delivered');
      assert.equal(byPhone[CAROL].status, 'delivered');
      assert.equal(byPhone[ALICE].at, delivered.find((x) => x.phone === ALICE).at, 'an entry keeps the time its status was reached');
      assert.ok(Date.parse(byPhone[BOB].at) >= Date.parse(delivered.find((x) => x.phone === BOB).at));
      assert.equal(await until('read', async () => ((await status()) === 'read' ? 'read' : null)), 'read');
      // Delivery receipts arriving later never move an entry back.
      await sleep(300);
      assert.equal((await receipts(m.id)).json.data.find((x) => x.phone === BOB).status, 'read');
      // The admin reads the same list; names come from what the session knows (Alice named herself
      // in the group's create notification).
      const asAdmin = (await receipts(m.id, token)).json.data;
      assert.deepEqual(asAdmin, (await receipts(m.id)).json.data);
      assert.equal(asAdmin.find((x) => x.phone === ALICE).name, 'Alice');
    });

    test('a 1:1 text has one entry: the contact', async () => {
      const sent = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${CAROL}/send`, manager.token, { message: 'invoice attached' });
      assert.equal(sent.status, 201, JSON.stringify(sent.json));
      const m = sent.json.data;
      await until('at Carol', async () => (await inbox(CAROL)).find((x) => x.id === m.waMessageId));
      assert.equal((await sim.control('POST', `/accounts/${CAROL}/read`, { chat: `${SHOP}@s.whatsapp.net`, ids: [m.waMessageId] })).status, 200);
      const list = await until('Carol read', async () => {
        const r = (await receipts(m.id)).json.data;
        return r.length === 1 && r[0].status === 'read' ? r : null;
      });
      assert.equal(list[0].jid, `${CAROL}@s.whatsapp.net`);
      assert.equal(list[0].phone, CAROL);
    });

    test('the receipts of a message are shown only to those who may read the session', async () => {
      const chat = (await chats()).find((c) => c.jid === gid);
      const m = (await messagesOf(chat.id)).find((x) => x.fromMe && x.type === 'text');
      assert.equal((await receipts(m.id, null)).status, 401);
      const stranger = `nils-${backend}@example.test`;
      await srv.ok(srv.post('/api/managers', token, { email: stranger, password: 'a-long-password-2', name: 'Nils' }), 'manager');
      const nils = await srv.login(stranger, 'a-long-password-2');
      const denied = await receipts(m.id, nils);
      assert.equal(denied.status, 404);
      assert.equal(denied.json.error.code, 'not_found');
      const ot = await srv.login(other.adminEmail, other.adminPassword);
      assert.equal((await receipts(m.id, ot)).status, 404);
      assert.equal((await receipts('not-an-id')).status, 404);
      assert.equal((await receipts(newId())).status, 404);
      // An incoming message has no receipts of its own.
      const incoming = (await messagesOf(chat.id)).find((x) => !x.fromMe && x.type === 'system');
      if (incoming) assert.deepEqual((await receipts(incoming.id)).json.data, []);
    });

    test('a message in a group the session knows nothing of is stored, and the group is asked for once', async () => {
      const quiet = await sim.control('POST', `/accounts/${ALICE}/groups`, { subject: 'Warehouse night shift', participants: [SHOP, BOB], notify: false });
      assert.equal(quiet.status, 201, JSON.stringify(quiet.body));
      const qid = quiet.body.id;
      await sleep(500);
      assert.equal((await chats()).find((c) => c.jid === qid), undefined, 'no notification told wadesk of the group');
      for (const [i, text] of ['who has the keys?', 'door 3 is stuck', 'fixed'].entries()) {
        const r = await sim.control('POST', `/accounts/${ALICE}/groups/${qid}/send`, { text, id: `QUIET${b}${i}` });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      const chat = await until('the group chat', async () => (await chats()).find((c) => c.jid === qid));
      const stored = await until('the three texts', async () => {
        const list = await messagesOf(chat.id);
        return [0, 1, 2].every((i) => list.some((x) => x.waMessageId === `QUIET${b}${i}`)) ? list : null;
      });
      assert.equal(stored.find((x) => x.waMessageId === `QUIET${b}0`).body, 'who has the keys?');
      const named = await until('the subject', async () => {
        const c = (await chats()).find((x) => x.jid === qid);
        return c.name === 'Warehouse night shift' ? c : null;
      });
      assert.equal(named.isGroup, true);
      const members = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/participants`, token), 'participants');
      assert.deepEqual(members.map((p) => [p.phone, p.admin]).sort(), [[ALICE, 'superadmin'], [BOB, 'none'], [SHOP, 'none']].sort());
      assert.equal(members.find((p) => p.phone === ALICE).lid, `${lids[ALICE]}@lid`);
      // One query for three messages.
      const asked = srv.stderr.split('\n').filter((l) => l.includes(`group ${qid} is unknown`));
      assert.equal(asked.length, 1, asked.join('\n'));
      // A later message asks nothing more.
      await sim.control('POST', `/accounts/${ALICE}/groups/${qid}/send`, { text: 'thanks', id: `QUIET${b}9` });
      await until('the fourth text', async () => (await messagesOf(chat.id)).find((x) => x.waMessageId === `QUIET${b}9`));
      assert.equal(srv.stderr.split('\n').filter((l) => l.includes(`group ${qid} is unknown`)).length, 1);
      assert.ok(shopDevice);
    });

    test('a change notification in a group the session knows nothing of brings the whole group', async () => {
      const quiet = await sim.control('POST', `/accounts/${BOB}/groups`, { subject: 'Loading dock', participants: [SHOP, ALICE], notify: false });
      assert.equal(quiet.status, 201, JSON.stringify(quiet.body));
      const qid = quiet.body.id;
      // The first wadesk hears of it: Carol is added (a w:gp2 notification naming her alone).
      const add = await sim.control('POST', `/accounts/${BOB}/groups/${qid}/participants`, { action: 'add', participants: [CAROL] });
      assert.equal(add.status, 200, JSON.stringify(add.body));
      const chat = await until('the group, named', async () => {
        const c = (await chats()).find((x) => x.jid === qid);
        return c?.name === 'Loading dock' ? c : null;
      });
      const members = await until('every member', async () => {
        const list = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/participants`, token), 'participants');
        return list.length === 4 ? list : null;
      });
      assert.deepEqual(members.map((p) => [p.phone, p.admin]).sort(),
        [[ALICE, 'none'], [BOB, 'superadmin'], [CAROL, 'none'], [SHOP, 'none']].sort());
      // The change itself is a line of the chat.
      const lines = (await messagesOf(chat.id)).filter((m) => m.type === 'system').map((m) => m.body);
      assert.ok(lines.some((l) => l.endsWith(`added +${CAROL}`)), JSON.stringify(lines));
      assert.equal(srv.stderr.split('\n').filter((l) => l.includes(`group ${qid} is unknown`)).length, 1);
    });
  });
}
