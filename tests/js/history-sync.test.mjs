// History on link (wa-protocol §10), through the real wadesk server (native engine) and the
// emulator: the shop's phone holds chats before wadesk links; right after linking, the phone
// pushes them as an INITIAL_BOOTSTRAP chunk (inline payload) and wadesk imports them: every chat
// with its name, unread count, archived/pinned state and messages in both directions with their
// statuses, marked fromHistory, with whatsapp:history_progress events and no whatsapp:message per
// imported message. A contact known by its LID lands in the same chat when it writes later. A
// SIGKILL in the middle of a larger import loses nothing and stores nothing twice. A session set to
// import no history links with no chats.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, backends, until } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';

const DAY = 86400;
// 09:00 UTC ten days ago: inside the statistics' 30 days, far from a day's edge.
const T0 = (Math.floor(Date.now() / 1000 / DAY) - 10) * DAY + 9 * 3600;

async function chatsOf(srv, token, sessionId) {
    return (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=100`, token), 'chats')).items;
}

async function messagesIn(srv, token, sessionId, chatId) {
    const out = [];
    for (let page = 1; ; page++) {
        const r = await srv.ok(
            srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chatId}/messages?limit=200&page=${page}`, token), 'messages');
        out.push(...r.items);
        if (r.items.length < 200) return out;
    }
}

for (const backend of backends()) describe(backend, () => {
    const SHOP = backend === 'sqlite' ? '15550007001' : '15550007101';
    const PAT = backend === 'sqlite' ? '15550007002' : '15550007102';  // an account of the emulator: known PN and LID
    const OUTSIDER = '15559990001';                                     // a number the emulator has no account for
    let sim;
    let srv;
    let token;
    let sessionId;
    let patLid;

    before(async () => {
        sim = await startSim();
        for (const [phone, name] of [[SHOP, 'Shop'], [PAT, 'Pat']]) {
            assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
        }
        patLid = (await sim.control('GET', `/accounts/${PAT}`)).body.lid_jid;
        const seeded = await sim.control('PUT', `/accounts/${SHOP}/history`, {
            chats: [
                {
                    with: PAT, name: 'Pat (customer)', unread: 1,
                    messages: [
                        { id: 'H-PAT-1', text: 'do you deliver on Sundays?', t: T0 },
                        { id: 'H-PAT-2', fromMe: true, text: 'yes, from 10 to 4', t: T0 + 60, status: 'read' },
                        { id: 'H-PAT-3', text: 'great, see you', t: T0 + DAY },
                    ],
                },
                {
                    with: OUTSIDER, name: 'Old supplier', archived: true, pinned: true,
                    messages: [{ id: 'H-OUT-1', fromMe: true, text: 'invoice attached', t: T0 - 3 * DAY, status: 'delivered' }],
                },
            ],
        });
        assert.equal(seeded.status, 200, JSON.stringify(seeded.body));
        srv = new TestServer({
            backend,
            env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
        });
        const company = await srv.createCompany({ name: `History ${backend}` });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        ({ sessionId } = await linkSession(srv, sim, token, SHOP));
    });

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    test('the phone\'s chats appear right after linking, with their state and messages', async () => {
        const chats = await until('both history chats', async () => {
            const list = await chatsOf(srv, token, sessionId);
            return list.length >= 2 ? list : null;
        });
        assert.equal(chats.length, 2, JSON.stringify(chats));
        const pat = chats.find((c) => c.jid === `${PAT}@s.whatsapp.net`);
        const outsider = chats.find((c) => c.jid === `${OUTSIDER}@s.whatsapp.net`);
        assert.ok(pat && outsider, JSON.stringify(chats));
        assert.equal(pat.name, 'Pat (customer)');
        assert.equal(pat.lid, patLid, 'the chunk\'s PN<->LID pair is kept on the chat');
        assert.equal(pat.unreadCount, 1);
        assert.equal(pat.archived, false);
        assert.equal(outsider.name, 'Old supplier');
        assert.equal(outsider.archived, true);
        assert.equal(outsider.pinned, true);
        assert.equal(outsider.unreadCount, 0);
        assert.equal(pat.lastMessage, 'great, see you');

        const messages = await messagesIn(srv, token, sessionId, pat.id);
        const byId = Object.fromEntries(messages.map((m) => [m.waMessageId, m]));
        assert.deepEqual(Object.keys(byId).sort(), ['H-PAT-1', 'H-PAT-2', 'H-PAT-3']);
        assert.equal(byId['H-PAT-1'].body, 'do you deliver on Sundays?');
        assert.equal(byId['H-PAT-1'].fromMe, false);
        assert.equal(byId['H-PAT-1'].sender.phone, PAT);
        assert.equal(byId['H-PAT-1'].timestamp, new Date(T0 * 1000).toISOString());
        assert.equal(byId['H-PAT-2'].fromMe, true);
        assert.equal(byId['H-PAT-2'].status, 'read');
        for (const m of messages) assert.equal(m.fromHistory, true, m.waMessageId);
        const [supplierMessage] = await messagesIn(srv, token, sessionId, outsider.id);
        assert.equal(supplierMessage.status, 'delivered');
    });

    test('the import is reported as progress, not message by message, and counts on its own dates', async () => {
        const events = await until('history done', async () => {
            const list = await srv.allEvents(token);
            return list.some((e) => e.name === 'whatsapp:history_progress' && e.data.phase === 'done' && e.data.syncType === 'push_name') ? list : null;
        });
        const all = events.filter((e) => e.name === 'whatsapp:history_progress');
        // The conversations, then the phone's PUSH_NAME chunk (Pat is an account with a name).
        assert.deepEqual(all.map((e) => [e.data.syncType, e.data.phase]),
            [['initial_bootstrap', 'started'], ['initial_bootstrap', 'done'], ['push_name', 'started'], ['push_name', 'done']]);
        const progress = all.filter((e) => e.data.syncType === 'initial_bootstrap');
        for (const e of progress) {
            assert.equal(e.data.sessionId, sessionId);
            assert.equal(e.data.syncType, 'initial_bootstrap');
            assert.equal(e.data.chats, 2);
            assert.equal(e.data.messages, 4);
            assert.equal(e.data.progress, 100);
        }
        assert.equal(events.filter((e) => e.name === 'whatsapp:message').length, 0, 'no message event per imported message');

        const stats = await srv.ok(srv.get('/api/whatsapp/stats', token), 'stats');
        const day = (t) => new Date(t * 1000).toISOString().slice(0, 10);
        const perDay = Object.fromEntries(stats.messages.perDay.map((d) => [d.date, d]));
        assert.deepEqual([perDay[day(T0)].incoming, perDay[day(T0)].outgoing], [1, 1], JSON.stringify(stats.messages));
        assert.deepEqual([perDay[day(T0 + DAY)].incoming, perDay[day(T0 + DAY)].outgoing], [1, 0]);
        assert.deepEqual([perDay[day(T0 - 3 * DAY)].incoming, perDay[day(T0 - 3 * DAY)].outgoing], [0, 1]);
    });

    test('the contact writing later by its LID lands in the imported chat', async () => {
        const sent = await sim.control('POST', `/accounts/${PAT}/send`, { to: SHOP, text: 'back again', addressing: 'lid', id: 'LIVE-1' });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
        const chats = await until('the live message', async () => {
            const list = await chatsOf(srv, token, sessionId);
            return list.find((c) => c.lastMessage === 'back again') ? list : null;
        });
        assert.equal(chats.length, 2, 'one chat per contact whatever addressing it uses');
        const pat = chats.find((c) => c.jid === `${PAT}@s.whatsapp.net`);
        const messages = await messagesIn(srv, token, sessionId, pat.id);
        assert.equal(messages.length, 4);
        assert.equal(messages.find((m) => m.waMessageId === 'LIVE-1').fromHistory, false);
        assert.equal(pat.unreadCount, 2, 'the phone\'s unread count plus the live message');
    });
});

describe('a crash in the middle of an import', () => {
    const SHOP = '15550007201';
    const PER_CHAT = 600;
    let sim;
    let srv;
    let token;
    let sessionId;

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    test('loses nothing and stores nothing twice', async () => {
        sim = await startSim();
        assert.equal((await sim.control('POST', '/accounts', { phone: SHOP, name: 'Big shop' })).status, 201);
        const chats = [];
        for (let c = 0; c < 19; c++) {
            const messages = [];
            for (let i = 0; i < PER_CHAT; i++) {
                messages.push({ id: `C${c}-M${i}`, fromMe: i % 3 === 0, text: `chat ${c} message ${i}`, t: T0 + c * 1000 + i, status: 'read' });
            }
            chats.push({ with: String(15557770000 + c), name: `Customer ${c}`, messages });
        }
        assert.equal((await sim.control('PUT', `/accounts/${SHOP}/history`, { chats })).status, 200);
        srv = new TestServer({
            backend: backends()[0],
            env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
        });
        const company = await srv.createCompany({ name: 'Crash history' });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        // `full`: the phone pushes every message (a `recent` companion gets the newest 50 per chat).
        ({ sessionId } = await linkSession(srv, sim, token, SHOP, 'shop', { history: 'full' }));
        // Killed as soon as the import has begun (11,400 messages go in 23 batches).
        await until('the import under way', async () =>
            (await srv.allEvents(token)).some((e) => e.name === 'whatsapp:history_progress'), 30000);
        await srv.crash();
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        await until('the import done after the restart', async () =>
            (await srv.allEvents(token)).some((e) => e.name === 'whatsapp:history_progress' && e.data.phase === 'done'), 60000);
        const list = await chatsOf(srv, token, sessionId);
        assert.equal(list.length, 19);
        let total = 0;
        for (const chat of list) {
            const messages = await messagesIn(srv, token, sessionId, chat.id);
            const ids = new Set(messages.map((m) => m.waMessageId));
            assert.equal(ids.size, messages.length, `no message twice in ${chat.name}`);
            assert.equal(messages.length, PER_CHAT, `every message of ${chat.name}`);
            total += messages.length;
        }
        assert.equal(total, 19 * PER_CHAT);
        const phases = (await srv.allEvents(token))
            .filter((e) => e.name === 'whatsapp:history_progress').map((e) => e.data.phase);
        assert.equal(phases.filter((p) => p === 'started').length, 2, `begun, killed, begun again: ${phases}`);
        assert.equal(phases.filter((p) => p === 'done').length, 1);
    });
});

describe('the history setting', () => {
    const SHOP = '15550007301';
    let sim;
    let srv;
    let token;

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    test('is validated, kept, changed, and "none" imports nothing', async () => {
        sim = await startSim();
        assert.equal((await sim.control('POST', '/accounts', { phone: SHOP, name: 'Quiet shop' })).status, 201);
        const seeded = await sim.control('PUT', `/accounts/${SHOP}/history`, {
            chats: [{ with: '15559990002', name: 'Someone', messages: [{ id: 'H-Q-1', text: 'old news', t: T0 }] }],
        });
        assert.equal(seeded.status, 200);
        srv = new TestServer({
            backend: backends()[0],
            env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
        });
        const company = await srv.createCompany({ name: 'History setting' });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);

        const bad = await srv.post('/api/whatsapp/sessions', token, { name: 'x', history: 'everything' });
        assert.equal(bad.status, 400);
        assert.equal(bad.json.error.code, 'invalid_history');
        const created = await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'Default' }), 'create');
        assert.equal(created.history, 'recent');
        const changed = await srv.ok(srv.patch(`/api/whatsapp/sessions/${created.sessionId}`, token, { history: 'full' }), 'patch');
        assert.equal(changed.history, 'full');
        assert.equal(changed.name, 'Default');
        const reread = await srv.ok(srv.get(`/api/whatsapp/sessions/${created.sessionId}`, token), 'get');
        assert.equal(reread.history, 'full');
        assert.equal((await srv.patch(`/api/whatsapp/sessions/${created.sessionId}`, token, { history: 7 })).status, 400);
        await srv.ok(srv.del(`/api/whatsapp/sessions/${created.sessionId}`, token), 'delete');

        const quiet = await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'Quiet', history: 'none' }), 'create');
        assert.equal(quiet.history, 'none');
        await srv.ok(srv.del(`/api/whatsapp/sessions/${quiet.sessionId}`, token), 'delete');
        // linkSession creates its own session: set it to none before the phone scans.
        const created2 = await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'Linked quietly', history: 'none' }), 'create');
        const qr = await until('a QR', async () => {
            const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${created2.sessionId}/qr`, token), 'qr');
            return r.qr ? r : null;
        });
        assert.equal((await sim.control('POST', `/accounts/${SHOP}/scan`, { qr: qr.qr })).status, 200);
        await until('connected', async () =>
            (await srv.ok(srv.get(`/api/whatsapp/sessions/${created2.sessionId}`, token), 'session')).status === 'connected');
        // The phone's push arrives and is settled; nothing of it becomes a chat.
        await until('the push settled', async () => srv.stderrTail(20000).includes('history is off for this session'));
        const chats = await srv.ok(srv.get(`/api/whatsapp/sessions/${created2.sessionId}/chats`, token), 'chats');
        assert.equal(chats.items.length, 0);
        const events = await srv.allEvents(token);
        assert.equal(events.filter((e) => e.name === 'whatsapp:history_progress').length, 0);
    });
});
