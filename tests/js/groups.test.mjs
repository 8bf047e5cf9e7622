// WhatsApp groups end to end through the real wadesk server (native engine), the emulator's phones
// and an unmodified Baileys companion as members: a group message (sender key distributed pairwise
// in the same stanza, then the skmsg) is stored in the group's chat with its sender; a Baileys
// member's message too; a message whose sender key did not arrive is stored as undecryptable,
// answered with a retry receipt naming the sender device, and replaced by the resend. The group
// chat carries the subject as its name and its participants with their ranks, kept current from
// w:gp2 notifications (each change a `system` line and a whatsapp:group_updated event); groups the
// account was added to while offline are fetched at login (`participating`). In the console, the
// Participants panel lists the members; admins of the group add and remove them there, by keyboard
// too, each answer shown per participant (checked with axe-core, under the server's CSP).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { TestServer, until, repoRoot } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';
import { cleanup, pairAndOpen } from './lib/sim-harness.mjs';
import { axeViolations } from './lib/axe.mjs';

const SHOP = '15550008001';   // the wadesk account
const ALICE = '15550008002';  // a phone, the group's creator
const BOB = '15550008003';    // a phone with a Baileys companion

let sim;
let srv;
let token;
let sessionId;
let shopDevice;
let bob;
let bobAuth;
let gid;
let shopLidDevice;  // wadesk's device in the group's (LID) domain
let earlierGid;
let company;
const lids = {};

async function groupChat() {
  const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
  return page.items.find((c) => c.jid === gid);
}

async function groupMessages() {
  const chat = await groupChat();
  if (!chat) return [];
  const list = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=200`, token), 'messages');
  return list.items;
}

before(async () => {
  sim = await startSim();
  for (const [phone, name] of [[SHOP, 'Shop'], [ALICE, 'Alice'], [BOB, 'Bob']]) {
    const r = await sim.control('POST', '/accounts', { phone, name });
    assert.equal(r.status, 201);
    lids[phone] = r.body.lid;
  }
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  company = await srv.createCompany({ name: 'Groups Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);
  // A group the account belonged to before wadesk was linked: only `participating` tells of it.
  const earlier = await sim.control('POST', `/accounts/${ALICE}/groups`, { subject: 'Before link', participants: [SHOP] });
  assert.equal(earlier.status, 201);
  earlierGid = earlier.body.id;
  ({ sessionId, device: shopDevice } = await linkSession(srv, sim, token, SHOP));
  shopLidDevice = shopDevice.replace(`${SHOP}:`, `${lids[SHOP]}:`).replace('@s.whatsapp.net', '@lid');

  // Bob's Baileys companion.
  const paired = await pairAndOpen(sim, BOB);
  bob = paired.client;
  bobAuth = paired.authDir;

  const created = await sim.control('POST', `/accounts/${ALICE}/groups`, { subject: 'Order 7781', participants: [SHOP, BOB] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  gid = created.body.id;
});

after(async () => {
  await bob?.end();
  if (bobAuth) cleanup(bobAuth);
  await srv?.stop();
  await sim?.close();
});

test("a member phone's group message is stored in the group's chat with its sender", async () => {
  const sent = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'the parts ship Monday', id: 'GRP0001' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.ok(sent.body.devices.includes(shopLidDevice), `the sender key went to wadesk's device: ${JSON.stringify(sent.body.devices)}`);
  const stored = await until('stored', async () => (await groupMessages()).find((m) => m.waMessageId === 'GRP0001'));
  assert.equal(stored.type, 'text');
  assert.equal(stored.body, 'the parts ship Monday');
  assert.equal(stored.fromMe, false);
  assert.deepEqual(stored.sender, { jid: `${ALICE}@s.whatsapp.net`, phone: ALICE, lid: `${lids[ALICE]}@lid`, name: 'Alice' });
  const chat = await groupChat();
  assert.equal(chat.isGroup, true);
  // Delivered: Alice's phone got a receipt from wadesk's device for it.
  await until('the group delivery receipt', async () => {
    const r = (await sim.control('GET', `/accounts/${ALICE}/receipts`)).body.receipts;
    return r.find((x) => x.id === 'GRP0001' && x.from === shopLidDevice);
  });
  // The next one is a bare skmsg under the same key.
  await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'tracking follows', id: 'GRP0002' });
  await until('second stored', async () => (await groupMessages()).find((m) => m.waMessageId === 'GRP0002'));
});

async function participants() {
  const chat = await groupChat();
  return srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/participants`, token), 'participants');
}

test('the group chat has the subject as its name and its participants with their ranks', async () => {
  const chat = await until('the group chat named', async () => {
    const c = await groupChat();
    return c?.name === 'Order 7781' ? c : null;
  });
  assert.equal(chat.isGroup, true);
  const list = await participants();
  const byPhone = Object.fromEntries(list.map((p) => [p.phone, p]));
  assert.deepEqual(Object.keys(byPhone).sort(), [ALICE, BOB, SHOP].sort());
  // Named by the push name of the notification she caused.
  assert.deepEqual(byPhone[ALICE], { jid: `${ALICE}@s.whatsapp.net`, phone: ALICE, lid: `${lids[ALICE]}@lid`, name: 'Alice', admin: 'superadmin' });
  assert.equal(byPhone[BOB].name, null);
  assert.equal(byPhone[BOB].admin, 'none');
  // The create notification is a system line and an event.
  const lines = (await groupMessages()).filter((m) => m.type === 'system').map((m) => m.body);
  assert.ok(lines.includes('Alice created group "Order 7781"'), JSON.stringify(lines));
  const created = (await srv.allEvents(token)).find((e) => e.name === 'whatsapp:group_updated' && e.data.action === 'create');
  assert.equal(created.data.chatId, chat.id);
  assert.equal(created.data.participants.length, 3);
  assert.equal(created.data.by.phone, ALICE);
  // A chat that is no group has no participants.
  const sessionChats = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
  const other = sessionChats.items.find((c) => !c.isGroup);
  if (other) {
    const r = await srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${other.id}/participants`, token);
    assert.equal(r.status, 404);
  }
});

test('groups the account belonged to before the link are listed after it (participating)', async () => {
  const chat = await until('the earlier group', async () => {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
    return page.items.find((c) => c.jid === earlierGid);
  });
  assert.equal(chat.name, 'Before link');
  assert.equal(chat.isGroup, true);
  const list = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/participants`, token), 'participants');
  assert.deepEqual(list.map((p) => [p.phone, p.admin]).sort(), [[ALICE, 'superadmin'], [SHOP, 'none']].sort());
});

test("a Baileys member's group message is stored with its sender", async () => {
  const sent = await bob.sock.sendMessage(gid, { text: 'can we get it Friday?' });
  const stored = await until('stored', async () => (await groupMessages()).find((m) => m.waMessageId === sent.key.id));
  assert.equal(stored.body, 'can we get it Friday?');
  assert.equal(stored.sender.phone, BOB);
  assert.equal(stored.sender.lid, `${lids[BOB]}@lid`);
});

async function sendToGroup(text) {
  const chat = await groupChat();
  const r = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/send`, token, { message: text });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.data;
}

function nextBaileysText(client, text, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.sock.ev.off('messages.upsert', on); reject(new Error(`no "${text}" at Baileys`)); }, timeoutMs);
    const on = ({ messages }) => {
      const m = messages.find((x) => x.key.remoteJid === gid && (x.message?.conversation || x.message?.extendedTextMessage?.text) === text);
      if (m) { clearTimeout(timer); client.sock.ev.off('messages.upsert', on); resolve(m); }
    };
    client.sock.ev.on('messages.upsert', on);
  });
}

test("wadesk's group text reaches every member's phone and the Baileys companion, and its status moves", async () => {
  const atBob = nextBaileysText(bob, 'your parts are packed');
  const sent = await sendToGroup('your parts are packed');
  const m = await atBob;  // Baileys decrypted our sender key message
  assert.equal(m.key.id, sent.waMessageId);
  assert.equal(m.key.participant, shopLidDevice.replace(/:\d+@/, '@'));
  await until('at Alice', async () => (await sim.control('GET', `/accounts/${ALICE}/inbox`)).body.messages
    .find((x) => x.id === sent.waMessageId && x.chat === gid && x.text === 'your parts are packed'));
  await until('at Bob\'s phone', async () => (await sim.control('GET', `/accounts/${BOB}/inbox`)).body.messages
    .find((x) => x.id === sent.waMessageId));
  await until('delivered', async () => (await groupMessages()).find((x) => x.id === sent.id && ['delivered', 'read'].includes(x.status)));
  // Read at the first member who reads it.
  assert.equal((await sim.control('POST', `/accounts/${ALICE}/read`, { chat: gid, ids: [sent.waMessageId] })).status, 200);
  await until('read', async () => (await groupMessages()).find((x) => x.id === sent.id && x.status === 'read'));
  // The next text goes without key distribution and still arrives.
  const again = nextBaileysText(bob, 'and shipped');
  await sendToGroup('and shipped');
  await again;
});

test('a message whose sender key is missing is stored as undecryptable, retried and replaced', async () => {
  // The distribution of Alice's next key to wadesk breaks on the way.
  assert.equal((await sim.control('POST', `/accounts/${ALICE}/break-next`, { to: shopLidDevice })).status, 200);
  // Bob leaves: Alice's phone starts a new sender key, sent again to wadesk (broken).
  assert.equal((await sim.control('POST', `/accounts/${BOB}/groups/${gid}/leave`)).status, 200);
  const sent = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'new key, same group', id: 'GRP0003' });
  assert.ok(sent.body.devices.includes(shopLidDevice));
  const healed = await until('the resend stored', async () => {
    const m = (await groupMessages()).filter((x) => x.waMessageId === 'GRP0003');
    return m.length === 1 && m[0].type === 'text' ? m[0] : null;
  });
  assert.equal(healed.body, 'new key, same group');
  const retries = (await sim.control('GET', `/accounts/${ALICE}/receipts`)).body.receipts
    .filter((r) => r.id === 'GRP0003' && r.type === 'retry');
  assert.ok(retries.length >= 1 && retries[0].from === shopLidDevice, JSON.stringify(retries));
});

test('membership and subject changes update the participants and the name, as system lines and events', async () => {
  const CAROL = '15550008004';
  assert.equal((await sim.control('POST', '/accounts', { phone: CAROL, name: 'Carol' })).status, 201);
  const add = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/participants`, { action: 'add', participants: [CAROL] });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/participants`, { action: 'promote', participants: [CAROL] });
  await sim.control('PUT', `/accounts/${CAROL}/groups/${gid}/subject`, { subject: 'Order 7781 (shipped)' });
  await until('Carol an admin', async () => (await participants()).find((p) => p.phone === CAROL && p.admin === 'admin'));
  const chat = await until('renamed', async () => {
    const c = await groupChat();
    return c.name === 'Order 7781 (shipped)' ? c : null;
  });
  const lines = (await groupMessages()).filter((m) => m.type === 'system').map((m) => m.body);
  assert.ok(lines.includes('Alice added +15550008004'), JSON.stringify(lines));
  assert.ok(lines.includes('Alice made +15550008004 an admin'), JSON.stringify(lines));
  assert.ok(lines.includes('Carol changed the subject to "Order 7781 (shipped)"'), JSON.stringify(lines));
  // Bob left earlier: he is gone from the list, and that was a line too.
  assert.equal((await participants()).find((p) => p.phone === BOB), undefined);
  assert.ok(lines.includes('Bob left'), JSON.stringify(lines));
  const events = (await srv.allEvents(token)).filter((e) => e.name === 'whatsapp:group_updated' && e.data.chatId === chat.id);
  const actions = events.map((e) => e.data.action);
  for (const a of ['create', 'leave', 'add', 'promote', 'subject']) assert.ok(actions.includes(a), JSON.stringify(actions));
  const promoted = events.find((e) => e.data.action === 'promote');
  assert.equal(promoted.data.participants[0].phone, CAROL);
  assert.equal(promoted.data.by.phone, ALICE);

  // wadesk's next text: Bob left, so a new sender key goes to the remaining devices; Carol's
  // phone (added later) reads it, Bob's phone does not get it.
  const sent = await sendToGroup('Carol, welcome aboard');
  await until('at Carol', async () => (await sim.control('GET', `/accounts/${CAROL}/inbox`)).body.messages
    .find((x) => x.id === sent.waMessageId && x.text === 'Carol, welcome aboard'));
  await until('at Alice', async () => (await sim.control('GET', `/accounts/${ALICE}/inbox`)).body.messages
    .find((x) => x.id === sent.waMessageId));
  const bobInbox = (await sim.control('GET', `/accounts/${BOB}/inbox`)).body.messages;
  assert.equal(bobInbox.find((x) => x.id === sent.waMessageId), undefined);

  // A group created with wadesk as a member shows up at once (the create notification).
  const meta = await sim.control('POST', `/accounts/${CAROL}/groups`, { subject: 'Dealers north', participants: [SHOP] });
  assert.equal(meta.status, 201);
  const named = await until('the new group', async () => {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
    return page.items.find((c) => c.jid === meta.body.id);
  });
  assert.equal(named.name, 'Dealers north');
  assert.equal(named.isGroup, true);
});

test('the console shows the subject, each sender, the members and the system lines of a group chat', async () => {
  const chat = await groupChat();
  const browser = await chromium.launch({ executablePath: process.env.WADESK_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${srv.baseUrl}/`);
    await page.fill('#login-email', company.adminEmail);
    await page.fill('#login-password', company.adminPassword);
    await page.click('#login-form button[type=submit]');
    await page.click(`#chats li[data-id="${chat.id}"]`);
    await page.waitForFunction(() => /participants: /.test(document.getElementById('chat-subtitle')?.textContent));
    assert.equal(await page.textContent('#chat-title'), 'Order 7781 (shipped)');
    const subtitle = await page.textContent('#chat-subtitle');
    assert.match(subtitle, /Alice \(owner\)/);
    assert.match(subtitle, /Carol \(admin\)/);
    await page.waitForFunction(() => [...document.querySelectorAll('#messages li.system')].some((e) => e.textContent === 'Alice added +15550008004'));
    const senders = await page.$$eval('#messages li .sender', (els) => els.map((e) => e.textContent));
    assert.ok(senders.includes('Alice') && senders.includes('Bob'), JSON.stringify(senders));
    // wadesk's account is no admin of this group: the members are listed, with nothing to change them.
    await page.getByRole('button', { name: 'Participants' }).click();
    assert.equal(await page.getAttribute('#group-toggle', 'aria-expanded'), 'true');
    await page.waitForFunction(() => document.querySelectorAll('#participants li').length === 3);
    assert.match(await page.textContent('#participants'), /Alice.*owner/);
    assert.equal(await page.locator('#participants button').count(), 0, 'no Remove buttons');
    assert.equal(await page.locator('#participant-number').count(), 0, 'no Add participant field');
    assert.match(await page.textContent('#group-panel'), /Only admins of the group add or remove participants/);
    if (process.env.WADESK_GROUPS_SCREENSHOT) await page.screenshot({ path: process.env.WADESK_GROUPS_SCREENSHOT });
  } finally {
    await browser.close();
  }
});

const kScreens = path.join(process.env.WADESK_BUILD_DIR ?? path.join(repoRoot, 'build'), 'console-screens');
// Presses Tab until `selector` has the focus.
async function tabTo(page, selector) {
  for (let i = 0; i < 40; i++) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector}`);
}

test('in the console an admin of the group adds and removes participants, by keyboard; each answer is shown', async () => {
  const ERIN = '15550008006';
  assert.equal((await sim.control('POST', '/accounts', { phone: ERIN, name: 'Erin' })).status, 201);
  const created = await srv.post(`/api/whatsapp/sessions/${sessionId}/groups`, token, { subject: 'Console crew', participants: [ALICE] });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const chat = created.json.data;
  const path_ = `/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/participants`;
  const members = async () => srv.ok(srv.get(path_, token), 'participants');
  await until('the members are known', async () => (await members()).length === 2);
  mkdirSync(kScreens, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.WADESK_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    for (const size of [{ width: 390, height: 844, narrow: true }, { width: 1280, height: 800, narrow: false }]) {
      const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      await context.addInitScript(() => {
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${srv.baseUrl}/`);
      await page.fill('#login-email', company.adminEmail);
      await page.fill('#login-password', company.adminPassword);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#app:not([hidden])');
      await page.click(`#chats li[data-id="${chat.id}"] button`);
      assert.equal(await page.textContent('#chat-title'), 'Console crew');

      // The panel opens from the keyboard; the account is the group's owner, so it may change it.
      await page.focus('#group-toggle');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#group-panel:not([hidden])');
      assert.equal(await page.getAttribute('#group-toggle', 'aria-expanded'), 'true');
      await page.waitForFunction(() => document.querySelectorAll('#participants li').length === 2);
      assert.match(await page.textContent('#participants'), /this account.*owner/);
      assert.equal(await page.getByRole('button', { name: /^Remove / }).count(), 1, 'a Remove button for Alice, none for the account itself');

      // Add by number, typed and sent with Enter.
      await tabTo(page, '#participant-number');
      await page.keyboard.type(`+${ERIN}`);
      await page.keyboard.press('Enter');
      await page.waitForFunction((n) => document.getElementById('participant-answers')?.textContent === `+${n}: added.`, ERIN, { timeout: 20000 });
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'participant-number', 'the field keeps the focus');
      assert.equal(await page.inputValue('#participant-number'), '', 'the field is cleared');
      await page.waitForFunction(() => document.querySelectorAll('#participants li').length === 3, null, { timeout: 20000 });
      assert.ok((await members()).some((p) => p.phone === ERIN), 'Erin is in the group at WhatsApp');

      // Someone already in the group: WhatsApp's answer for them, in words.
      await page.fill('#participant-number', ALICE);
      await page.keyboard.press('Enter');
      await page.waitForFunction((n) => document.getElementById('participant-answers')?.textContent === `+${n}: already in the group.`, ALICE, { timeout: 20000 });
      assert.equal(await page.getAttribute('#participant-answers p', 'class'), 'refused');
      await page.screenshot({ path: path.join(kScreens, `group-participants-${size.width}x${size.height}.png`) });
      assert.deepEqual(await axeViolations(page), [], `axe at ${size.width}px`);

      // Remove, from the keyboard: asked first, then answered.
      const erinRow = page.locator('#participants li', { hasText: ERIN });
      const remove = erinRow.getByRole('button', { name: /^Remove / });
      await remove.focus();
      await page.keyboard.press('Enter');
      await page.waitForSelector('#confirm[open]');
      assert.match(await page.textContent('#confirm-text'), /^Remove .* from Console crew\?$/);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-ok');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /: removed\.$/.test(document.getElementById('participant-answers')?.textContent), null, { timeout: 20000 });
      await page.waitForFunction(() => document.querySelectorAll('#participants li').length === 2, null, { timeout: 20000 });
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'group-panel-title', 'the focus is not lost with the row');
      assert.ok(!(await members()).some((p) => p.phone === ERIN), 'Erin is gone at WhatsApp');
      assert.deepEqual(await axeViolations(page), [], `axe at ${size.width}px after the removal`);

      // Closed again from the keyboard.
      await page.focus('#group-toggle');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#group-panel', { state: 'hidden' });
      assert.deepEqual(errors, [], 'no uncaught error in the page');
      assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'no Content-Security-Policy violation');
      await context.close();
    }

    // A manager who may read the account but not manage its chats sees the members only.
    const manager = await srv.ok(srv.post('/api/managers', token, { email: 'reader@groups.test', password: 'reader-password-1', name: 'Reader' }));
    await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, token, { managerId: manager.id, canRead: true, canWrite: true, canManageChats: false }));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${srv.baseUrl}/`);
    await page.fill('#login-email', 'reader@groups.test');
    await page.fill('#login-password', 'reader-password-1');
    await page.keyboard.press('Enter');
    await page.click(`#chats li[data-id="${chat.id}"] button`);
    await page.getByRole('button', { name: 'Participants' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#participants li').length === 2);
    assert.equal(await page.locator('#participants button').count(), 0, 'no Remove buttons without Manage chats');
    assert.equal(await page.locator('#participant-number').count(), 0, 'no Add participant field without Manage chats');
  } finally {
    await browser.close();
  }
});

test('groups are managed through the API: create, members, subject, leave; WhatsApp refusals are clear', async () => {
  const DAVE = '15550008005';
  assert.equal((await sim.control('POST', '/accounts', { phone: DAVE, name: 'Dave' })).status, 201);
  const bad = await srv.post(`/api/whatsapp/sessions/${sessionId}/groups`, token, { subject: 'X', participants: ['not a number'] });
  assert.equal(bad.status, 400);
  const created = await srv.post(`/api/whatsapp/sessions/${sessionId}/groups`, token, { subject: 'Dealer Dave', participants: [ALICE] });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const chat = created.json.data;
  assert.equal(chat.isGroup, true);
  assert.equal(chat.name, 'Dealer Dave');
  // The members see it, with wadesk's account as its creator.
  const atAlice = await until('the group at Alice', async () => (await sim.control('GET', `/accounts/${ALICE}/groups`)).body.groups
    .find((g) => g.id === chat.jid));
  assert.equal(atAlice.creator, `${SHOP}@s.whatsapp.net`);

  const path = `/api/whatsapp/sessions/${sessionId}/chats/${chat.id}`;
  const add = await srv.post(`${path}/participants`, token, { action: 'add', participants: [DAVE, `+${ALICE}`] });
  assert.equal(add.status, 200, JSON.stringify(add.json));
  assert.deepEqual(add.json.data, [
    { jid: `${DAVE}@s.whatsapp.net`, status: 'ok' }, { jid: `${ALICE}@s.whatsapp.net`, status: 'already_participant' },
  ]);
  const promote = await srv.post(`${path}/participants`, token, { action: 'promote', participants: [DAVE] });
  assert.deepEqual(promote.json.data, [{ jid: `${DAVE}@s.whatsapp.net`, status: 'ok' }]);
  await until('Dave an admin here', async () => (await srv.ok(srv.get(`${path}/participants`, token), 'participants'))
    .find((p) => p.phone === DAVE && p.admin === 'admin'));
  assert.equal((await srv.post(`${path}/participants`, token, { action: 'kick', participants: [DAVE] })).status, 400);

  // The chat's name is the group's subject at WhatsApp.
  const renamed = await srv.patch(path, token, { name: 'Dealer Dave (north)' });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.json));
  await until('the subject at WhatsApp', async () => (await sim.control('GET', `/accounts/${DAVE}/groups/${chat.jid}`)).body
    .subject === 'Dealer Dave (north)');

  // In a group where wadesk is no admin, managing members is refused as WhatsApp refuses it.
  const order = await groupChat();
  const refused = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${order.id}/participants`, token,
    { action: 'remove', participants: [ALICE] });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, 'not_group_admin');

  // Leaving: the members see wadesk's account go; asking again is a clear 409.
  const left = await srv.post(`${path}/leave`, token, {});
  assert.equal(left.status, 200, JSON.stringify(left.json));
  await until('gone at WhatsApp', async () => !(await sim.control('GET', `/accounts/${DAVE}/groups/${chat.jid}`)).body
    .participants.some((p) => p.phone_number === `${SHOP}@s.whatsapp.net`));
  const again = await srv.post(`${path}/participants`, token, { action: 'add', participants: [BOB] });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'not_group_participant');
});
