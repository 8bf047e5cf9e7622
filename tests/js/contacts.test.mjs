// Contacts (issue 12), through the real wadesk server (native engine) and the emulator: the
// phone's history names its contacts (conversation names, PN<->LID pairs), every incoming
// message carries its sender's push name ("notify"), and GET /sessions/{id}/contacts lists them
// with {jid, phone, lid, name, pushName}, paged and searchable, to managers with canRead only.
// A 1:1 chat with no name of its own shows its contact's name, in the listing and in the
// whatsapp:chat_updated events. The history's PN<->LID pairs also reach the Signal LID map.
// The emulated phone sends a PUSH_NAME chunk after the conversations (docs/sim.md).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, backends, until } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';

const T0 = Math.floor(Date.now() / 1000) - 5 * 86400;

for (const backend of backends()) describe(backend, () => {
    const base = backend === 'sqlite' ? 15550008000 : 15550008100;
    const SHOP = String(base + 1);
    const PAT = String(base + 2);       // in the phone's history, with the phone's name for her
    const SAM = String(base + 3);       // not in the history: known by his push name only
    const OUTSIDER = String(base + 9);  // in the history, no account at the emulator
    let sim;
    let srv;
    let company;
    let other;
    let token;
    let sessionId;
    let patLid;
    let samLid;

    const contacts = async (query = '', as = token) =>
        srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/contacts${query}`, as), 'contacts');
    const chats = async () =>
        (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=100`, token), 'chats')).items;

    before(async () => {
        sim = await startSim();
        for (const [phone, name] of [[SHOP, 'Shop'], [PAT, 'Patricia'], [SAM, 'Sam Live']]) {
            assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
        }
        patLid = (await sim.control('GET', `/accounts/${PAT}`)).body.lid_jid;
        samLid = (await sim.control('GET', `/accounts/${SAM}`)).body.lid_jid;
        const seeded = await sim.control('PUT', `/accounts/${SHOP}/history`, {
            chats: [
                { with: PAT, name: 'Pat (customer)', messages: [{ id: 'C-PAT-1', text: 'hello', t: T0 }] },
                { with: OUTSIDER, name: 'Old supplier', messages: [{ id: 'C-OUT-1', fromMe: true, text: 'invoice', t: T0, status: 'read' }] },
            ],
        });
        assert.equal(seeded.status, 200, JSON.stringify(seeded.body));
        srv = new TestServer({
            backend,
            env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
        });
        company = await srv.createCompany({ name: `Contacts ${backend}` });
        other = await srv.createCompany({ name: `Contacts other ${backend}` });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        ({ sessionId } = await linkSession(srv, sim, token, SHOP));
    });

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    test('the history names its contacts: the phone\'s names, push names and PN<->LID pairs', async () => {
        const list = await until('the history contacts', async () => {
            const r = await contacts();
            return r.items.some((c) => c.phone === PAT && c.pushName) && r.total >= 2 ? r : null;
        });
        assert.deepEqual(Object.keys(list).sort(), ['items', 'limit', 'page', 'total']);
        assert.equal(list.page, 1);
        assert.equal(list.limit, 50);
        const pat = list.items.find((c) => c.phone === PAT);
        // name from the conversation, pushName from the phone's PUSH_NAME chunk.
        assert.deepEqual(pat, { jid: `${PAT}@s.whatsapp.net`, phone: PAT, lid: patLid, name: 'Pat (customer)', pushName: 'Patricia' });
        const outsider = list.items.find((c) => c.phone === OUTSIDER);
        assert.deepEqual(outsider, { jid: `${OUTSIDER}@s.whatsapp.net`, phone: OUTSIDER, lid: null, name: 'Old supplier', pushName: null });
        // The chats have no name of their own: they show their contacts'.
        const byJid = Object.fromEntries((await chats()).map((c) => [c.jid, c]));
        assert.equal(byJid[`${PAT}@s.whatsapp.net`].name, 'Pat (customer)');
        assert.equal(byJid[`${OUTSIDER}@s.whatsapp.net`].name, 'Old supplier');
    });

    test('the history\'s PN<->LID pairs reach the Signal LID map before the contact ever writes', async () => {
        // The session's LID map keeps each pair under both sides (lid_map.h); nothing but the
        // history has named Pat to this session yet.
        const patLidUser = patLid.split('@')[0];
        const keys = await until('the pair in the LID map', async () => {
            const rows = await srv.querySql(`SELECT cred_key FROM wa_credentials WHERE session_id = '${sessionId}' ` +
                `AND cred_key IN ('lid-map/pn/${PAT}', 'lid-map/lid/${patLidUser}') ORDER BY cred_key`);
            return rows.length === 2 ? rows.map((r) => r[0]) : null;
        });
        assert.deepEqual(keys, [`lid-map/lid/${patLidUser}`, `lid-map/pn/${PAT}`]);
    });

    test('push names of incoming messages name new contacts and their chats', async () => {
        const sent = await sim.control('POST', `/accounts/${SAM}/send`, { to: SHOP, text: 'is the shop open?', id: 'C-SAM-1' });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
        const sam = await until('Sam as a contact', async () => (await contacts()).items.find((c) => c.phone === SAM));
        assert.equal(sam.jid, `${SAM}@s.whatsapp.net`);
        assert.equal(sam.pushName, 'Sam Live');
        assert.equal(sam.name, null);
        assert.equal(sam.lid, samLid, 'the stanza\'s PN<->LID pair is kept');
        const chat = (await chats()).find((c) => c.jid === `${SAM}@s.whatsapp.net`);
        assert.equal(chat.name, 'Sam Live', 'the chat shows the contact\'s push name');
        const events = await srv.allEvents(token);
        const updates = events.filter((e) => e.name === 'whatsapp:chat_updated' && e.data.chatId === chat.id);
        assert.ok(updates.length > 0);
        for (const e of updates) assert.equal(e.data.chat.name, 'Sam Live', JSON.stringify(e.data));
    });

    test('a live message by LID keeps one contact, and its push name does not replace the phone\'s name', async () => {
        const sent = await sim.control('POST', `/accounts/${PAT}/send`, { to: SHOP, text: 'me again', addressing: 'lid', id: 'C-PAT-2' });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
        await until('the live message', async () =>
            (await chats()).some((c) => c.jid === `${PAT}@s.whatsapp.net` && c.lastMessage === 'me again'));
        const pat = (await contacts()).items.find((c) => c.phone === PAT);
        assert.deepEqual(pat, { jid: `${PAT}@s.whatsapp.net`, phone: PAT, lid: patLid, name: 'Pat (customer)', pushName: 'Patricia' });
        const r = await contacts();
        assert.equal(r.items.filter((c) => c.phone === PAT).length, 1, 'one contact whatever addressing it writes with');
        const chat = (await chats()).find((c) => c.jid === `${PAT}@s.whatsapp.net`);
        assert.equal(chat.name, 'Pat (customer)');
    });

    test('the listing pages, searches and orders by name', async () => {
        const all = await contacts();
        // Named first by name: Old supplier, Pat (customer), Sam Live; then unnamed ones (the
        // shop itself when the phone names it).
        const named = all.items.filter((c) => c.name || c.pushName).map((c) => c.name ?? c.pushName);
        assert.deepEqual(named.slice(0, 3), ['Old supplier', 'Pat (customer)', 'Sam Live']);
        const page2 = await contacts('?limit=1&page=2');
        assert.equal(page2.total, all.total);
        assert.equal(page2.items.length, 1);
        assert.deepEqual(page2.items[0], all.items[1]);
        assert.deepEqual((await contacts('?search=PATRIC')).items.map((c) => c.phone), [PAT]);
        assert.deepEqual((await contacts(`?search=${SAM}`)).items.map((c) => c.phone), [SAM]);
        assert.deepEqual((await contacts(`?search=${encodeURIComponent(patLid)}`)).items.map((c) => c.phone), [PAT]);
        assert.equal((await contacts('?search=%25')).total, 0);
        // The chat list's search finds a chat by its contact's name.
        const found = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?search=old%20supp`, token), 'chats');
        assert.deepEqual(found.items.map((c) => c.jid), [`${OUTSIDER}@s.whatsapp.net`]);
        // Bad input gets a clear error.
        assert.equal((await srv.get(`/api/whatsapp/sessions/${sessionId}/contacts?limit=0`, token)).status, 400);
        assert.equal((await srv.get(`/api/whatsapp/sessions/${sessionId}/contacts?search=${'x'.repeat(201)}`, token)).status, 400);
    });

    test('only those who may read the session see its contacts', async () => {
        const email = `mila-${backend}@example.test`;
        const password = 'a-long-password-1';
        const manager = await srv.ok(srv.post('/api/managers', token, { email, password, name: 'Mila' }), 'manager');
        const managerId = (manager.user ?? manager).id;
        const mt = await srv.login(email, password);
        const denied = await srv.get(`/api/whatsapp/sessions/${sessionId}/contacts`, mt);
        assert.ok([403, 404].includes(denied.status), `without canRead: ${denied.status}`);
        await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, token,
            { managerId, canRead: true, canWrite: false, canManageChats: false }));
        const seen = await contacts('', mt);
        assert.ok(seen.items.some((c) => c.phone === SAM));
        const ot = await srv.login(other.adminEmail, other.adminPassword);
        assert.equal((await srv.get(`/api/whatsapp/sessions/${sessionId}/contacts`, ot)).status, 404);
        assert.equal((await srv.get(`/api/whatsapp/sessions/${sessionId}/contacts`)).status, 401);
    });
});
