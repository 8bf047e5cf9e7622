// The receive pipeline end to end, through the real wadesk server (native engine) and the
// emulator: a contact's phone writes to a linked account; a message that cannot be decrypted is
// stored and shown as "undecryptable", answered with a retry receipt, and replaced by the
// phone's resend (one message, never a silent drop); an unmodified Baileys companion's edit and
// delete for everyone update the stored message (whatsapp:message_updated); /metrics counts
// what the receive lanes committed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { TestServer, until } from './lib/server.mjs';
import { linkSession, startSim, tempDir } from './lib/client-harness.mjs';
import { BaileysClient, cleanup } from './lib/sim-harness.mjs';

const SHOP = '15550004444';
const PHONE = '15550005555';     // a customer writing from the phone
const COMPANION = '15550006666'; // a customer writing from a Baileys companion

let sim;
let srv;
let token;
let sessionId;
let shopDevice;
let companion;
let companionAuth;
let company;

function allEvents() { return srv.allEvents(token); }

async function messagesOf(phone) {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
    const chat = page.items.find((c) => c.jid === `${phone}@s.whatsapp.net`);
    if (!chat) return [];
    const list = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=200`, token), 'messages');
    return list.items;
}

before(async () => {
    sim = await startSim();
    for (const [phone, name] of [[SHOP, 'Shop'], [PHONE, 'Pat'], [COMPANION, 'Cora']]) {
        assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
    }
    srv = new TestServer({
        backend: 'sqlite',
        env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
    });
    company = await srv.createCompany({ name: 'Receive Co' });
    await srv.start();
    token = await srv.login(company.adminEmail, company.adminPassword);
    ({ sessionId, device: shopDevice } = await linkSession(srv, sim, token, SHOP));
});

after(async () => {
    await companion?.end();
    if (companionAuth) cleanup(companionAuth);
    await srv?.stop();
    await sim?.close();
});

test('a phone message is stored once and receipted after the commit', async () => {
    const sent = await sim.control('POST', `/accounts/${PHONE}/send`, { to: SHOP, text: 'hello shop', id: 'RCV0001' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.ok(sent.body.devices.includes(shopDevice), `encrypted for wadesk's device ${shopDevice}`);
    const stored = await until('stored', async () => (await messagesOf(PHONE)).find((m) => m.waMessageId === 'RCV0001'));
    assert.equal(stored.type, 'text');
    assert.equal(stored.body, 'hello shop');
    await until('the delivery receipt at the phone', async () => {
        const r = (await sim.control('GET', `/accounts/${PHONE}/receipts`)).body.receipts;
        return r.find((x) => x.id === 'RCV0001' && x.from === shopDevice && x.type !== 'retry');
    });
});

test('an undecryptable message is shown, a retry receipt asks for it, and the resend replaces it', async () => {
    const before = (await allEvents()).at(-1)?.id ?? 0;
    assert.equal((await sim.control('POST', `/accounts/${PHONE}/break-next`, { to: shopDevice })).status, 200);
    const sent = await sim.control('POST', `/accounts/${PHONE}/send`, { to: SHOP, text: 'the order number is 42', id: 'RCV0002' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));

    const healed = await until('the resend stored', async () => {
        const m = (await messagesOf(PHONE)).filter((x) => x.waMessageId === 'RCV0002');
        return m.length === 1 && m[0].type === 'text' ? m[0] : null;
    });
    assert.equal(healed.body, 'the order number is 42');
    assert.equal((await messagesOf(PHONE)).filter((x) => x.waMessageId === 'RCV0002').length, 1, 'one message, not two');

    const receipts = (await sim.control('GET', `/accounts/${PHONE}/receipts`)).body.receipts.filter((r) => r.id === 'RCV0002');
    assert.ok(receipts.some((r) => r.type === 'retry' && r.from === shopDevice && r.count === 1), JSON.stringify(receipts));
    assert.ok(receipts.some((r) => r.type !== 'retry' && r.from === shopDevice), 'the resend was receipted');

    // The managers saw it the whole way: first as undecryptable, then updated with its content.
    const events = (await allEvents()).filter((e) => e.id > before && e.data.message?.waMessageId === 'RCV0002');
    assert.deepEqual(events.map((e) => [e.name, e.data.message.type]),
        [['whatsapp:message', 'undecryptable'], ['whatsapp:message_updated', 'text']]);
    assert.equal(events[1].data.message.id, events[0].data.message.id);
});

test('an edit and a delete for everyone from a Baileys companion update the stored message', async () => {
    companionAuth = tempDir('wadesk-receive-auth-').dir;
    const pairing = await new BaileysClient(sim, companionAuth).connect();
    const { qr } = await pairing.waitForQr();
    assert.equal((await sim.control('POST', `/accounts/${COMPANION}/scan`, { qr })).status, 200);
    assert.equal((await pairing.waitForClose()).statusCode, 515);
    await pairing.flushCreds();
    companion = await new BaileysClient(sim, companionAuth).connect();
    await companion.waitForOpen();

    const to = `${SHOP}@s.whatsapp.net`;
    const original = await companion.sock.sendMessage(to, { text: 'delivery on tuesdya' });
    const doomed = await companion.sock.sendMessage(to, { text: 'my card number is 1234' });
    await until('both stored', async () => {
        const ids = (await messagesOf(COMPANION)).map((m) => m.waMessageId);
        return ids.includes(original.key.id) && ids.includes(doomed.key.id);
    });

    // The console has the chat open while the changes arrive: they show without a reload.
    const chatId = await until('the chat id', async () => {
        const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
        return page.items.find((c) => c.jid === `${COMPANION}@s.whatsapp.net`)?.id;
    });
    const browser = await chromium.launch({ executablePath: process.env.WADESK_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
        const page = await browser.newPage();
        await page.goto(`${srv.baseUrl}/`);
        await page.fill('#login-email', company.adminEmail);
        await page.fill('#login-password', company.adminPassword);
        await page.click('#login-form button[type=submit]');
        await page.click(`#chats li[data-id="${chatId}"]`);
        await page.waitForFunction(() => [...document.querySelectorAll('#messages li .body')].some((e) => e.textContent === 'my card number is 1234'));

        await companion.sock.sendMessage(to, { text: 'delivery on tuesday', edit: original.key });
        await companion.sock.sendMessage(to, { delete: doomed.key });
        await page.waitForFunction(() => {
            const rows = [...document.querySelectorAll('#messages li')];
            const lines = rows.map((li) => li.textContent);
            return rows.some((li) => li.querySelector('.body')?.textContent === 'delivery on tuesday'
                    && li.querySelector('.meta')?.textContent.startsWith('edited'))
                && lines.some((t) => t.includes('This message was deleted'))
                && !lines.some((t) => t.includes('card number'));
        }, null, { timeout: 20000 });
        // The chat list follows: the deleted text is gone from the chat's preview too.
        await page.waitForFunction(() => [...document.querySelectorAll('#chats li .preview')]
            .some((e) => e.textContent.includes('This message was deleted')));
        assert.ok(!(await page.textContent('#chats')).includes('card number'));
    } finally {
        await browser.close();
    }
    const [edited, deleted] = await until('edit and delete applied', async () => {
        const all = await messagesOf(COMPANION);
        const e = all.find((m) => m.waMessageId === original.key.id);
        const d = all.find((m) => m.waMessageId === doomed.key.id);
        return e?.edited && d?.deleted ? [e, d] : null;
    });
    assert.equal(edited.body, 'delivery on tuesday');
    assert.equal(deleted.body, '', 'a message deleted for everyone keeps no text');
    assert.equal((await messagesOf(COMPANION)).length, 2, 'the edit and the delete are no messages of their own');

    const updates = (await allEvents()).filter((e) => e.name === 'whatsapp:message_updated' && e.sessionId === sessionId)
        .map((e) => e.data.message);
    assert.ok(updates.some((m) => m.waMessageId === original.key.id && m.edited && m.body === 'delivery on tuesday'));
    assert.ok(updates.some((m) => m.waMessageId === doomed.key.id && m.deleted));
});

test('/metrics counts the receive lanes', async () => {
    const r = await fetch(`${srv.baseUrl}/metrics`);
    const text = await r.text();
    const committed = Number(/^wadesk_receive_committed_total (\d+)$/m.exec(text)?.[1]);
    assert.ok(committed >= 5, `committed ${committed}`);
    assert.match(text, /^wadesk_receive_queue_depth 0$/m);
    assert.ok(Number(/^wadesk_receive_retry_receipts_total (\d+)$/m.exec(text)?.[1]) >= 1);
    assert.match(text, /^wadesk_receive_commit_seconds_count \d+$/m);
});
