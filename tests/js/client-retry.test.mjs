// Retry receipts end to end (wa-protocol §8.1): a contact on an unmodified Baileys companion loses
// its Signal session with us (its session files are deleted), so our next message does not
// decrypt there; Baileys answers with a retry receipt, the emulator routes it to our device, and
// wadesk re-encrypts the kept message for that one device under the same id. Baileys then shows
// the message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TestServer, until } from './lib/server.mjs';
import { startSim, tempDir as clientTempDir } from './lib/client-harness.mjs';
import { BaileysClient, cleanup, tempDir } from './lib/sim-harness.mjs';

const shopPhone = '15550303030';
const contactPhone = '15550404040';

let sim;
let srv;
let token;
let sessionId;
let contact;
let authDir;

before(async () => {
  sim = await startSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  const company = await srv.createCompany({ name: 'Retry Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);

  assert.equal((await sim.control('POST', '/accounts', { phone: shopPhone, name: 'Shop' })).status, 201);
  sessionId = (await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'shop' }), 'create')).sessionId;
  const qr = await until('a QR', async () => {
    const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/qr`, token), 'qr');
    return r.qrCode ? r : null;
  });
  assert.equal((await sim.control('POST', `/accounts/${shopPhone}/scan`, { qr: qr.qr })).status, 200);
  await until('connected', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session');
    return s.status === 'connected';
  }, 30000);

  // The contact: a Baileys companion of its own account.
  assert.equal((await sim.control('POST', '/accounts', { phone: contactPhone, name: 'Customer' })).status, 201);
  authDir = tempDir('wadesk-retry-auth-');
  const pairing = await new BaileysClient(sim, authDir).connect();
  const { qr: baileysQr } = await pairing.waitForQr();
  assert.equal((await sim.control('POST', `/accounts/${contactPhone}/scan`, { qr: baileysQr })).status, 200);
  assert.equal((await pairing.waitForClose()).statusCode, 515);
  await pairing.flushCreds();
  contact = await new BaileysClient(sim, authDir).connect();
  await contact.waitForOpen();
  await contact.waitFor((u) => u.receivedPendingNotifications === true, 'offline flush');
});

after(async () => {
  await contact?.end();
  if (authDir) cleanup(authDir);
  await srv?.stop();
  await sim?.close();
});

// Resolves with the first incoming message in Baileys whose text is `text`.
function nextText(text, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message "${text}" arrived at Baileys`)), timeoutMs);
    const onUpsert = ({ messages }) => {
      for (const m of messages) {
        const body = m.message?.conversation || m.message?.extendedTextMessage?.text;
        if (!m.key.fromMe && body === text) {
          clearTimeout(timer);
          contact.sock.ev.off('messages.upsert', onUpsert);
          resolve(m);
        }
      }
    };
    contact.sock.ev.on('messages.upsert', onUpsert);
  });
}

async function send(text) {
  const r = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${contactPhone}/send`, token, { message: text });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.data;
}

test('a message Baileys cannot decrypt is re-sent on its retry receipt and arrives', async () => {
  // First message: sessions are set up both ways (pkmsg).
  const firstArrives = nextText('hello, first');
  const first = await send('hello, first');
  assert.equal((await firstArrives).key.id, first.waMessageId);

  // Baileys loses its sessions (a reinstalled store): our next message, a msg on the old session,
  // cannot be decrypted there.
  await contact.flushCreds();
  const sessions = readdirSync(authDir).filter((f) => f.startsWith('session-'));
  assert.ok(sessions.length > 0, readdirSync(authDir).join(', '));
  for (const f of sessions) rmSync(path.join(authDir, f));

  const secondArrives = nextText('hello, second');
  const second = await send('hello, second');
  const got = await secondArrives;
  assert.equal(got.key.id, second.waMessageId, 'the re-sent copy has the same id');
  assert.match(srv.stderr, new RegExp(`retry receipt \\d+ for ${second.waMessageId}`));
});
