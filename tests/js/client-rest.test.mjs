// The REST flow of the brief with the native engine against the emulator: create a session,
// read its QR (PNG data URL + raw text), let the emulated phone scan it, and see the session
// become `connected` with the account's number and name (REST, `whatsapp:ready` over
// Socket.IO, the brief's log line); send a text twice with one clientMessageId to a second
// account's linked client (stored and delivered once); restart wadesk (connected again, no new
// QR); disconnect through REST (the device is gone at the emulator, `whatsapp:disconnected`);
// link again with `start`; unlink from the phone → `logged_out`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, sleep, until } from './lib/server.mjs';
import { io } from 'socket.io-client';
import { startSim, startClient, tempDir } from './lib/client-harness.mjs';

let sim;
let srv;
let token;

before(async () => {
  sim = await startSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  const company = await srv.createCompany({ name: 'Native Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);
});

after(async () => {
  await srv?.stop();
  await sim?.close();
});

// A Socket.IO connection of the admin that records every event it receives.
function listen(base, tok) {
  const events = [];
  const socket = io(base, { auth: { token: tok }, transports: ['websocket'], reconnection: false });
  socket.onAny((name, data) => events.push({ name, data }));
  const ready = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, events, ready };
}

// Shows the QR of session `id`, has the emulated phone of `phone` scan it, waits for connected.
async function link(id, phone) {
  const qr = await until('a QR', async () => {
    const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, token), 'qr');
    return r.qrCode ? r : null;
  });
  assert.match(qr.qrCode, /^data:image\/png;base64,[A-Za-z0-9+/=]+$/);
  const png = Buffer.from(qr.qrCode.split(',')[1], 'base64');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.match(qr.qr, /^https:\/\/wa\.me\/settings\/linked_devices#/);
  const scan = await sim.control('POST', `/accounts/${phone}/scan`, { qr: qr.qr });
  assert.equal(scan.status, 200, JSON.stringify(scan.body));
  const session = await until('connected', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'connected' ? s : null;
  });
  return { session, scan };
}

async function linkedDeviceIds(phone) {
  const devices = await sim.control('GET', `/accounts/${phone}/devices`);
  assert.equal(devices.status, 200);
  return devices.body.devices.map((d) => d.jid);
}

test('create session → QR → scan → ready → idempotent send → restart → disconnect → re-link → unlink', async () => {
  const phone = '15550007777';
  assert.equal((await sim.control('POST', '/accounts', { phone, name: 'Native Shop' })).status, 201);
  let live = listen(srv.baseUrl, token);
  await live.ready;

  const created = await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'main' }), 'create session');
  const id = created.sessionId;
  assert.ok(id);

  const { session, scan } = await link(id, phone);
  assert.equal(session.phoneNumber, phone);
  assert.equal(session.displayName, 'Native Shop');
  const ready = await until('whatsapp:ready', async () => live.events.find((e) => e.name === 'whatsapp:ready'));
  assert.deepEqual({ sessionId: ready.data.sessionId, phoneNumber: ready.data.phoneNumber, displayName: ready.data.displayName },
    { sessionId: id, phoneNumber: phone, displayName: 'Native Shop' });
  assert.ok(live.events.some((e) => e.name === 'whatsapp:qr' && e.data.sessionId === id && e.data.qrCode.startsWith('data:image/png;base64,')));
  assert.match(srv.stderr, new RegExp(`\\[WhatsApp\\] QR code received for session ${id}`));
  assert.match(srv.stderr, new RegExp(`\\[WhatsApp\\] Session ${id} authorized as ${phone}`));
  assert.deepEqual(await linkedDeviceIds(phone), [scan.body.jid]);
  // Credentials never show in what the API or the stream hands out.
  const apiText = JSON.stringify(await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session'))
    + JSON.stringify(live.events);
  assert.doesNotMatch(apiText, /noise|identity|advSecret|signedPreKey/i);

  // A second account, linked through the command-line client, receives our text exactly once
  // although the request is retried with the same clientMessageId.
  const peerPhone = '15550008888';
  assert.equal((await sim.control('POST', '/accounts', { phone: peerPhone, name: 'Peer' })).status, 201);
  const peerState = tempDir('wadesk-client-');
  const peer = startClient(sim, peerState.dir);
  try {
    const [, peerQr] = await peer.waitFor(/^QR (\S+) \d+$/);
    assert.equal((await sim.control('POST', `/accounts/${peerPhone}/scan`, { qr: peerQr })).status, 200);
    await peer.waitFor(/^CONNECTED /);
    const send = () => srv.post(`/api/whatsapp/sessions/${id}/chats/${peerPhone}/send`, token,
      { message: 'hello from wadesk', clientMessageId: 'order-42' });
    const first = await send();
    assert.equal(first.status, 201, JSON.stringify(first.json));
    const again = await send();
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.data.id, first.json.data.id);
    const [, chat, , , text] = await peer.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/, 20000);
    assert.equal(text, 'hello from wadesk');
    assert.equal(chat, `${phone}@s.whatsapp.net`);
    const chatId = first.json.data.chatId;
    const stored = await until('status sent', async () => {
      const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats/${chatId}/messages?limit=50`, token), 'messages');
      return page.items.length === 1 && page.items[0].status !== 'pending' ? page : null;
    });
    assert.equal(stored.items[0].id, first.json.data.id);
    assert.equal(stored.items[0].body, 'hello from wadesk');
    assert.ok(live.events.some((e) => e.name === 'whatsapp:message_sent' && e.data.chatId === chatId));
    assert.match(srv.stderr, new RegExp(`\\[WhatsApp\\] Message sent for session ${id}: hello from wadesk`));
    await sleep(1000);
    assert.equal(peer.lines.filter((l) => l.startsWith('MESSAGE ')).length, 1, peer.lines.join('\n'));
  } finally {
    await peer.stop();
    peerState.remove();
  }

  // A restart resumes the linked session from the stored credentials: no new QR.
  live.socket.close();
  await srv.restart();
  live = listen(srv.baseUrl, token);
  await live.ready;
  await until('connected after restart', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'connected' ? s : null;
  });
  const noQr = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, token), 'qr');
  assert.equal(noQr.qrCode, null);
  assert.doesNotMatch(srv.stderr, /QR code received/);
  assert.deepEqual(await linkedDeviceIds(phone), [scan.body.jid]);

  // Disconnect through REST: the device is removed at the emulator and the stream says so.
  const disconnected = await srv.ok(srv.post(`/api/whatsapp/sessions/${id}/disconnect`, token), 'disconnect');
  assert.equal(disconnected.status, 'logged_out');
  await until('device removed at the emulator', async () => (await linkedDeviceIds(phone)).length === 0);
  const gone = await until('whatsapp:disconnected', async () => live.events.find((e) => e.name === 'whatsapp:disconnected'));
  assert.equal(gone.data.sessionId, id);

  // Linking again (start) shows a new QR; unlinking from the phone then logs the session out.
  await srv.ok(srv.post(`/api/whatsapp/sessions/${id}/start`, token), 'start');
  const relinked = await link(id, phone);
  assert.equal(relinked.session.phoneNumber, phone);
  const devices = await sim.control('GET', `/accounts/${phone}/devices`);
  const device = devices.body.devices.find((d) => d.jid === relinked.scan.body.jid);
  assert.ok(device);
  assert.equal((await sim.control('DELETE', `/accounts/${phone}/devices/${device.id}`)).status, 200);
  await until('logged_out', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'logged_out' ? s : null;
  });
  live.socket.close();
});
