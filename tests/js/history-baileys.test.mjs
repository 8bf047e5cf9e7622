// An unmodified Baileys receives a large history from the emulator's phone (wa-protocol §10): 24
// chats are too many for the inline payload, so the phone uploads the zlib-compressed HistorySync
// to its media host as an external blob and sends only the reference. Baileys downloads it from its
// fixed host mmg.whatsapp.net — routed in this process to the emulator's media host through an
// undici dispatcher given as the socket's `options.dispatcher` (lib/mmg-dispatcher.mjs) — and
// emits messaging-history.set with every chat and message.
import { test, describe, before, after } from 'node:test';
import { proto } from 'baileys';
import assert from 'node:assert/strict';
import { startSim } from './lib/client-harness.mjs';
import { mmgDispatcher } from './lib/mmg-dispatcher.mjs';
import { BaileysClient, cleanup, tempDir } from './lib/sim-harness.mjs';
import { until } from './lib/server.mjs';

const SHOP = '15550012001';
const CHATS = 24;
const T0 = Math.floor(Date.now() / 1000) - 3 * 86400;
const contact = (i) => `155510120${String(i).padStart(2, '0')}`;

describe('Baileys receives a history blob', () => {
    let sim, client, authDir, dispatcher;
    const sets = [];

    before(async () => {
        sim = await startSim();
        assert.equal((await sim.control('POST', '/accounts', { phone: SHOP, name: 'Shop' })).status, 201);
        const chats = Array.from({ length: CHATS }, (_, i) => ({
            with: contact(i), name: `Customer ${i}`,
            messages: [
                { id: `BH-${i}-1`, text: `hello from ${i}`, t: T0 + i * 60 },
                { id: `BH-${i}-2`, fromMe: true, text: `answer to ${i}`, t: T0 + i * 60 + 10 },
            ],
        }));
        const seeded = await sim.control('PUT', `/accounts/${SHOP}/history`, { chats });
        assert.equal(seeded.status, 200, JSON.stringify(seeded.body));
        dispatcher = await mmgDispatcher(sim);
        // Every history chunk but RECENT ones (the phone sends none): Baileys then does not hold its
        // events for 20 s waiting for a RECENT chunk, and the history is still processed.
        const config = { shouldSyncHistoryMessage: (h) => h.syncType !== proto.HistorySync.HistorySyncType.RECENT,
            options: { dispatcher } };
        authDir = tempDir('wadesk-baileys-history-');
        const pairing = await new BaileysClient(sim, authDir).connect({ config });
        const { qr } = await pairing.waitForQr();
        const scan = await sim.control('POST', `/accounts/${SHOP}/scan`, { qr });
        assert.equal(scan.status, 200, JSON.stringify(scan.json ?? scan.body));
        await pairing.waitForClose();
        await pairing.flushCreds();
        client = await new BaileysClient(sim, authDir).connect({ config });
        client.sock.ev.on('messaging-history.set', (set) => sets.push(set));
        await client.waitForOpen();
    });

    after(async () => {
        await client?.end();
        await dispatcher?.destroy();
        await sim?.close();
        if (authDir) cleanup(authDir);
    });

    test('messaging-history.set carries all 24 chats and their messages from the blob', async () => {
        await until('history with 24 chats', async () => {
            const ids = new Set(sets.flatMap((s) => s.chats.map((c) => c.id)));
            return ids.size >= CHATS ? true : null;
        }, 30000);
        const chats = new Map(sets.flatMap((s) => s.chats.map((c) => [c.id, c])));
        const messages = new Map(sets.flatMap((s) => s.messages.map((m) => [m.key.id, m])));
        for (let i = 0; i < CHATS; i++) {
            const jid = `${contact(i)}@s.whatsapp.net`;
            assert.ok(chats.has(jid), `chat ${jid}`);
            assert.equal(chats.get(jid).name, `Customer ${i}`);
            const hello = messages.get(`BH-${i}-1`);
            const answer = messages.get(`BH-${i}-2`);
            assert.ok(hello && answer, `messages of chat ${i}`);
            assert.equal(hello.key.remoteJid, jid);
            assert.equal(hello.key.fromMe, false);
            assert.equal(hello.message?.conversation ?? hello.message?.extendedTextMessage?.text, `hello from ${i}`);
            assert.equal(answer.key.fromMe, true);
            assert.equal(answer.message?.conversation ?? answer.message?.extendedTextMessage?.text, `answer to ${i}`);
            assert.equal(Number(hello.messageTimestamp), T0 + i * 60);
        }
        assert.equal(messages.size, CHATS * 2);
    });
});

// ws keeps a closed Baileys socket's 30 s close timer running (as in sim-phone.test.mjs): do not
// wait for it once the suite is done.
after(() => setTimeout(() => process.exit(), 1000).unref());
