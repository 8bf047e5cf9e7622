// The send path end to end, through the real wadesk server (native engine) and wadesk-sim, with a
// contact on its own linked native client (build/tests/wa-client-tool):
// - a reply with quotedMessageId reaches the contact as a WhatsApp quote (stanza id, participant,
//   quoted text in contextInfo);
// - marking the chat read sends the contact a read receipt for its messages;
// - a send that cannot go out (a number without WhatsApp devices) is `failed` with a reason over
//   REST and Socket.IO;
// - a message sent while the session is reconnecting (the emulator is down) is stored pending and
//   delivered exactly once when the connection is back.
// Retry receipts are covered by the C++ connection tests (ConnectionRetry.*): the emulator does
// not route retry receipts between accounts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { TestServer, sleep, until } from './lib/server.mjs';
import { startSim, startClient, tempDir, freePort } from './lib/client-harness.mjs';

const shopPhone = '15550101010';
const contactPhone = '15550202020';
const contactUser = `${contactPhone}@s.whatsapp.net`;

let sim;
let simState;
let listen;
let srv;
let token;
let sessionId;
let contact;
let contactState;
let live;

async function startTheSim() {
  sim = await startSim({ stateDir: simState.dir, listen });
}

before(async () => {
  simState = tempDir('wadesk-sim-');
  listen = `127.0.0.1:${await freePort()}`;
  await startTheSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  const company = await srv.createCompany({ name: 'Send Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);
  live = { events: [], socket: io(srv.baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false }) };
  live.socket.onAny((name, data) => live.events.push({ name, data }));
  await new Promise((resolve, reject) => { live.socket.once('connect', resolve); live.socket.once('connect_error', reject); });

  // The shop: a wadesk session linked to its emulated phone.
  assert.equal((await sim.control('POST', '/accounts', { phone: shopPhone, name: 'Shop' })).status, 201);
  sessionId = (await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'shop' }), 'create')).sessionId;
  const qr = await until('a QR', async () => {
    const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/qr`, token), 'qr');
    return r.qrCode ? r : null;
  });
  assert.equal((await sim.control('POST', `/accounts/${shopPhone}/scan`, { qr: qr.qr })).status, 200);
  await waitStatus('connected');

  // The contact: its own account with a linked native client.
  assert.equal((await sim.control('POST', '/accounts', { phone: contactPhone, name: 'Customer' })).status, 201);
  contactState = tempDir('wadesk-client-');
  contact = startClient(sim, contactState.dir);
  const [, contactQr] = await contact.waitFor(/^QR (\S+) \d+$/);
  assert.equal((await sim.control('POST', `/accounts/${contactPhone}/scan`, { qr: contactQr })).status, 200);
  await contact.waitFor(/^CONNECTED /);
});

after(async () => {
  live?.socket.close();
  await contact?.stop();
  contactState?.remove();
  await srv?.stop();
  await sim?.close();
  simState?.remove();
});

async function waitStatus(status, timeoutMs = 30000) {
  return until(`session ${status}`, async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session');
    return s.status === status ? s : null;
  }, timeoutMs);
}

async function messages(chatId) {
  return (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chatId}/messages?limit=200`, token), 'messages')).items;
}

async function send(chat, body) {
  const r = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${chat}/send`, token, body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.data;
}

// The contact writes to the shop; resolves to the stored incoming message.
async function contactWrites(text) {
  contact.send(`send ${shopPhone}@s.whatsapp.net ${text}`);
  const [, waId] = await contact.waitFor(/^SENT (3EB0[0-9A-F]{18})$/);
  const chat = await until('the chat', async () => {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=50`, token), 'chats');
    return page.items.find((c) => c.jid === contactUser);
  });
  const stored = await until('the incoming message', async () => (await messages(chat.id)).find((m) => m.waMessageId === waId));
  assert.equal(stored.body, text);
  return { chat, stored, waId };
}

test('a quoted reply reaches the contact as a WhatsApp quote', async () => {
  const { chat, stored, waId } = await contactWrites('do you deliver on sunday?');
  const reply = await send(chat.id, { message: 'yes, until noon', quotedMessageId: stored.id });
  assert.equal(reply.quotedMessageId, stored.id);
  assert.match(reply.waMessageId, /^3EB0[0-9A-F]{18}$/, 'the WhatsApp id is fixed when the message is stored');
  const [, , , gotId, text] = await contact.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/, 20000);
  assert.equal(gotId, reply.waMessageId);
  assert.equal(text, 'yes, until noon');
  const [, quoteOf, quotedId, participant, quotedText] = await contact.waitFor(/^QUOTE (\S+) (\S+) (\S+) (.*)$/, 5000);
  assert.equal(quoteOf, reply.waMessageId);
  assert.equal(quotedId, waId);
  assert.equal(participant, contactUser);
  assert.equal(quotedText, 'do you deliver on sunday?');
  // Quoting our own reply names the shop as the quoted sender.
  const second = await send(chat.id, { message: 'and saturday too', quotedMessageId: reply.id });
  await contact.waitFor(new RegExp(`^MESSAGE \\S+ \\S+ ${second.waMessageId} `), 20000);
  const [, , quotedOwn, ownParticipant, ownText] = await contact.waitFor(/^QUOTE (\S+) (\S+) (\S+) (.*)$/, 5000);
  assert.equal(quotedOwn, reply.waMessageId);
  assert.equal(ownParticipant, `${shopPhone}@s.whatsapp.net`);
  assert.equal(ownText, 'yes, until noon');
  await until('sent', async () => (await messages(chat.id)).find((m) => m.id === second.id && m.status !== 'pending'));
});

test('marking a chat read sends the contact a read receipt', async () => {
  const first = await contactWrites('first question');
  const second = await contactWrites('second question');
  const before = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${first.chat.id}`, token), 'chat');
  assert.ok(before.unreadCount >= 2, JSON.stringify(before));
  const read = await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${first.chat.id}/read`, token), 'read');
  assert.equal(read.unreadCount, 0);
  const receipts = new Set();
  while (!(receipts.has(first.waId) && receipts.has(second.waId))) {
    const [, id] = await contact.waitFor(/^RECEIPT read \S+ (\S+)$/, 15000);
    receipts.add(id);
  }
});

test('a send that cannot go out is failed with a reason over REST and Socket.IO', async () => {
  const nobody = '15550909090';  // no account at the emulator: no devices
  const m = await send(nobody, { message: 'anyone there?' });
  assert.equal(m.status, 'pending');
  const failed = await until('failed', async () => (await messages(m.chatId)).find((x) => x.id === m.id && x.status === 'failed'));
  assert.equal(failed.failureReason, 'no_devices');
  const event = await until('message_status failed', async () =>
    live.events.find((e) => e.name === 'whatsapp:message_status' && e.data.messageId === m.id));
  const { eventId, ...data } = event.data;  // every event carries its replay id
  assert.ok(eventId > 0);
  assert.deepEqual(data, { sessionId, chatId: m.chatId, messageId: m.id, status: 'failed', reason: 'no_devices' });
  // Messages that went out carry no reason.
  const contactChat = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${contactPhone}`, token), 'chat'));
  for (const x of await messages(contactChat.id)) assert.equal(x.failureReason, null, JSON.stringify(x));
});

test('a message sent while reconnecting is delivered exactly once when the connection is back', async () => {
  await sim.kill();
  await waitStatus('reconnecting');
  const m = await send(contactPhone, { message: 'sent while you were away', clientMessageId: 'away-1' });
  assert.equal(m.status, 'pending');
  await sleep(500);
  assert.equal((await messages(m.chatId)).find((x) => x.id === m.id).status, 'pending');

  await startTheSim();
  await waitStatus('connected', 60000);
  const [, gotId, text] = await contact.waitFor(new RegExp(`^MESSAGE \\S+ \\S+ (${m.waMessageId}) (.*)$`), 30000);
  assert.equal(gotId, m.waMessageId);
  assert.equal(text, 'sent while you were away');
  await until('sent', async () => (await messages(m.chatId)).find((x) => x.id === m.id && x.status !== 'pending'), 20000);
  // Exactly once at the contact, and once in the store.
  await sleep(2000);
  assert.equal(contact.lines.filter((l) => l.startsWith(`MESSAGE `) && l.includes(` ${m.waMessageId} `)).length, 1,
    contact.lines.join('\n'));
  assert.equal((await messages(m.chatId)).filter((x) => x.body === 'sent while you were away').length, 1);
});
