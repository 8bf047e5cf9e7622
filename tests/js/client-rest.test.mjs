// The REST flow of the brief with the native engine against the emulator: create a session,
// read its QR (PNG data URL + raw text), let the emulated phone scan it, and see the session
// become `connected` with the account's number and name; send a text to a second account's
// linked client; unlink from the phone → `logged_out`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, sleep } from './lib/server.mjs';
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

async function until(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('create session → QR → phone scan → connected → send → unlink', async () => {
  const phone = '15550007777';
  assert.equal((await sim.control('POST', '/accounts', { phone, name: 'Native Shop' })).status, 201);

  const created = await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'main' }), 'create session');
  const id = created.sessionId;
  assert.ok(id);

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
  assert.equal(session.phoneNumber, phone);

  // A second account, linked through the command-line client, receives our text.
  const peerPhone = '15550008888';
  assert.equal((await sim.control('POST', '/accounts', { phone: peerPhone, name: 'Peer' })).status, 201);
  const peerState = tempDir('wadesk-client-');
  const peer = startClient(sim, peerState.dir);
  try {
    const [, peerQr] = await peer.waitFor(/^QR (\S+) \d+$/);
    assert.equal((await sim.control('POST', `/accounts/${peerPhone}/scan`, { qr: peerQr })).status, 200);
    await peer.waitFor(/^CONNECTED /);
    const sent = await srv.ok(srv.post(`/api/whatsapp/sessions/${id}/chats/${peerPhone}/send`, token,
      { message: 'hello from wadesk' }), 'send');
    assert.ok(sent);
    const [, chat, , , text] = await peer.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/, 20000);
    assert.equal(text, 'hello from wadesk');
    assert.equal(chat, `${phone}@s.whatsapp.net`);
  } finally {
    await peer.stop();
    peerState.remove();
  }

  // Unlinked from the phone.
  const devices = await sim.control('GET', `/accounts/${phone}/devices`);
  const device = devices.body.devices.find((d) => d.jid === scan.body.jid);
  assert.ok(device);
  assert.equal((await sim.control('DELETE', `/accounts/${phone}/devices/${device.id}`)).status, 200);
  await until('logged_out', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'logged_out' ? s : null;
  });
});
