// Incoming content other than text, end to end: an unmodified Baileys companion on a customer's
// account relays image, voice, document, location, contact and reaction messages (their file
// bytes never leave; only what the message says of them travels) to a session of wadesk's
// native engine through the emulator. Each is stored with the SPEC's type, its caption or
// summary as body, its file metadata as media, and a reaction points at the message it reacts to;
// the web console (in Chromium) shows each with a mark for its kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { TestServer, until } from './lib/server.mjs';
import { startSim, tempDir } from './lib/client-harness.mjs';
import { BaileysClient, cleanup } from './lib/sim-harness.mjs';

const SHOP = '15550003333';
const CUSTOMER = '15550002222';

let sim;
let srv;
let token;
let company;
let customer;
let customerAuth;

before(async () => {
  sim = await startSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  company = await srv.createCompany({ name: 'Content Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);
});

after(async () => {
  await customer?.end();
  if (customerAuth) cleanup(customerAuth);
  await srv?.stop();
  await sim?.close();
});

test('image, voice, document, location, contact and reaction arrive typed, with body and media metadata', async () => {
  for (const [phone, name] of [[SHOP, 'Shop'], [CUSTOMER, 'Customer']]) {
    assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
  }
  // Link the shop's account to wadesk.
  const id = (await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'shop' }), 'create')).sessionId;
  const qr = await until('a QR', async () => {
    const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, token), 'qr');
    return r.qr ? r : null;
  });
  assert.equal((await sim.control('POST', `/accounts/${SHOP}/scan`, { qr: qr.qr })).status, 200);
  await until('connected', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'connected' ? s : null;
  });

  // The customer's companion: pair, restart after 515, open.
  customerAuth = tempDir('wadesk-content-auth-').dir;
  const pairing = await new BaileysClient(sim, customerAuth).connect();
  const { qr: customerQr } = await pairing.waitForQr();
  assert.equal((await sim.control('POST', `/accounts/${CUSTOMER}/scan`, { qr: customerQr })).status, 200);
  assert.equal((await pairing.waitForClose()).statusCode, 515);
  await pairing.flushCreds();
  customer = await new BaileysClient(sim, customerAuth).connect();
  await customer.waitForOpen();

  const to = `${SHOP}@s.whatsapp.net`;
  const fakeFile = { url: 'https://mmg.whatsapp.net/v/t62/none', mediaKey: Buffer.alloc(32, 7),
    fileSha256: Buffer.alloc(32, 1), fileEncSha256: Buffer.alloc(32, 2), directPath: '/v/t62/none' };
  const sent = [
    ['IMG1', { imageMessage: { ...fakeFile, mimetype: 'image/jpeg', fileLength: 48213, caption: 'the receipt' } }],
    ['VOICE1', { audioMessage: { ...fakeFile, mimetype: 'audio/ogg; codecs=opus', fileLength: 9000, seconds: 4, ptt: true } }],
    ['DOC1', { documentMessage: { ...fakeFile, mimetype: 'application/pdf', fileLength: 1000, fileName: 'invoice-42.pdf' } }],
    ['LOC1', { locationMessage: { degreesLatitude: 55.7539, degreesLongitude: 37.6049, name: 'Cafe', address: 'Tverskoy Blvd 26' } }],
    ['VCARD1', { contactMessage: { displayName: 'Ivan Petrov', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ivan Petrov\nEND:VCARD' } }],
    ['REACT1', { reactionMessage: { key: { remoteJid: to, fromMe: true, id: 'IMG1' }, text: '👍', senderTimestampMs: Date.now() } }],
  ];
  for (const [messageId, message] of sent) await customer.sock.relayMessage(to, message, { messageId });

  const chatId = await until('the customer chat', async () => {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats`, token), 'chats');
    return page.items.find((c) => c.jid === `${CUSTOMER}@s.whatsapp.net`)?.id;
  });
  // The three files name a path the media host does not have: each is stored "pending" at
  // once, then its download fails and the row says "failed" (docs/api.md "Media").
  const byWaId = await until('all six stored, no download pending', async () => {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats/${chatId}/messages?limit=50`, token), 'messages');
    if (page.items.length !== sent.length || page.items.some((m) => m.media?.status === 'pending')) return null;
    return Object.fromEntries(page.items.map((m) => [m.waMessageId, m]));
  }, 30000);

  const pick = (m) => ({ type: m.type, body: m.body, media: m.media });
  // A failed download keeps the metadata the message stated, and the url is still ours.
  const media = (m, fields) => ({ fileName: null, sha256: null, status: 'failed', duration: null, width: null, height: null,
    url: `/api/whatsapp/sessions/${m.sessionId}/messages/${m.id}/media`, ...fields });
  assert.deepEqual(pick(byWaId.IMG1), { type: 'image', body: 'the receipt', media: media(byWaId.IMG1, { mimetype: 'image/jpeg', size: 48213 }) });
  assert.deepEqual(pick(byWaId.VOICE1), { type: 'voice', body: '', media: media(byWaId.VOICE1, { mimetype: 'audio/ogg; codecs=opus', size: 9000, duration: 4 }) });
  assert.deepEqual(pick(byWaId.DOC1), { type: 'document', body: '', media: media(byWaId.DOC1, { mimetype: 'application/pdf', size: 1000, fileName: 'invoice-42.pdf' }) });
  assert.deepEqual(pick(byWaId.LOC1), { type: 'location', body: 'Cafe, Tverskoy Blvd 26 (55.753900, 37.604900)', media: null });
  assert.deepEqual(pick(byWaId.VCARD1), { type: 'contact', body: 'Ivan Petrov', media: null });
  assert.deepEqual(pick(byWaId.REACT1), { type: 'reaction', body: '👍', media: null });
  assert.equal(byWaId.REACT1.quotedMessageId, byWaId.IMG1.id, 'the reaction points at the image it reacts to');

  // The console lists them, each with the mark of its kind (all six share one second, so their
  // order is the ids' order; compared as a set).
  const browser = await chromium.launch({ executablePath: process.env.WADESK_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${srv.baseUrl}/`);
    await page.fill('#login-email', company.adminEmail);
    await page.fill('#login-password', company.adminPassword);
    await page.click('#login-form button[type=submit]');
    await page.click(`#chats li[data-id="${chatId}"]`);
    await page.waitForFunction((n) => document.querySelectorAll('#messages li .body').length === n, sent.length);
    const lines = await page.locator('#messages li .body').allTextContents();
    assert.deepEqual(lines.sort(), ['📷 the receipt', '🎤 voice', '📄 invoice-42.pdf', '📍 Cafe, Tverskoy Blvd 26 (55.753900, 37.604900)',
      '👤 Ivan Petrov', '↩ reacted 👍'].sort());

    // Each file that failed says so and offers to fetch it again. Asking again is answered 202
    // and the file is fetched anew: it names no file at the media host, so it fails again and
    // the note comes back, with no error shown.
    const notes = page.locator('#messages .media.note');
    assert.equal(await notes.count(), 3);
    for (const text of await notes.allTextContents()) assert.match(text, /^The file could not be downloaded\. Try again/);
    const asked = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/messages/${byWaId.IMG1.id}/media/download`));
    await page.locator(`#messages li[data-id="${byWaId.IMG1.id}"] .media.note button`, { hasText: 'Try again' }).click();
    assert.equal((await asked).status(), 202);
    await until('fetched again, failed again', async () => {
      const m = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats/${chatId}/messages?limit=50`, token), 'messages');
      return m.items.find((x) => x.id === byWaId.IMG1.id)?.media?.status === 'failed';
    }, 60000);
    await page.waitForFunction(() => document.querySelectorAll('#messages .media.note').length === 3
      && ![...document.querySelectorAll('#messages .media.note')].some((n) => n.textContent.includes('Downloading')));
    assert.equal(await page.locator('#messages .media.note [role=alert]').count(), 0, 'no error shown');
  } finally {
    await browser.close();
  }
});
