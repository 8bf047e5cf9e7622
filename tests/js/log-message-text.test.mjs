// WADESK_LOG_MESSAGE_TEXT decides how much of a WhatsApp message's text the brief's log lines
// ("[WhatsApp] Saved message for session <id>: <text>", "[WhatsApp] Message sent for session
// <id>: <text>") show: `preview` (the default: the first 40 characters), `full`, or `off`. A
// newline in a message never starts a log line of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, until } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';

const SHOP = '15550008001';
const PHONE = '15550008002';
// 62 characters, two of them outside ASCII, with a line break after the 40th.
const kText = 'Order 4471: deliver to Müller, 5th floor\nthe code is 9931 ✓ ok';

let sim;
let srv;
let token;
let sessionId;
let serial = 0;

async function phoneWrites(text) {
    const id = `LOGTXT${serial++}`;
    const sent = await sim.control('POST', `/accounts/${PHONE}/send`, { to: SHOP, text, id });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return until('the saved-message line', async () => srv.stderr.split('\n').find((l) => l.includes(`Saved message for session ${sessionId}`)), 15000);
}

async function restartWith(mode) {
    if (mode) srv.extraEnv.WADESK_LOG_MESSAGE_TEXT = mode;
    else delete srv.extraEnv.WADESK_LOG_MESSAGE_TEXT;
    await srv.restart();
    token = await srv.login(srv.companies[0].adminEmail, srv.companies[0].adminPassword);
    await until('resumed', async () => (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session')).status === 'connected');
}

before(async () => {
    sim = await startSim();
    for (const [phone, name] of [[SHOP, 'Shop'], [PHONE, 'Pat']]) {
        assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
    }
    srv = new TestServer({
        backend: 'sqlite',
        env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
    });
    const company = await srv.createCompany({ name: 'Log Co' });
    await srv.start();
    token = await srv.login(company.adminEmail, company.adminPassword);
    ({ sessionId } = await linkSession(srv, sim, token, SHOP));
});

after(async () => {
    await srv?.stop();
    await sim?.close();
});

test('preview (the default) logs the first 40 characters', async () => {
    const line = await phoneWrites(kText);
    assert.ok(line.endsWith(': Order 4471: deliver to Müller, 5th floor...'), line);
    // (Looked for as words: the digits alone may be part of a port or an id in the log.)
    assert.ok(!srv.stderr.includes('the code is'), 'the rest of the text is not logged');
});

test('full logs the whole text on one line; a send is logged the same way', async () => {
    await restartWith('full');
    const line = await phoneWrites(kText);
    assert.ok(line.endsWith(': Order 4471: deliver to Müller, 5th floor\\nthe code is 9931 ✓ ok'), line);
    const reply = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${PHONE}/send`, token, { message: 'Your code: 5512' });
    assert.equal(reply.status, 201, reply.text);
    const sent = await until('the sent line', async () => srv.stderr.split('\n').find((l) => l.includes(`Message sent for session ${sessionId}`)));
    assert.ok(sent.endsWith(': Your code: 5512'), sent);
});

test('off logs no text at all', async () => {
    await restartWith('off');
    const line = await phoneWrites(kText);
    assert.ok(line.endsWith(': [text not logged]'), line);
    const reply = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${PHONE}/send`, token, { message: 'Your code: 7788' });
    assert.equal(reply.status, 201, reply.text);
    await until('the sent line', async () => srv.stderr.includes(`Message sent for session ${sessionId}: [text not logged]`));
    assert.ok(!srv.stderr.includes('Order 4471') && !srv.stderr.includes('Your code'), 'no message text in the log');
});

test('a bad value stops the server with a message naming the setting', async () => {
    const bad = new TestServer({ backend: 'sqlite', env: { WADESK_LOG_MESSAGE_TEXT: 'some' } });
    await assert.rejects(bad.cli(['migrate']), /WADESK_LOG_MESSAGE_TEXT must be full, preview or off/);
    await bad.stop();
});
