// The web console in a real browser (Debian's Chromium driven by playwright-core) against the
// real server, the native engine and the emulator: an admin signs in, links an account by the
// QR the page shows, a customer writes (a second account's linked client), the chat and the
// message appear live without a reload, the admin answers from the page and the customer receives
// it; a manager without a grant sees no account; a wrong password is refused on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { TestServer, until } from './lib/server.mjs';
import { startSim, startClient, tempDir } from './lib/client-harness.mjs';

const kChromium = process.env.WADESK_CHROMIUM || '/usr/bin/chromium';

let sim;
let srv;
let company;
let browser;

before(async () => {
  assert.ok(existsSync(kChromium), `${kChromium} is missing: make test installs Debian's chromium (WADESK_WITH_BROWSER=1)`);
  sim = await startSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  company = await srv.createCompany({ name: 'Console Co' });
  await srv.start();
  browser = await chromium.launch({ executablePath: kChromium, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  await sim?.close();
});

async function signIn(page, email, password) {
  await page.goto(`${srv.baseUrl}/`);
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type=submit]');
}

test('a wrong password is refused on the page; nothing opens', async () => {
  const page = await browser.newPage();
  try {
    await signIn(page, company.adminEmail, 'not-the-password');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
    assert.match(await page.textContent('#login-error'), /invalid|password|credentials/i);
    assert.equal(await page.isHidden('#app'), true);
  } finally {
    await page.close();
  }
});

test('admin links an account by QR, sees a customer message arrive live, answers it from the page', async () => {
  const phone = '15550004444';
  const customerPhone = '15550005555';
  assert.equal((await sim.control('POST', '/accounts', { phone, name: 'Console Shop' })).status, 201);
  assert.equal((await sim.control('POST', '/accounts', { phone: customerPhone, name: 'Customer' })).status, 201);
  const token = await srv.login(company.adminEmail, company.adminPassword);
  const page = await browser.newPage();
  const customerState = tempDir('wadesk-console-customer-');
  const customer = startClient(sim, customerState.dir);
  try {
    await signIn(page, company.adminEmail, company.adminPassword);
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForFunction(() => document.getElementById('live').textContent === 'live');
    assert.match(await page.textContent('#who'), /admin/);

    // Link: the page creates the session and shows its QR as an image.
    await page.click('#new-session');
    await page.waitForSelector('#qr:not([hidden])');
    const shown = await page.getAttribute('#qr-image', 'src');
    assert.match(shown, /^data:image\/png;base64,/);
    const sessions = await srv.ok(srv.get('/api/whatsapp/sessions', token), 'sessions');
    const list = Array.isArray(sessions) ? sessions : sessions.items;
    assert.equal(list.length, 1);
    const id = list[0].id;
    const qr = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, token), 'qr');
    assert.equal(shown, qr.qrCode, 'the page shows the QR the API holds');
    assert.equal((await sim.control('POST', `/accounts/${phone}/scan`, { qr: qr.qr })).status, 200);
    // The status line turns connected through the event stream, and the QR goes away.
    await page.waitForFunction(() => /connected · \+15550004444/.test(document.querySelector('#sessions li .status')?.textContent ?? ''), null, { timeout: 20000 });
    await page.waitForSelector('#qr', { state: 'hidden' });

    // The shop writes first to a customer's number (no chat yet): the first message creates the
    // chat, the page switches to it, and the customer receives the text.
    const [, customerQr] = await customer.waitFor(/^QR (\S+) \d+$/);
    assert.equal((await sim.control('POST', `/accounts/${customerPhone}/scan`, { qr: customerQr })).status, 200);
    await customer.waitFor(/^CONNECTED /);
    await page.fill('#new-chat-number', `+${customerPhone}`);
    await page.click('#new-chat-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('chat-title').textContent === '+15550005555');
    await page.fill('#send-text', 'Hello from Console Shop!');
    await page.click('#send-form button[type=submit]');
    const [, firstChat, , , firstText] = await customer.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/, 20000);
    assert.equal(firstText, 'Hello from Console Shop!');
    assert.equal(firstChat, `${phone}@s.whatsapp.net`);
    await page.waitForFunction(() => document.querySelectorAll('#chats li').length === 1
      && document.querySelector('#chats li').classList.contains('selected'));

    // The customer answers at once: the chat's last line and its unread count change without a
    // reload (the answer counts as newer than the shop's message sent within the same second).
    customer.send(`send ${phone}@s.whatsapp.net hello, is my order ready?`);
    await page.waitForFunction(() => [...document.querySelectorAll('#chats li small')].some((e) => e.textContent.includes('is my order ready')), null, { timeout: 20000 });
    const unread = await page.textContent('#chats li .unread');
    assert.equal(unread, '1');

    // Opening it shows the message and marks it read.
    await page.click('#chats li');
    await page.waitForFunction(() => [...document.querySelectorAll('#messages li .body')].some((e) => e.textContent === 'hello, is my order ready?'));
    await page.waitForSelector('#chats li .unread', { state: 'detached' });
    const chats = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats`, token), 'chats');
    assert.equal(chats.items[0].unreadCount, 0);

    // The answer goes out from the page; the customer receives it; the page shows it sent.
    await page.fill('#send-text', 'Yes, it ships today.');
    await page.click('#send-form button[type=submit]');
    const [, chat, , , text] = await customer.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/, 20000);
    assert.equal(text, 'Yes, it ships today.');
    // Once the shop knows the customer's LID it writes by LID, as WhatsApp clients do: the
    // customer sees the shop's chat in either domain.
    const shopLid = (await sim.control('GET', `/accounts/${phone}`)).body.lid;
    assert.ok([`${phone}@s.whatsapp.net`, `${shopLid}@lid`].includes(chat), chat);
    await page.waitForFunction(() => {
      const mine = [...document.querySelectorAll('#messages li.mine')];
      const last = mine[mine.length - 1];
      return mine.length === 2 && last.querySelector('.body').textContent === 'Yes, it ships today.'
        && /✓/.test(last.querySelector('.meta').textContent);
    }, null, { timeout: 20000 });
    assert.equal(await page.inputValue('#send-text'), '');
    const stored = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/chats/${chats.items[0].id}/messages`, token), 'messages');
    assert.deepEqual(stored.items.map((m) => m.body), ['Yes, it ships today.', 'hello, is my order ready?', 'Hello from Console Shop!']);
  } finally {
    await customer.stop();
    customerState.remove();
    await page.close();
  }
});

test('a manager without a grant sees no account and cannot link one', async () => {
  const manager = await srv.createUser({ companyId: company.companyId, email: 'console-manager@example.test', password: 'manager-pass-1' });
  assert.ok(manager);
  const page = await browser.newPage();
  try {
    await signIn(page, 'console-manager@example.test', 'manager-pass-1');
    await page.waitForSelector('#app:not([hidden])');
    assert.match(await page.textContent('#who'), /manager/);
    assert.equal(await page.isHidden('#new-session'), true);
    await page.waitForFunction(() => document.getElementById('live').textContent === 'live');
    assert.equal(await page.locator('#sessions li').count(), 0);
  } finally {
    await page.close();
  }
});

test('Team: the admin adds a manager and ticks rights on an account; the manager then works it; unticking takes it away', async () => {
  const token = await srv.login(company.adminEmail, company.adminPassword);
  const created = await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: 'Support line' }), 'create session');
  const admin = await browser.newPage();
  const manager = await browser.newPage();
  try {
    await signIn(admin, company.adminEmail, company.adminPassword);
    await admin.waitForSelector('#app:not([hidden])');
    await admin.click(`#sessions li[data-id="${created.sessionId}"]`);
    await admin.click('#team');
    await admin.waitForSelector('#team-pane:not([hidden])');
    await admin.waitForFunction(() => document.getElementById('team-session').textContent === 'Support line');

    // A new manager, added from the page, appears with no rights.
    await admin.fill('#manager-name', 'Nina');
    await admin.fill('#manager-email', 'nina@example.test');
    await admin.fill('#manager-password', 'nina-password-1');
    await admin.click('#manager-form button[type=submit]');
    const row = admin.locator('#grants tbody tr', { hasText: 'nina@example.test' });
    await row.waitFor();
    assert.deepEqual(await row.locator('input').evaluateAll((b) => b.map((x) => x.checked)), [false, false, false]);
    const nina = (await srv.ok(srv.get('/api/managers', token), 'managers')).find((m) => m.email === 'nina@example.test');
    assert.ok(nina, 'the manager exists');

    // Ticking Read and Write stores exactly that grant.
    await row.locator('input[name=canRead]').check();
    await admin.waitForFunction((id) => document.querySelector(`#grants tr[data-id="${id}"]`)?.dataset.saved?.includes('"canRead":true'), nina.id);
    await row.locator('input[name=canWrite]').check();
    await admin.waitForFunction((id) => document.querySelector(`#grants tr[data-id="${id}"]`)?.dataset.saved?.includes('"canWrite":true'), nina.id);
    let grants = await srv.ok(srv.get(`/api/whatsapp/sessions/${created.sessionId}/access`, token), 'grants');
    assert.deepEqual(grants.map((g) => [g.managerId, g.canRead, g.canWrite, g.canManageChats]), [[nina.id, true, true, false]]);

    // The manager signs in and sees that account, and only that one, with no Team or link buttons.
    await signIn(manager, 'nina@example.test', 'nina-password-1');
    await manager.waitForSelector('#app:not([hidden])');
    await manager.waitForFunction(() => document.querySelectorAll('#sessions li').length === 1);
    assert.equal(await manager.getAttribute('#sessions li', 'data-id'), created.sessionId);
    assert.equal(await manager.isHidden('#team'), true);
    assert.equal(await manager.isHidden('#new-session'), true);

    // Unticking everything revokes the grant; after a reload the manager sees no account.
    await row.locator('input[name=canWrite]').uncheck();
    await admin.waitForFunction((id) => document.querySelector(`#grants tr[data-id="${id}"]`)?.dataset.saved?.includes('"canWrite":false'), nina.id);
    await row.locator('input[name=canRead]').uncheck();
    await admin.waitForFunction((id) => document.querySelector(`#grants tr[data-id="${id}"]`)?.dataset.saved?.includes('"canRead":false'), nina.id);
    grants = await srv.ok(srv.get(`/api/whatsapp/sessions/${created.sessionId}/access`, token), 'grants');
    assert.deepEqual(grants, []);
    await manager.reload();
    await manager.waitForSelector('#app:not([hidden])');
    await manager.waitForFunction(() => document.getElementById('live').textContent === 'live');
    assert.equal(await manager.locator('#sessions li').count(), 0);
  } finally {
    await admin.close();
    await manager.close();
  }
});

test('console files are served with their types; an unknown one is a 404 envelope', async () => {
  for (const [path, type] of [['/', /text\/html/], ['/console/app.js', /javascript/], ['/console/app.css', /text\/css/]]) {
    const r = await fetch(`${srv.baseUrl}${path}`);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type'), type, path);
  }
  const missing = await fetch(`${srv.baseUrl}/console/nope.js`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found');
});
