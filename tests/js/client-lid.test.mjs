// A contact writes to our phone number, then to our LID (wa-protocol §13), end to end through
// the emulator and the real wadesk server with its native engine: both stanzas decrypt on one
// Signal session, land in one chat whose `jid` is the phone-number JID and which carries `phone`
// and `lid`, and every message names its sender by phone and LID (REST and the event stream).
// Our reply, addressed by LID now that the pair is known, reaches the contact.
// Senders: our own native client (build/tests/wa-client-tool) and an unmodified Baileys companion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { TestServer, until } from './lib/server.mjs';
import { startSim, startClient, tempDir } from './lib/client-harness.mjs';
import { BaileysClient, cleanup } from './lib/sim-harness.mjs';

let sim;
let srv;
let token;
const stops = [];

before(async () => {
  sim = await startSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  const company = await srv.createCompany({ name: 'Lid Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
  await srv?.stop();
  await sim?.close();
});

async function createAccount(phone, name) {
  const created = await sim.control('POST', '/accounts', { phone, name });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.match(created.body.lid, /^\d{15}$/);
  return created.body.lid;
}

// Links a wadesk session to `phone`'s account; returns the session id.
async function linkSession(phone) {
  const id = (await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: phone }), 'create')).sessionId;
  const qr = await until('a QR', async () => {
    const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, token), 'qr');
    return r.qr ? r : null;
  });
  assert.equal((await sim.control('POST', `/accounts/${phone}/scan`, { qr: qr.qr })).status, 200);
  await until('connected', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'connected' ? s : null;
  });
  return id;
}

function listen() {
  const events = [];
  const socket = io(srv.baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  socket.onAny((name, data) => events.push({ name, data }));
  stops.push(async () => socket.close());
  return { events, ready: new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); }) };
}

// The session's chats with this contact, once `count` messages are stored in one of them.
async function contactChats(id, phone, lid, count) {
  return until(`${count} messages from ${phone}`, async () => {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats?limit=200`, token), 'chats');
    const mine = page.items.filter((c) => c.jid === `${phone}@s.whatsapp.net` || c.jid === `${lid}@lid`
      || c.lid === `${lid}@lid`);
    if (mine.length !== 1) return mine.length > 1 ? mine : null;
    const msgs = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats/${mine[0].id}/messages?limit=50`, token), 'messages');
    return msgs.items.length >= count ? mine : null;
  }, 30000);
}

async function checkOneChat(id, phone, lid, texts, live) {
  const chats = await contactChats(id, phone, lid, texts.length);
  assert.equal(chats.length, 1, `one chat for the contact: ${JSON.stringify(chats)}`);
  const [chat] = chats;
  assert.equal(chat.jid, `${phone}@s.whatsapp.net`);
  assert.equal(chat.phone, phone);
  assert.equal(chat.lid, `${lid}@lid`);
  const msgs = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats/${chat.id}/messages?limit=50`, token), 'messages');
  assert.deepEqual(msgs.items.map((m) => m.body).sort(), [...texts].sort());
  for (const m of msgs.items) {
    assert.equal(m.fromMe, false);
    assert.deepEqual({ jid: m.sender.jid, phone: m.sender.phone, lid: m.sender.lid },
      { jid: `${phone}@s.whatsapp.net`, phone, lid: `${lid}@lid` }, JSON.stringify(m));
  }
  // The stream carries the same views.
  const pushed = await until('whatsapp:message events', async () => {
    const got = live.events.filter((e) => e.name === 'whatsapp:message' && e.data.sessionId === id);
    return got.length >= texts.length ? got : null;
  });
  for (const e of pushed) {
    assert.equal(e.data.chatId, chat.id);
    assert.equal(e.data.message.sender.lid, `${lid}@lid`);
    assert.equal(e.data.message.sender.phone, phone);
  }
  const updated = live.events.filter((e) => e.name === 'whatsapp:chat_updated' && e.data.chatId === chat.id);
  assert.ok(updated.length > 0);
  assert.equal(updated.at(-1).data.chat.lid, `${lid}@lid`);
  assert.equal(updated.at(-1).data.chat.phone, phone);
  return chat;
}

test('native client: by phone number, then by LID, one session and one chat; the reply goes by LID', async () => {
  const SHOP = '15550101010';
  const PEER = '15550202020';
  const shopLid = await createAccount(SHOP, 'Shop');
  const peerLid = await createAccount(PEER, 'Peer');
  const live = listen();
  await live.ready;
  const id = await linkSession(SHOP);

  const state = tempDir('wadesk-client-');
  const peer = startClient(sim, state.dir);
  stops.push(async () => { await peer.stop(); state.remove(); });
  const [, qr] = await peer.waitFor(/^QR (\S+) \d+$/);
  assert.equal((await sim.control('POST', `/accounts/${PEER}/scan`, { qr })).status, 200);
  await peer.waitFor(/^CONNECTED /);

  peer.send(`send ${SHOP}@s.whatsapp.net first by phone number`);
  const [, id1] = await peer.waitFor(/^SENT (3EB0[0-9A-F]{18})$/);
  await peer.waitFor(new RegExp(`^RECEIPT \\S+ \\S+ ${id1}$`), 20000);
  peer.send(`send ${shopLid}@lid second by LID`);
  const [, id2] = await peer.waitFor(/^SENT (3EB0[0-9A-F]{18})$/);
  await peer.waitFor(new RegExp(`^RECEIPT \\S+ \\S+ ${id2}$`), 20000);

  const chat = await checkOneChat(id, PEER, peerLid, ['first by phone number', 'second by LID'], live);
  assert.doesNotMatch(srv.stderr, /cannot decrypt message/);

  // The reply: wadesk knows the pair now and addresses the LID; the peer's client gets it.
  const sent = await srv.post(`/api/whatsapp/sessions/${id}/chats/${chat.id}/send`, token, { message: 'reply by lid' });
  assert.equal(sent.status, 201, JSON.stringify(sent.json));
  const [, replyChat, replySender, , text] = await peer.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (reply by lid)$/, 20000);
  assert.equal(text, 'reply by lid');
  assert.equal(replyChat, `${shopLid}@lid`, 'the reply came addressed by LID');
  assert.match(replySender, new RegExp(`^${shopLid}:\\d+@lid$`));
});

test('Baileys companion: by phone number, then by LID, one chat; the reply reaches Baileys', async () => {
  const SHOP = '15550303030';
  const CUSTOMER = '15550404040';
  const shopLid = await createAccount(SHOP, 'Shop 2');
  const customerLid = await createAccount(CUSTOMER, 'Customer');
  const live = listen();
  await live.ready;
  const id = await linkSession(SHOP);

  const auth = tempDir('wadesk-lid-auth-').dir;
  const pairing = await new BaileysClient(sim, auth).connect();
  const { qr } = await pairing.waitForQr();
  assert.equal((await sim.control('POST', `/accounts/${CUSTOMER}/scan`, { qr })).status, 200);
  assert.equal((await pairing.waitForClose()).statusCode, 515);
  await pairing.flushCreds();
  const customer = await new BaileysClient(sim, auth).connect();
  stops.push(async () => { await customer.end(); cleanup(auth); });
  await customer.waitForOpen();

  await customer.sock.relayMessage(`${SHOP}@s.whatsapp.net`, { conversation: 'baileys by phone number' }, { messageId: 'BLIDPN1' });
  await contactChats(id, CUSTOMER, customerLid, 1);
  await customer.sock.relayMessage(`${shopLid}@lid`, { conversation: 'baileys by LID' }, { messageId: 'BLIDLID1' });
  const chat = await checkOneChat(id, CUSTOMER, customerLid, ['baileys by phone number', 'baileys by LID'], live);

  const got = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the reply did not reach Baileys')), 20000);
    customer.sock.ev.on('messages.upsert', ({ messages }) => {
      for (const m of messages) {
        const body = m.message?.conversation || m.message?.extendedTextMessage?.text;
        if (!m.key.fromMe && body === 'reply to baileys') {
          clearTimeout(timer);
          resolve(m);
        }
      }
    });
  });
  const sent = await srv.post(`/api/whatsapp/sessions/${id}/chats/${chat.id}/send`, token, { message: 'reply to baileys' });
  assert.equal(sent.status, 201, JSON.stringify(sent.json));
  const m = await got;
  assert.ok([`${SHOP}@s.whatsapp.net`, `${shopLid}@lid`].includes(m.key.remoteJid), m.key.remoteJid);
  await until('the reply is delivered', async () => {
    const msgs = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats/${chat.id}/messages?limit=50`, token), 'messages');
    const reply = msgs.items.find((x) => x.body === 'reply to baileys');
    return reply && ['delivered', 'read'].includes(reply.status) ? reply : null;
  });
});
