// Nothing lost, nothing doubled, under crashes: five contacts' phones send 5,000 messages to a
// linked account while wadesk is killed with SIGKILL 20 times at random moments and started
// again. Afterwards every message is stored exactly once, each has exactly one whatsapp:message
// event in the durable log, and every message got exactly the delivery receipts WhatsApp (the
// emulator) needs: one from wadesk's device per message, however often it was redelivered.
// The emulator redelivers, as WhatsApp does, every message a device had not receipted when its
// connection dropped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, until, sleep, backends } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';

const SHOP = '15550007000';
const CONTACTS = ['15550007001', '15550007002', '15550007003', '15550007004', '15550007005'];
const TOTAL = Number(process.env.WADESK_CRASH_MESSAGES || 5000);
const KILLS = Number(process.env.WADESK_CRASH_KILLS || 20);

// A seeded generator, so a failing run can be repeated (the seed is printed).
function random(seed) {
    let s = seed >>> 0;
    return () => {
        s = (s * 1664525 + 1013904223) >>> 0;
        return s / 2 ** 32;
    };
}

for (const backend of backends()) {
    test(`${TOTAL} messages under ${KILLS} SIGKILLs are stored exactly once with their events (${backend})`, { timeout: 600000 }, async () => {
        const seed = Number(process.env.WADESK_CRASH_SEED || Date.now() % 100000);
        console.log(`# seed ${seed}`);
        const rand = random(seed);
        const sim = await startSim();
        const srv = new TestServer({
            backend,
            env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
        });
        try {
            for (const phone of [SHOP, ...CONTACTS]) {
                assert.equal((await sim.control('POST', '/accounts', { phone, name: `P${phone.slice(-2)}` })).status, 201);
            }
            const company = await srv.createCompany({ name: 'Crash Co' });
            await srv.start();
            const token = await srv.login(company.adminEmail, company.adminPassword);
            const { sessionId, device: shopDevice } = await linkSession(srv, sim, token, SHOP);

            // Each contact sends its share in order; the five run side by side.
            const idOf = (i) => `CRASH${String(i).padStart(5, '0')}`;
            let sentCount = 0;
            const senders = CONTACTS.map(async (phone, c) => {
                for (let i = c; i < TOTAL; i += CONTACTS.length) {
                    const r = await sim.control('POST', `/accounts/${phone}/send`, { to: SHOP, text: `message ${i}`, id: idOf(i) });
                    assert.equal(r.status, 200, JSON.stringify(r.body));
                    sentCount++;
                }
            });
            // The killer: SIGKILL at random moments while the messages flow, then start again.
            const killer = (async () => {
                for (let k = 0; k < KILLS; k++) {
                    await sleep(150 + Math.floor(rand() * 900));
                    await srv.crash();
                    await sleep(Math.floor(rand() * 300));
                    await srv.start();
                }
            })();
            await Promise.all([...senders, killer]);
            assert.equal(sentCount, TOTAL);

            // Everything arrives in the end: the emulator redelivers what was not receipted.
            let progress = 0;
            const chats = await until('every message stored', async () => {
                const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=50`, token), 'chats');
                let stored = 0;
                for (const c of page.items) {
                    const m = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${c.id}/messages?limit=1`, token), 'count');
                    stored += m.total;
                }
                progress = stored;
                return stored >= TOTAL ? page.items : null;
            }, 240000).catch(async (e) => {
                const undecryptable = [];
                e.message += ` (stored ${progress} of ${TOTAL}; metrics: ${(await (await fetch(`${srv.baseUrl}/metrics`)).text())
                    .split('\n').filter((l) => l.startsWith('wadesk_receive_') && !l.includes('bucket')).join('; ')})`;
                void undecryptable;
                const st = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session');
                e.message += `\nsession ${st.status} ${st.statusReason ?? ''}\n${srv.stderrTail(3000)}`;
                throw e;
            });
            assert.equal(chats.length, CONTACTS.length, 'one chat per contact');

            // Exactly once, with the right text.
            const seen = new Map();
            for (const c of chats) {
                let before = '';
                for (;;) {
                    const q = `/api/whatsapp/sessions/${sessionId}/chats/${c.id}/messages?limit=200${before ? `&before=${before}` : ''}`;
                    const page = await srv.ok(srv.get(q, token), 'messages');
                    for (const m of page.items) {
                        assert.ok(!seen.has(m.waMessageId), `${m.waMessageId} stored twice`);
                        seen.set(m.waMessageId, m);
                    }
                    if (page.items.length < 200) break;
                    before = page.items.at(-1).id;
                }
            }
            assert.equal(seen.size, TOTAL);
            for (let i = 0; i < TOTAL; i++) {
                const m = seen.get(idOf(i));
                assert.ok(m, `${idOf(i)} is missing`);
                assert.equal(m.type, 'text');
                assert.equal(m.body, `message ${i}`);
                assert.equal(m.sender.phone, CONTACTS[i % CONTACTS.length]);
            }

            // One whatsapp:message event per message in the durable log: replay misses none.
            const events = new Map();
            for (let afterId = 0; ;) {
                const page = await srv.ok(srv.get(`/api/events?after=${afterId}&limit=200`, token), 'events');
                for (const e of page.items) {
                    if (e.name !== 'whatsapp:message') continue;
                    const id = e.data.message.waMessageId;
                    events.set(id, (events.get(id) ?? 0) + 1);
                }
                if (page.items.length < 200) break;
                afterId = page.lastId;
            }
            for (let i = 0; i < TOTAL; i++) assert.equal(events.get(idOf(i)), 1, `${idOf(i)}: ${events.get(idOf(i)) ?? 0} events`);

            // WhatsApp got a delivery receipt from wadesk's device for every message, and wadesk
            // never had to ask for one again (no retry receipt: nothing became undecryptable).
            await until('every receipt at the phones', async () => {
                let n = 0;
                for (const phone of CONTACTS) {
                    const r = (await sim.control('GET', `/accounts/${phone}/receipts`)).body.receipts;
                    n += new Set(r.filter((x) => x.from === shopDevice && x.type !== 'retry').map((x) => x.id)).size;
                }
                return n >= TOTAL;
            }, 60000);
            for (const phone of CONTACTS) {
                const r = (await sim.control('GET', `/accounts/${phone}/receipts`)).body.receipts.filter((x) => x.from === shopDevice);
                assert.equal(r.filter((x) => x.type === 'retry').length, 0, `${phone}: retry receipts ${JSON.stringify(r.filter((x) => x.type === 'retry').slice(0, 3))}`);
                assert.equal(new Set(r.map((x) => x.id)).size, TOTAL / CONTACTS.length);
            }
        } finally {
            await srv.stop().catch(() => {});
            await sim.close();
        }
    });
}
