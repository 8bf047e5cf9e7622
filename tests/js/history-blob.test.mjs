// A large history on link (wa-protocol §10): the emulated phone holds 30 chats, too many for the
// inline payload, so it uploads the zlib-compressed HistorySync to its media host as an external
// blob (encrypted with the history keys) and sends only the reference. wadesk downloads it from
// the host media_conn names (TLS trusted through WADESK_WA_CA_FILE), verifies and decrypts it,
// inflates it and imports every chat with its messages.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, backends, until } from './lib/server.mjs';
import { linkSession, simEnv, startSim } from './lib/client-harness.mjs';

const DAY = 86400;
const T0 = (Math.floor(Date.now() / 1000 / DAY) - 5) * DAY + 9 * 3600;
const CHATS = 30;

for (const backend of backends()) describe(backend, () => {
    const SHOP = backend === 'sqlite' ? '15550009001' : '15550009101';
    let sim, srv, token, sessionId;
    const contact = (i) => `1555100${backend === 'sqlite' ? '0' : '1'}${String(i).padStart(3, '0')}`;

    before(async () => {
        sim = await startSim();
        assert.equal((await sim.control('POST', '/accounts', { phone: SHOP, name: 'Shop' })).status, 201);
        const chats = Array.from({ length: CHATS }, (_, i) => ({
            with: contact(i), name: `Customer ${i}`, unread: i % 3,
            messages: [
                { id: `HB-${i}-1`, text: `hello from ${i}`, t: T0 + i * 60 },
                { id: `HB-${i}-2`, fromMe: true, text: `answer to ${i}`, t: T0 + i * 60 + 10, status: 'read' },
                { id: `HB-${i}-3`, text: `thanks ${i}`, t: T0 + i * 60 + 20 },
            ],
        }));
        const seeded = await sim.control('PUT', `/accounts/${SHOP}/history`, { chats });
        assert.equal(seeded.status, 200, JSON.stringify(seeded.body));
        srv = new TestServer({ backend, env: simEnv(sim) });
        const company = await srv.createCompany({ name: `Blob ${backend}` });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        ({ sessionId } = await linkSession(srv, sim, token, SHOP));
    });

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    test('all 30 chats of the blob history appear with their messages', async () => {
        const chats = await until('30 history chats', async () => {
            const list = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=100`, token), 'chats')).items;
            return list.length >= CHATS ? list : null;
        }, 60000);
        assert.equal(chats.length, CHATS);
        let total = 0;
        for (let i = 0; i < CHATS; i++) {
            const chat = chats.find((c) => c.jid === `${contact(i)}@s.whatsapp.net`);
            assert.ok(chat, `chat ${i}`);
            assert.equal(chat.name, `Customer ${i}`);
            assert.equal(chat.unreadCount, i % 3);
            const items = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=50`, token), 'messages')).items;
            const byId = Object.fromEntries(items.map((m) => [m.waMessageId, m]));
            assert.deepEqual(Object.keys(byId).sort(), [`HB-${i}-1`, `HB-${i}-2`, `HB-${i}-3`]);
            assert.equal(byId[`HB-${i}-1`].body, `hello from ${i}`);
            assert.equal(byId[`HB-${i}-2`].fromMe, true);
            assert.equal(byId[`HB-${i}-2`].status, 'read');
            for (const m of items) assert.equal(m.fromHistory, true);
            total += items.length;
        }
        assert.equal(total, CHATS * 3);
        const events = await srv.allEvents(token);
        const phases = events.filter((e) => e.name === 'whatsapp:history_progress').map((e) => e.data.phase);
        assert.ok(phases.includes('done'), JSON.stringify(phases));
        assert.ok(!phases.includes('failed'), JSON.stringify(phases));
    });
});
