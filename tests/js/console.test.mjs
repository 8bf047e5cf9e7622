// The web console in a real browser (Debian's Chromium driven by playwright-core) against the
// real server, the native engine and the emulator, at a phone's size (390×844) and a desktop's
// (1280×800). Each flow runs at both sizes, in its own company, with emulated phones as the shop
// and its customers: sign-in; linking by QR; a customer's message arriving live; answering with
// Shift+Enter lines and a double Enter that sends once; a socket that drops and comes back
// replaying what it missed through /api/events; older messages loaded on scroll-up keeping the
// reader's place; an account unlinked on the phone and linked again from the console; rename and
// delete; rights (no composer without Write, Write implies Read, the manager's own rights); chat
// management; the team; keyboard-only use. Every screen is checked with axe-core (no serious or
// critical violation) and kept as a PNG under <build>/console-screens; every page runs under the
// server's Content-Security-Policy and must cause no violation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { TestServer, until, repoRoot } from './lib/server.mjs';
import { startSim } from './lib/client-harness.mjs';
import { axeViolations } from './lib/axe.mjs';

const kChromium = process.env.WADESK_CHROMIUM || '/usr/bin/chromium';
const kSizes = [
  { name: 'phone', width: 390, height: 844, narrow: true },
  { name: 'desktop', width: 1280, height: 800, narrow: false },
];
const kScreens = path.join(process.env.WADESK_BUILD_DIR ?? path.join(repoRoot, 'build'), 'console-screens');

let sim;
let srv;
let browser;
let phoneSerial = 0;

before(async () => {
  assert.ok(existsSync(kChromium), `${kChromium} is missing: make test installs Debian's chromium (WADESK_WITH_BROWSER=1)`);
  mkdirSync(kScreens, { recursive: true });
  sim = await startSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  await srv.start();
  browser = await chromium.launch({ executablePath: kChromium, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  await sim?.close();
});

// ---- helpers

// An emulated phone (a WhatsApp account at the emulator).
async function newPhone(name) {
  const phone = `1555${process.pid % 1000}${String(++phoneSerial).padStart(4, '0')}`.slice(0, 11);
  assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
  return phone;
}

async function inbox(phone) {
  return (await sim.control('GET', `/accounts/${phone}/inbox`)).body.messages;
}

async function newPage(size, { notifications = false } = {}) {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
  if (notifications) {
    // Allowed, as after a click on "Notify me"; the page's Notification is the real
    // one, watched: each notification shown is recorded as [title, body].
    await context.grantPermissions(['notifications'], { origin: srv.baseUrl });
    await context.addInitScript(() => {
      const Real = window.Notification;
      window.shownNotifications = [];
      window.Notification = new Proxy(Real, {
        construct(target, args) { window.shownNotifications.push([args[0], args[1]?.body]); return Reflect.construct(target, args); },
        get(target, prop) { const v = target[prop]; return typeof v === 'function' ? v.bind(target) : v; },
      });
    });
  }
  // The console runs under the server's strict Content-Security-Policy (no inline script or
  // style): every violation is recorded, and closePage fails on any.
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  // The predicates of page.waitForFunction run in the page too: they read elements with ?. since a
  // page that is (re)loading has not rendered them yet, and a throw there would count here.
  page.on('pageerror', (e) => { page.errors = [...(page.errors ?? []), String(e)]; });
  return page;
}

async function closePage(page) {
  assert.deepEqual(page.errors ?? [], [], 'no uncaught error in the page');
  assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'no Content-Security-Policy violation');
  await page.context().close();
}

// Keeps a screenshot and runs axe-core on what is shown: no serious or critical violation.
async function screen(page, size, name) {
  await page.screenshot({ path: path.join(kScreens, `${name}-${size.width}x${size.height}.png`) });
  assert.deepEqual(await axeViolations(page), [], `axe on ${name} at ${size.name}`);
}

async function signIn(page, email, password) {
  await page.goto(`${srv.baseUrl}/`);
  const form = page.locator('#login-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
}

const visible = (page, sel) => page.locator(sel).isVisible();
const chatButton = (page, text) => page.locator('#chats button.chat', { hasText: text });
const bubbles = (page) => page.locator('#messages li:not(.day) .body').allTextContents();

async function apiItems(promise) {
  const d = await srv.ok(promise);
  return Array.isArray(d) ? d : d.items;
}

// A company with its admin signed in on the API, and a shop account linked to a new session by
// the QR the API shows (flows that test linking from the page do it themselves).
async function companyWithShop(label) {
  const company = await srv.createCompany({ name: `Console ${label}` });
  const token = await srv.login(company.adminEmail, company.adminPassword);
  const shop = await newPhone(`Shop ${label}`);
  const created = await srv.ok(srv.post('/api/whatsapp/sessions', token, { name: `Shop ${label}` }));
  const qr = await until('a QR', async () => (await srv.ok(srv.get(`/api/whatsapp/sessions/${created.sessionId}/qr`, token))).qr);
  assert.equal((await sim.control('POST', `/accounts/${shop}/scan`, { qr })).status, 200);
  await until('connected', async () => (await srv.ok(srv.get(`/api/whatsapp/sessions/${created.sessionId}`, token))).status === 'connected');
  return { company, token, shop, sessionId: created.sessionId };
}

async function customerWrites(customer, shop, text) {
  const r = await sim.control('POST', `/accounts/${customer}/send`, { to: shop, text });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

// The page's websocket goes through here: down() closes it and refuses new ones until up().
async function routeSocket(page) {
  const ctl = { down: false, routes: [] };
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (ctl.down) { ws.close({ code: 1011, reason: 'test: network down' }); return; }
    ws.connectToServer();
    ctl.routes.push(ws);
  });
  ctl.downNow = async () => { ctl.down = true; for (const ws of ctl.routes.splice(0)) await ws.close({ code: 1011, reason: 'test: network down' }); };
  ctl.up = () => { ctl.down = false; };
  return ctl;
}

// Opens a chat from the list; on a phone the list gives way to the conversation.
async function openChat(page, size, text) {
  await chatButton(page, text).click();
  await page.waitForFunction((t) => [...document.querySelectorAll('#chats button.chat[aria-current="true"]')].some((b) => b.textContent.includes(t)), text);
  if (size.narrow) {
    assert.equal(await visible(page, '#chats-pane'), false, 'on a phone the list gives way to the chat');
    assert.equal(await visible(page, '#back'), true);
  } else {
    assert.equal(await visible(page, '#chats-pane'), true, 'on a desktop the list stays beside the chat');
  }
}

for (const size of kSizes) {
  describe(`console at ${size.width}×${size.height}`, () => {
    test('sign-in: a wrong password is refused on the page; nothing opens', async () => {
      const company = await srv.createCompany({ name: `Console login ${size.name}` });
      const page = await newPage(size);
      try {
        await page.goto(`${srv.baseUrl}/`);
        await screen(page, size, 'sign-in');
        // The policy holds and its violations are seen: an inline style attribute is refused.
        await page.evaluate(() => { const d = document.createElement('div'); d.setAttribute('style', 'color: red'); document.body.append(d); d.remove(); });
        await page.waitForFunction(() => window.cspViolations.length === 1);
        assert.match(await page.evaluate(() => window.cspViolations[0]), /^style-src/);
        await page.evaluate(() => { window.cspViolations.length = 0; });
        await page.locator('#login-form').getByLabel('Email').fill(company.adminEmail);
        await page.locator('#login-form').getByLabel('Password').fill('not-the-password');
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForFunction(() => document.getElementById('login-error')?.textContent.length > 0);
        assert.match(await page.textContent('#login-error'), /invalid|password|credentials/i);
        assert.equal(await page.isHidden('#app'), true);
      } finally {
        await closePage(page);
      }
    });

    test('admin links an account by QR from the page; a customer writes; the chat opens; Shift+Enter lines; a double Enter sends once', async () => {
      const company = await srv.createCompany({ name: `Console link ${size.name}` });
      const token = await srv.login(company.adminEmail, company.adminPassword);
      const shop = await newPhone(`Shop ${size.name}`);
      const customer = await newPhone(`Customer ${size.name}`);
      const page = await newPage(size);
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        await page.waitForFunction(() => document.getElementById('sessions-empty')?.textContent.includes('No account'));
        await screen(page, size, 'no-account');

        // Link: the page creates the account and shows its QR; the phone scans it.
        await page.getByRole('button', { name: '+ Link an account' }).click();
        await page.waitForSelector('#qr:not([hidden])', { timeout: 20000 });
        const sessions = await apiItems(srv.get('/api/whatsapp/sessions', token));
        assert.equal(sessions.length, 1);
        const id = sessions[0].id;
        const qr = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, token));
        assert.equal(await page.getAttribute('#qr-image', 'src'), qr.qrCode, 'the page shows the QR the API holds');
        assert.match(await page.textContent('#account-status'), /Waiting for the QR scan/);
        await screen(page, size, 'account-qr');
        assert.equal((await sim.control('POST', `/accounts/${shop}/scan`, { qr: qr.qr })).status, 200);
        await page.waitForFunction((p) => document.getElementById('account-status')?.textContent === `Connected · +${p}`, shop, { timeout: 20000 });
        await page.waitForSelector('#qr', { state: 'hidden' });
        // A second "Link an account" while this one is linked makes no idle account twice.
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();

        // The number field takes a number only: letters do not open a chat.
        await page.getByLabel('Write to a number').fill('call me maybe');
        await page.getByRole('button', { name: 'Open', exact: true }).click();
        assert.equal(await page.evaluate(() => document.getElementById('new-chat-number').validity.valid), false);
        assert.equal(await page.textContent('#chat-title'), 'Account 1', 'no chat was opened');
        await page.getByLabel('Write to a number').fill('');

        // A customer writes: the chat appears live with its unread count, time and initials.
        await customerWrites(customer, shop, 'hello, is my order ready?');
        await chatButton(page, 'is my order ready').waitFor({ timeout: 20000 });
        assert.equal(await chatButton(page, 'is my order ready').locator('.unread').textContent(), '1 unread');
        assert.equal(await chatButton(page, 'is my order ready').locator('.unread').evaluate((e) => e.firstChild.textContent), '1', 'the badge shows the number');
        assert.match(await chatButton(page, 'is my order ready').locator('.time').textContent(), /\d{1,2}:\d{2}/);
        assert.match(await chatButton(page, 'is my order ready').locator('.avatar').textContent(), /^\S{1,2}$/);
        assert.equal(await page.title(), '(1) wadesk', 'the tab title counts unread chats');
        await page.getByRole('button', { name: 'Unread', exact: true }).click();
        await page.waitForFunction(() => document.querySelector('#chat-filters [data-filter="unread"]').getAttribute('aria-pressed') === 'true');
        assert.equal(await page.locator('#chats li').count(), 1, 'the unread chat is under Unread');
        await page.getByRole('button', { name: 'All', exact: true }).click();
        await screen(page, size, 'chat-list');

        // Opening it shows the message, marks it read and clears the badge and the title.
        await openChat(page, size, 'is my order ready');
        await page.waitForFunction(() => [...document.querySelectorAll('#messages .body')].some((e) => e.textContent === 'hello, is my order ready?'));
        await page.waitForFunction(() => document.title === 'wadesk');
        assert.equal((await apiItems(srv.get(`/api/whatsapp/sessions/${id}/chats`, token)))[0].unreadCount, 0);
        assert.equal(await page.locator('#messages li.day').first().textContent(), 'Today');

        // Shift+Enter makes a new line; Enter sends both lines as one message.
        const box = page.getByLabel('Message', { exact: true });
        await box.focus();
        await page.keyboard.type('Yes, it ships today.');
        await page.keyboard.press('Shift+Enter');
        await page.keyboard.type('Tracking follows.');
        assert.equal(await box.inputValue(), 'Yes, it ships today.\nTracking follows.');
        await page.keyboard.press('Enter');
        await until('the customer has the two lines', async () => (await inbox(customer)).some((m) => m.text === 'Yes, it ships today.\nTracking follows.'));
        await page.waitForFunction(() => document.getElementById('send-text').value === '');

        // Enter twice at once sends one message.
        await box.fill('Only once, please.');
        await Promise.all([page.keyboard.press('Enter'), page.keyboard.press('Enter')]);
        await page.keyboard.press('Enter');
        await until('the customer has it', async () => (await inbox(customer)).some((m) => m.text === 'Only once, please.'));
        await page.waitForFunction(() => [...document.querySelectorAll('#messages li.mine .body')].some((e) => e.textContent === 'Only once, please.'));
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal((await inbox(customer)).filter((m) => m.text === 'Only once, please.').length, 1, 'the customer got it once');
        const chatId = (await apiItems(srv.get(`/api/whatsapp/sessions/${id}/chats`, token)))[0].id;
        const stored = await apiItems(srv.get(`/api/whatsapp/sessions/${id}/chats/${chatId}/messages`, token));
        assert.equal(stored.filter((m) => m.body === 'Only once, please.').length, 1, 'stored once');
        assert.equal(await page.locator('#messages li.mine .body', { hasText: 'Only once, please.' }).count(), 1, 'shown once');
        await page.waitForFunction(() => /✓/.test([...document.querySelectorAll('#messages li.mine .meta')].pop()?.textContent ?? ''), null, { timeout: 20000 });

        // The composer stays at the bottom of the screen, under the list.
        const form = await page.locator('#send-form').boundingBox();
        assert.ok(form.y + form.height <= size.height + 1 && form.y > size.height - 140, `composer at the bottom: ${JSON.stringify(form)}`);
        const pane = await page.locator('#conversation-pane').boundingBox();
        assert.ok(pane.width >= Math.min(size.width, 360) - 1, `the conversation has room: ${pane.width}px`);
        await screen(page, size, 'conversation');

        // The same page narrowed: two columns on a tablet, one from 360 px on.
        if (!size.narrow) {
          const tablet = { name: 'tablet', width: 768, height: 1024 };
          await page.setViewportSize(tablet);
          const list = await page.locator('#chats-pane').boundingBox();
          const talk = await page.locator('#conversation-pane').boundingBox();
          assert.ok(list.x + list.width <= talk.x + 1 && talk.width >= 400, `side by side at 768 px: ${JSON.stringify([list, talk])}`);
          assert.ok((await page.locator('#accounts-pane').boundingBox()).y < list.y, 'accounts above the chats');
          await screen(page, tablet, 'conversation');
          const small = { name: 'small phone', width: 360, height: 740 };
          await page.setViewportSize(small);
          assert.equal(await visible(page, '#chats-pane'), false);
          assert.equal((await page.locator('#conversation-pane').boundingBox()).width, 360);
          const composer = await page.locator('#send-form').boundingBox();
          assert.ok(composer.y + composer.height <= small.height + 1 && composer.width === 360, JSON.stringify(composer));
          await screen(page, small, 'conversation');
          await page.setViewportSize(size);
        }

        // On a phone, Back returns to the list, with the chat still selected.
        if (size.narrow) {
          await page.getByRole('button', { name: 'Back to chats' }).click();
          assert.equal(await visible(page, '#chats-pane'), true);
          assert.equal(await visible(page, '#conversation-pane'), false);
        }

        // A reload keeps the account and the open chat.
        await page.reload();
        await page.waitForSelector('#app:not([hidden])');
        await page.waitForFunction(() => document.getElementById('chat-title')?.textContent.startsWith('Customer') || document.getElementById('chat-title')?.textContent.startsWith('+'));
        assert.equal(await page.locator('#chats button.chat[aria-current="true"]').count(), 1);
      } finally {
        await closePage(page);
      }
    });

    test('a socket that drops and comes back replays the message stored meanwhile (GET /api/events); notifications', async () => {
      const { company, shop } = await companyWithShop(`replay ${size.name}`);
      const customer = await newPhone(`Replay customer ${size.name}`);
      const page = await newPage(size, { notifications: true });
      const socket = await routeSocket(page);
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        assert.equal(await page.isHidden('#notify'), true, 'notifications are allowed already');
        await customerWrites(customer, shop, 'first, while you watch');
        await chatButton(page, 'first, while you watch').waitFor({ timeout: 20000 });
        await openChat(page, size, 'first, while you watch');

        // A message for another chat is a desktop notification; one in the open chat is not.
        const other = await newPhone(`Other customer ${size.name}`);
        await customerWrites(other, shop, 'me too, please');
        await page.waitForFunction(() => window.shownNotifications.length > 1, null, { timeout: 20000 });
        assert.deepEqual(await page.evaluate(() => window.shownNotifications), [
          [`Replay customer ${size.name}`, 'first, while you watch'], [`Other customer ${size.name}`, 'me too, please']]);

        // A text not sent yet stays with its chat while another chat is open.
        await page.getByLabel('Message', { exact: true }).fill('half a thought');
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();
        await openChat(page, size, 'me too, please');
        assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), '');
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();
        await openChat(page, size, 'first, while you watch');
        assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), 'half a thought');
        assert.ok((await page.locator('#send-text').boundingBox()).height >= 30, 'the composer shows its line');

        await socket.downNow();
        await page.waitForFunction(() => document.getElementById('live')?.textContent !== 'live');
        const replays = [];
        page.on('request', (r) => { if (/\/api\/events\?after=\d+/.test(r.url())) replays.push(r.url()); });
        await customerWrites(customer, shop, 'second, while your socket was down');
        const token = await srv.login(company.adminEmail, company.adminPassword);
        const [session] = await apiItems(srv.get('/api/whatsapp/sessions', token));
        await until('stored', async () => (await apiItems(srv.get(`/api/whatsapp/sessions/${session.id}/chats`, token)))[0].lastMessage === 'second, while your socket was down');
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(await page.locator('#messages .body', { hasText: 'second, while' }).count(), 0, 'not shown while the socket is down');
        await screen(page, size, 'offline');

        socket.up();
        await page.waitForFunction(() => [...document.querySelectorAll('#messages .body')].some((e) => e.textContent === 'second, while your socket was down'), null, { timeout: 20000 });
        await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
        assert.ok(replays.length >= 1, 'the page asked /api/events for what it missed');
        assert.equal(await page.locator('#messages .body', { hasText: 'first, while you watch' }).count(), 1, 'nothing shown twice');
        assert.match(await chatButton(page, 'second, while').locator('.preview').textContent(), /second, while/);
        assert.equal(await page.evaluate(() => window.shownNotifications.length), 2, 'the open chat\'s messages make no notification');

        // After a reload the page knows no event id until one arrives; a drop then is recovered too
        // (by replay once it has an id, else by reading the view again).
        await page.reload();
        await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
        await page.waitForFunction(() => [...document.querySelectorAll('#messages .body')].some((e) => e.textContent === 'second, while your socket was down'));
        await socket.downNow();
        await page.waitForFunction(() => document.getElementById('live')?.textContent !== 'live');
        await customerWrites(customer, shop, 'third, before any event');
        await until('stored', async () => (await apiItems(srv.get(`/api/whatsapp/sessions/${session.id}/chats`, token))).some((c) => c.lastMessage === 'third, before any event'));
        socket.up();
        await page.waitForFunction(() => [...document.querySelectorAll('#messages .body')].some((e) => e.textContent === 'third, before any event'), null, { timeout: 20000 });
      } finally {
        await closePage(page);
      }
    });

    test('a long chat scrolls under a fixed composer; scrolling up loads older messages and keeps the reader\'s place; a long list loads as it scrolls', async () => {
      const { company, sessionId, shop } = await companyWithShop(`scroll ${size.name}`);
      const talker = size.narrow ? '15557770001' : '15557770002';  // an emulated phone too: it writes at the end
      assert.equal((await sim.control('POST', '/accounts', { phone: talker, name: 'Long Talker' })).status, 201);
      const [chat] = await srv.insertChats(company.companyId, sessionId, [{ jid: `${talker}@s.whatsapp.net`, name: 'Long Talker', messages: 130, baseTs: Date.now() - 2 * 86400000 }]);
      assert.ok(chat);
      await srv.insertChats(company.companyId, sessionId, Array.from({ length: 120 }, (_, i) => ({
        jid: `1555888${String(i).padStart(4, '0')}@s.whatsapp.net`, name: `Bulk ${i}`, messages: 1, baseTs: Date.now() - 10 * 86400000 + i * 1000,
      })));
      const longName = 'A customer with a remarkably long name that does not fit on a phone (order 4711, second delivery)';
      await srv.insertChats(company.companyId, sessionId, [{ jid: '15558880999@s.whatsapp.net', name: longName, messages: 1, baseTs: Date.now() - 5 * 86400000 }]);
      const page = await newPage(size);
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        // A long name is cut with an ellipsis, in the list and in the conversation's header; nothing
        // runs out of the screen.
        await chatButton(page, longName).waitFor();
        const fits = (sel) => page.locator(sel).first().evaluate((el) => el.scrollWidth <= el.clientWidth + 1);
        const cut = (sel) => page.locator(sel).first().evaluate((el) => el.scrollWidth > el.clientWidth && getComputedStyle(el).textOverflow === 'ellipsis');
        assert.ok(await chatButton(page, longName).evaluate((el) => el.scrollWidth <= el.clientWidth + 1), 'the chat fits its row');
        assert.ok(await chatButton(page, longName).locator('.name').evaluate((el) => el.scrollWidth > el.clientWidth && getComputedStyle(el).textOverflow === 'ellipsis'), 'the name ends in an ellipsis');
        assert.ok(await fits('#chats'), 'the list does not scroll sideways');
        await screen(page, size, 'long-name-list');
        await openChat(page, size, longName);
        assert.ok(await cut('#chat-title'), 'the title ends in an ellipsis');
        assert.ok(await fits('#conversation-pane .pane-head'), 'the header fits');
        assert.ok(await page.locator('#chat-details-toggle').isVisible(), 'Manage chat stays on the screen');
        const head = await page.locator('#chat-details-toggle').boundingBox();
        assert.ok(head.x + head.width <= size.width, `Manage chat inside the screen: ${JSON.stringify(head)}`);
        await screen(page, size, 'long-name-chat');
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();
        // The list holds 100 chats, then the next page when the reader scrolls to its end.
        await page.waitForFunction(() => document.querySelectorAll('#chats li').length === 100);
        assert.equal(await page.isVisible('#more-chats'), true);
        await page.locator('#chats').evaluate((el) => { el.scrollTop = el.scrollHeight; });
        await page.waitForFunction(() => document.querySelectorAll('#chats li').length === 122);
        await page.waitForSelector('#more-chats', { state: 'hidden' });
        await page.locator('#chats').evaluate((el) => { el.scrollTop = 0; });
        await openChat(page, size, 'Long Talker');
        await page.waitForFunction(() => document.querySelectorAll('#messages li:not(.day)').length === 50);
        const scroller = page.locator('#scroller');
        // At the newest message, the composer in view.
        assert.equal(await page.locator('#messages li:not(.day) .body').last().textContent(), 'message 129 of Long Talker');
        const composerBefore = await page.locator('#send-form').boundingBox();
        assert.ok(composerBefore.y + composerBefore.height <= size.height + 1);

        // Scrolling to the top loads the next 50 above; the message that was on top stays put.
        const anchorId = await page.evaluate(() => document.querySelector('#messages li:not(.day)').dataset.id);
        await scroller.evaluate((el) => { el.scrollTop = 0; });
        await page.waitForFunction(() => document.querySelectorAll('#messages li:not(.day)').length === 100);
        const anchorTop = await page.evaluate((id) => {
          const s = document.getElementById('scroller');
          return document.querySelector(`#messages li[data-id="${id}"]`).getBoundingClientRect().top - s.getBoundingClientRect().top;
        }, anchorId);
        assert.ok(anchorTop >= -5, `the anchor did not jump away (top ${anchorTop})`);
        assert.ok(await page.evaluate(() => document.getElementById('scroller').scrollTop) > 200, 'the reader is not thrown to the top');
        assert.deepEqual(await page.locator('#send-form').boundingBox(), composerBefore, 'the composer did not move');
        await screen(page, size, 'long-chat');

        // Until the first message, then no more "Older messages".
        await scroller.evaluate((el) => { el.scrollTop = 0; });
        await page.waitForFunction(() => document.querySelectorAll('#messages li:not(.day)').length === 130);
        await page.waitForSelector('#older', { state: 'hidden' });
        assert.equal(await page.locator('#messages li:not(.day) .body').first().textContent(), 'message 0 of Long Talker');
        assert.ok((await page.locator('#messages li.day').count()) >= 1, 'day separators');
        const bubbleTimes = await page.locator('#messages li:not(.day) time').first().textContent();
        assert.match(bubbleTimes, /^\d{1,2}:\d{2}/, 'a bubble shows its time, the day is in the separator');

        // Sending from up in the history brings the reader down to their message.
        await page.getByLabel('Message', { exact: true }).fill('Back to the newest');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => [...document.querySelectorAll('#messages li.mine .body')].some((e) => e.textContent === 'Back to the newest'));
        await page.waitForFunction(() => {
          const s = document.getElementById('scroller');
          return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
        });

        // A message that arrives while the reader is up in the history leaves them there and
        // says so; the button takes them down to it.
        await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
        const middle = await scroller.evaluate((el) => el.scrollTop);
        await customerWrites(talker, shop, 'are you still reading?');
        await page.waitForSelector('#jump-new:not([hidden])', { timeout: 20000 });
        assert.ok(Math.abs(await scroller.evaluate((el) => el.scrollTop) - middle) < 2, 'the reader stays where they were');
        await screen(page, size, 'new-below');
        await page.getByRole('button', { name: 'New messages ↓' }).click();
        await page.waitForSelector('#jump-new', { state: 'hidden' });
        assert.equal(await page.locator('#messages li:not(.day) .body').last().textContent(), 'are you still reading?');
      } finally {
        await closePage(page);
      }
    });

    test('an account unlinked on the phone reads so in words, offers no composer, and is linked again from the console; rename and delete', async () => {
      const { company, token, shop, sessionId } = await companyWithShop(`relink ${size.name}`);
      const customer = await newPhone(`Relink customer ${size.name}`);
      const page = await newPage(size);
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        await customerWrites(customer, shop, 'are you there?');
        await chatButton(page, 'are you there?').waitFor({ timeout: 20000 });
        await openChat(page, size, 'are you there?');
        await page.waitForSelector('#send-form:not([hidden])');

        // The phone unlinks the device: the page says why, and the composer gives way to a note.
        const devices = (await sim.control('GET', `/accounts/${shop}/devices`)).body.devices;
        const device = devices.find((d) => d.id !== 0);
        assert.equal((await sim.control('DELETE', `/accounts/${shop}/devices/${device.id}`)).status, 200);
        await page.waitForSelector('#composer-note:not([hidden])', { timeout: 20000 });
        assert.match(await page.textContent('#composer-note'), /cannot send now \(logged out: unlinked on the phone/);
        assert.equal(await page.locator('#send-text').isDisabled(), true);
        await screen(page, size, 'logged-out-chat');
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();
        assert.match(await page.locator(`#sessions button.account[data-id="${sessionId}"] .status`).textContent(), /Logged out: unlinked on the phone/);

        // Link again: a new QR, scanned by the same phone; the composer comes back.
        await page.getByRole('button', { name: `Manage account Shop relink ${size.name}` }).click();
        await page.getByRole('button', { name: 'Link again (new QR)' }).click();
        await page.waitForSelector('#qr:not([hidden])', { timeout: 20000 });
        await screen(page, size, 'account-relink');
        const qr = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/qr`, token));
        assert.equal((await sim.control('POST', `/accounts/${shop}/scan`, { qr: qr.qr })).status, 200);
        await page.waitForFunction((p) => document.getElementById('account-status')?.textContent === `Connected · +${p}`, shop, { timeout: 20000 });
        assert.equal((await apiItems(srv.get('/api/whatsapp/sessions', token))).length, 1, 'no second account was made');

        // Rename.
        await page.locator('#rename-form').getByLabel('Name', { exact: true }).fill('Front desk');
        await page.getByRole('button', { name: 'Rename' }).click();
        await page.waitForFunction(() => document.querySelector('#sessions .account .name')?.textContent === 'Front desk');
        assert.equal((await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token))).name, 'Front desk');
        await screen(page, size, 'account');

        // The chat works again.
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();
        await openChat(page, size, 'are you there?');
        await page.waitForSelector('#composer-note', { state: 'hidden' });
        await page.getByLabel('Message', { exact: true }).fill('Back online.');
        await page.keyboard.press('Enter');
        await until('the customer has it', async () => (await inbox(customer)).some((m) => m.text === 'Back online.'));

        // Unlink from the console: asked first; then the account reads why.
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();
        await page.getByRole('button', { name: 'Manage account Front desk' }).click();
        await page.getByRole('button', { name: 'Unlink from WhatsApp' }).click();
        await page.waitForSelector('#confirm[open]');
        await page.locator('#confirm-ok').click();
        await page.waitForFunction(() => document.getElementById('account-status')?.textContent.startsWith('Logged out: unlinked by an admin'));
        await page.getByRole('button', { name: 'Link again (new QR)' }).waitFor();

        // Delete, keeping the history or not: asked first, in a dialog.
        await page.getByLabel('Also delete its chats and messages').check();
        await page.getByRole('button', { name: 'Delete this account' }).click();
        await page.waitForSelector('#confirm[open]');
        assert.match(await page.textContent('#confirm-text'), /Delete Front desk and all its chats and messages\?/);
        await screen(page, size, 'confirm-delete');
        await page.locator('#confirm-ok').click();
        await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 0);
        assert.equal((await srv.get(`/api/whatsapp/sessions/${sessionId}`, token)).status, 404);
        const audit = await apiItems(srv.get('/api/audit', token));
        assert.ok(audit.some((a) => a.action === 'session.delete' && a.targetId === sessionId && a.details.purge === true), 'deleted with purge');
      } finally {
        await closePage(page);
      }
    });

    test('the phone\'s history shows right after linking, with its progress; contacts\' names stand for numbers; a history that cannot be read says so', async () => {
      const company = await srv.createCompany({ name: `Console history ${size.name}` });
      const token = await srv.login(company.adminEmail, company.adminPassword);
      const shop = await newPhone(`History shop ${size.name}`);
      const broken = await newPhone(`Broken shop ${size.name}`);
      const pat = await newPhone(`Patricia ${size.name}`);
      const walkIn = await newPhone(`Walk-in ${size.name}`);
      const t0 = Math.floor(Date.now() / 1000) - 3 * 86400;
      const history = (tag) => [
        { with: pat, name: 'Pat (customer)', messages: [{ id: `${tag}-1`, text: 'my usual order, please', t: t0 }, { id: `${tag}-2`, fromMe: true, text: 'on its way', t: t0 + 60, status: 'read' }] },
        { with: '15559990077', name: 'Old supplier', messages: [{ id: `${tag}-3`, fromMe: true, text: 'invoice attached', t: t0 - 86400, status: 'delivered' }] },
      ];
      assert.equal((await sim.control('PUT', `/accounts/${shop}/history`, { chats: history(`CH-${size.name}`) })).status, 200);
      assert.equal((await sim.control('PUT', `/accounts/${broken}/history`, { chats: history(`CB-${size.name}`), corrupt: true })).status, 200);
      const page = await newPage(size);
      // Every text the import line shows while it is shown.
      await page.addInitScript(() => {
        window.historyLines = [];
        new MutationObserver(() => {
          const line = document.getElementById('history-import');
          const text = line && !line.hidden ? line.textContent.trim() : '';
          if (text && window.historyLines.at(-1) !== text) window.historyLines.push(text);
        }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      });
      const linkFromPage = async (phone) => {
        await page.getByRole('button', { name: '+ Link an account' }).click();
        await page.waitForSelector('#qr:not([hidden])', { timeout: 20000 });
        const sessions = await apiItems(srv.get('/api/whatsapp/sessions', token));
        const id = sessions.find((x) => x.status === 'qr').id;
        const qr = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, token));
        assert.equal((await sim.control('POST', `/accounts/${phone}/scan`, { qr: qr.qr })).status, 200);
        await page.waitForFunction((p) => document.getElementById('account-status')?.textContent === `Connected · +${p}`, phone, { timeout: 20000 });
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();
        return id;
      };
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        await linkFromPage(shop);
        // The phone's chats, under the names the phone gave them, not their numbers.
        await chatButton(page, 'Pat (customer)').waitFor({ timeout: 20000 });
        await chatButton(page, 'Old supplier').waitFor();
        assert.match(await chatButton(page, 'Pat (customer)').locator('.preview').textContent(), /on its way/);
        await page.waitForSelector('#history-import', { state: 'hidden' });
        const lines = await page.evaluate(() => window.historyLines);
        assert.ok(lines.some((l) => /^Importing chats from the phone… 2 chats, 3 messages/.test(l)), `the progress line was shown: ${JSON.stringify(lines)}`);
        // A customer the phone does not know writes: the chat reads their WhatsApp name.
        await customerWrites(walkIn, shop, 'do you open on Sundays?');
        await chatButton(page, 'do you open on Sundays?').waitFor({ timeout: 20000 });
        assert.match(await chatButton(page, 'do you open on Sundays?').locator('.name').textContent(), new RegExp(`^Walk-in ${size.name}`));
        await openChat(page, size, 'Pat (customer)');
        assert.equal(await page.textContent('#chat-title'), 'Pat (customer)');
        assert.deepEqual(await bubbles(page), ['my usual order, please', 'on its way']);
        await screen(page, size, 'history-chat');
        if (size.narrow) await page.getByRole('button', { name: 'Back to chats' }).click();

        // A history that cannot be read: the line says so, in words, and stays.
        await linkFromPage(broken);
        await page.waitForFunction(() => /could not be imported \(the phone sent it damaged\)/.test(document.getElementById('history-import')?.textContent)
          && !document.getElementById('history-import').hidden, null, { timeout: 20000 });
        await screen(page, size, 'history-failed');
      } finally {
        await closePage(page);
      }
    });

    test('Log out signs the tab\'s token out at the server; another sign-in of the same user stays', async () => {
      const company = await srv.createCompany({ name: `Console logout ${size.name}` });
      const other = await srv.login(company.adminEmail, company.adminPassword);
      const page = await newPage(size);
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        const token = await page.evaluate(() => sessionStorage.getItem('wadesk.token'));
        assert.ok(token);
        await page.getByRole('button', { name: 'Log out' }).click();
        await page.waitForSelector('#login:not([hidden])');
        assert.equal(await page.evaluate(() => sessionStorage.getItem('wadesk.token')), null);
        const refused = await srv.get('/api/auth/me', token);
        assert.equal(refused.status, 401, 'the tab\'s token no longer works anywhere');
        assert.equal(refused.json.error.code, 'token_revoked');
        assert.equal((await srv.get('/api/auth/me', other)).status, 200);
        await screen(page, size, 'logged-out');
      } finally {
        await closePage(page);
      }
    });

    test('admin links an account by pairing code from the page instead of the QR', async () => {
      const company = await srv.createCompany({ name: `Console code ${size.name}` });
      const shop = await newPhone(`Code shop ${size.name}`);
      const page = await newPage(size);
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        await page.getByRole('button', { name: '+ Link an account' }).click();
        await page.waitForSelector('#pairing-form:not([hidden])', { timeout: 20000 });
        await page.getByLabel('Or link with the phone number instead').fill(`+${shop}`);
        await page.getByRole('button', { name: 'Get a code' }).click();
        await page.waitForFunction(() => /^[1-9A-Z]{4}-[1-9A-Z]{4}$/.test(document.getElementById('pairing-code')?.textContent), null, { timeout: 20000 });
        await screen(page, size, 'pairing-code');
        const code = await page.textContent('#pairing-code');
        assert.equal((await sim.control('POST', `/accounts/${shop}/pair-code`, { code })).status, 200);
        await page.waitForFunction((p) => document.getElementById('account-status')?.textContent === `Connected · +${p}`, shop, { timeout: 20000 });
        assert.equal(await page.isHidden('#pairing-form'), true);
      } finally {
        await closePage(page);
      }
    });

    test('keyboard only: sign in, open a chat, send', async () => {
      const { company, shop } = await companyWithShop(`keyboard ${size.name}`);
      const customer = await newPhone(`Keyboard customer ${size.name}`);
      await customerWrites(customer, shop, 'can you hear me?');
      const token = await srv.login(company.adminEmail, company.adminPassword);
      const [session] = await apiItems(srv.get('/api/whatsapp/sessions', token));
      await until('stored', async () => (await apiItems(srv.get(`/api/whatsapp/sessions/${session.id}/chats`, token))).length === 1);
      const page = await newPage(size);
      try {
        await page.goto(`${srv.baseUrl}/`);
        await page.waitForSelector('#login:not([hidden])');
        // The page puts the cursor in the email field.
        await page.waitForFunction(() => document.activeElement?.id === 'login-email');
        await page.keyboard.type(company.adminEmail);
        await page.keyboard.press('Tab');
        await page.keyboard.type(company.adminPassword);
        await page.keyboard.press('Enter');
        await page.waitForSelector('#app:not([hidden])');
        await chatButton(page, 'can you hear me?').waitFor({ timeout: 20000 });
        // Tab reaches the chat (a real button), with a visible focus ring.
        let reached = false;
        for (let i = 0; i < 30 && !reached; i++) {
          await page.keyboard.press('Tab');
          reached = await page.evaluate(() => document.activeElement?.matches('#chats button.chat') ?? false);
        }
        assert.ok(reached, 'Tab reaches the chat');
        const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        assert.equal(ring, 'solid', 'the focused chat shows a focus ring');
        await screen(page, size, 'keyboard-focus');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.activeElement?.id === 'send-text');
        await page.keyboard.type('Loud and clear.');
        await page.keyboard.press('Enter');
        await until('the customer has it', async () => (await inbox(customer)).some((m) => m.text === 'Loud and clear.'));
        // On a phone, Escape goes back to the list, to the chat it came from.
        if (size.narrow) {
          await page.keyboard.press('Escape');
          await page.waitForFunction(() => document.activeElement?.matches('#chats button.chat'));
          assert.equal(await visible(page, '#conversation-pane'), false);
          await page.keyboard.press('Enter');
          await page.waitForFunction(() => document.activeElement?.id === 'send-text');
        }
        // New messages are announced to screen readers.
        await customerWrites(customer, shop, 'great, thanks');
        await page.waitForFunction(() => document.getElementById('announcer')?.textContent.includes('great, thanks'), null, { timeout: 20000 });
        assert.equal(await page.getAttribute('#announcer', 'aria-live'), 'polite');
      } finally {
        await closePage(page);
      }
    });

    test('rights: Write implies Read, a saved right is confirmed, the manager sees their rights; no composer without Write; chat management with Manage chats', async () => {
      const { company, token, shop, sessionId } = await companyWithShop(`rights ${size.name}`);
      const customer = await newPhone(`Rights customer ${size.name}`);
      await customerWrites(customer, shop, 'I need help with my order');
      await until('stored', async () => (await apiItems(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token))).length === 1);
      const admin = await newPage(size);
      const manager = await newPage(size);
      const email = `mia-${size.name}@example.test`;
      try {
        await signIn(admin, company.adminEmail, company.adminPassword);
        await admin.getByRole('button', { name: 'Team' }).click();
        await admin.waitForFunction((n) => document.getElementById('team-session')?.textContent === n, `Shop rights ${size.name}`);
        const form = admin.locator('#manager-form');
        await form.getByLabel('Name', { exact: true }).fill('Mia');
        await form.getByLabel('Email', { exact: true }).fill(email);
        await form.getByLabel('Password (8 or more characters)').fill('mia-password-1');
        await admin.getByRole('button', { name: 'Add', exact: true }).click();
        await admin.getByLabel('Write for Mia').waitFor();

        // Without a grant the manager sees no account, says so, and has nothing to link.
        await signIn(manager, email, 'mia-password-1');
        await manager.waitForFunction(() => document.getElementById('sessions-empty')?.textContent.includes('No account is shared with you yet'));
        assert.equal(await manager.locator('#sessions li').count(), 0);
        assert.equal(await manager.isHidden('#new-session'), true);
        await screen(manager, size, 'manager-no-account');

        // Ticking Write ticks Read too; the page confirms what was saved.
        await admin.getByLabel('Write for Mia').check();
        assert.equal(await admin.getByLabel('Read for Mia').isChecked(), true);
        await admin.waitForFunction(() => document.getElementById('grants-status')?.textContent.startsWith('Saved: Mia may read, write'));
        await screen(admin, size, 'team');
        const mia = (await srv.ok(srv.get('/api/managers', token))).find((m) => m.email === email);
        assert.deepEqual((await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/access`, token))).map((g) => [g.managerId, g.canRead, g.canWrite, g.canManageChats]), [[mia.id, true, true, false]]);

        // The manager sees the account with their rights, and no admin buttons.
        await manager.reload();
        await manager.waitForSelector('#app:not([hidden])');
        await manager.waitForFunction(() => /Read, Write$/.test(document.querySelector('#sessions .account .status')?.textContent ?? ''));
        assert.equal(await manager.isHidden('#team'), true);
        assert.equal(await manager.isHidden('#new-session'), true);
        assert.equal(await manager.locator('#sessions .manage').count(), 0);
        await openChat(manager, size, 'I need help');
        await manager.waitForSelector('#send-form:not([hidden])');
        assert.equal(await manager.isHidden('#chat-details-toggle'), true, 'no chat management without Manage chats');

        // Write taken away while the page is open: the next send is refused in words and the
        // composer gives way to a note; the same after a reload.
        await admin.getByLabel('Write for Mia').uncheck();
        await admin.waitForFunction(() => document.getElementById('grants-status')?.textContent.startsWith('Saved: Mia may read on'));
        await manager.getByLabel('Message', { exact: true }).fill('Can I still write?');
        await manager.keyboard.press('Enter');
        await manager.waitForFunction(() => document.getElementById('app-error')?.textContent.length > 0);
        await manager.waitForSelector('#composer-note:not([hidden])');
        assert.equal(await manager.isHidden('#send-form'), true);
        await manager.reload();
        await manager.waitForSelector('#app:not([hidden])');
        await manager.waitForFunction(() => /· Read$/.test(document.querySelector('#sessions .account .status')?.textContent ?? ''));
        await manager.waitForFunction(() => document.getElementById('chat-title')?.textContent.includes('Rights customer'));
        assert.equal(await manager.isHidden('#send-form'), true);
        assert.match(await manager.textContent('#composer-note'), /can read this account but not write/);
        await screen(manager, size, 'read-only-chat');

        // Manage chats: the manager pins, labels, assigns to themselves and archives.
        await admin.getByLabel('Manage chats for Mia').check();
        await admin.waitForFunction(() => document.getElementById('grants-status')?.textContent.startsWith('Saved: Mia may read, manage chats'));
        await manager.reload();
        await manager.waitForSelector('#app:not([hidden])');
        await manager.getByRole('button', { name: 'Manage chat', exact: true }).click();
        await manager.getByLabel('Assigned to').selectOption({ label: 'Me' });
        await manager.getByLabel('Labels (separated by commas)').fill('vip, order');
        await manager.getByRole('button', { name: 'Save assignee and labels' }).click();
        await manager.waitForFunction(() => document.getElementById('chat-details-status')?.textContent === 'Saved.');
        await manager.getByRole('button', { name: 'Pin', exact: true }).click();
        await manager.waitForFunction(() => document.getElementById('chat-details-status')?.textContent === 'Pinned.');
        await manager.getByRole('button', { name: 'Mute', exact: true }).click();
        await manager.waitForFunction(() => document.getElementById('chat-details-status')?.textContent === 'Muted.');
        assert.equal(await manager.getByRole('button', { name: 'Mute', exact: true }).getAttribute('aria-pressed'), 'true');
        await screen(manager, size, 'manage-chat');
        let chat = (await apiItems(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token)))[0];
        assert.equal(chat.assignedTo, mia.id);
        assert.deepEqual(chat.labels, ['vip', 'order']);
        assert.equal(chat.pinned, true);
        assert.equal(chat.muted, true);
        if (size.narrow) await manager.getByRole('button', { name: 'Back to chats' }).click();
        await manager.getByRole('button', { name: 'Mine' }).click();
        await chatButton(manager, 'Rights customer').waitFor();
        assert.equal(await chatButton(manager, 'Rights customer').locator('.label').count(), 2);
        await chatButton(manager, 'Rights customer').click();
        await manager.getByRole('button', { name: 'Manage chat', exact: true }).click();
        await manager.getByRole('button', { name: 'Archive', exact: true }).click();
        await manager.waitForFunction(() => document.getElementById('chat-details-status')?.textContent === 'Archived.');
        chat = (await apiItems(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?archived=true`, token)))[0];
        assert.equal(chat.archived, true);
        if (size.narrow) await manager.getByRole('button', { name: 'Back to chats' }).click();
        await manager.waitForFunction(() => document.querySelectorAll('#chats li').length === 0);
        await manager.getByRole('button', { name: 'Archived' }).click();
        await chatButton(manager, 'Rights customer').waitFor();

        // The admin hands the chat to Mia by name from the same form.
        await admin.getByRole('button', { name: 'Team' }).click();
        await admin.getByRole('button', { name: 'Archived' }).click();
        await openChat(admin, size, 'Rights customer');
        await admin.getByRole('button', { name: 'Manage chat', exact: true }).click();
        await admin.getByLabel('Assigned to').selectOption({ label: 'Nobody' });
        await admin.getByRole('button', { name: 'Save assignee and labels' }).click();
        await admin.waitForFunction(() => document.getElementById('chat-details-status')?.textContent === 'Saved.');
        assert.equal((await apiItems(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?archived=true`, token)))[0].assignedTo, null);
        await admin.getByLabel('Assigned to').selectOption({ label: 'Mia' });
        await admin.getByRole('button', { name: 'Save assignee and labels' }).click();
        await admin.waitForFunction(() => document.getElementById('chat-subtitle')?.textContent.includes('assigned to Mia'));
        assert.equal((await apiItems(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?archived=true`, token)))[0].assignedTo, mia.id);
      } finally {
        await closePage(admin);
        await closePage(manager);
      }
    });

    test('team: the admin edits a manager, gives a new password, disables and deletes them', async () => {
      const company = await srv.createCompany({ name: `Console team ${size.name}` });
      const token = await srv.login(company.adminEmail, company.adminPassword);
      const email = `noah-${size.name}@example.test`;
      await srv.ok(srv.post('/api/managers', token, { email, password: 'noah-password-1', name: 'Noah' }));
      const page = await newPage(size);
      const noah = await newPage(size);
      try {
        await signIn(page, company.adminEmail, company.adminPassword);
        await page.getByRole('button', { name: 'Team' }).click();
        await page.getByRole('button', { name: 'Edit Noah' }).click();
        await page.locator('#manager-form').getByLabel('Name', { exact: true }).fill('Noah Smith');
        await page.getByLabel('New password (leave empty to keep it)').fill('noah-new-password');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.waitForFunction(() => document.getElementById('grants-status')?.textContent === 'Saved, with the new password.');
        assert.equal((await srv.post('/api/auth/login', undefined, { email, password: 'noah-password-1' })).status, 401);
        await signIn(noah, email, 'noah-new-password');

        // Disabled: Noah's open page is signed out at once (its socket is closed and refused).
        await page.getByRole('button', { name: 'Disable Noah Smith' }).click();
        await page.waitForFunction(() => document.getElementById('grants-status')?.textContent === 'Noah Smith disabled.');
        await noah.waitForSelector('#login:not([hidden])', { timeout: 20000 });
        assert.equal(await noah.isHidden('#app'), true);
        assert.ok([401, 403].includes((await srv.post('/api/auth/login', undefined, { email, password: 'noah-new-password' })).status), 'a disabled manager cannot sign in');
        await page.getByRole('button', { name: 'Enable Noah Smith' }).click();
        await page.waitForFunction(() => document.getElementById('grants-status')?.textContent === 'Noah Smith enabled.');
        await screen(page, size, 'team-managers');

        await page.getByRole('button', { name: 'Delete Noah Smith' }).click();
        await page.waitForSelector('#confirm[open]');
        await page.locator('#confirm-ok').click();
        await page.waitForFunction(() => document.getElementById('grants-status')?.textContent === 'Noah Smith deleted.');
        assert.deepEqual(await srv.ok(srv.get('/api/managers', token)), []);
      } finally {
        await closePage(page);
        await closePage(noah);
      }
    });
  });
}

test('console files are served with their types; an unknown one is a 404 envelope', async () => {
  for (const [file, type] of [['/', /text\/html/], ['/console/app.js', /javascript/], ['/console/events.js', /javascript/],
    ['/console/app.css', /text\/css/], ['/console/favicon.svg', /image\/svg\+xml/], ['/favicon.ico', /image\/svg\+xml/],
    ['/vendor/preact.module.js', /javascript/], ['/vendor/hooks.module.js', /javascript/], ['/vendor/htm.module.js', /javascript/],
    ['/vendor/preact.LICENSE.txt', /text\/plain/], ['/vendor/htm.LICENSE.txt', /text\/plain/]]) {
    const r = await fetch(`${srv.baseUrl}${file}`);
    assert.equal(r.status, 200, file);
    assert.match(r.headers.get('content-type'), type, file);
  }
  // The page is served under a policy that allows no inline script or style (the browser tests
  // above fail on any violation of it) but the page's import map, by its hash.
  const page = await fetch(`${srv.baseUrl}/`);
  const csp = page.headers.get('content-security-policy');
  const importMap = (await page.text()).match(/<script type="importmap">([^<]*)<\/script>/)[1];
  assert.deepEqual(Object.keys(JSON.parse(importMap).imports), ['preact', 'preact/hooks', 'htm']);
  const hash = createHash('sha256').update(importMap).digest('base64');
  assert.match(csp, new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}';`));
  assert.match(csp, /style-src 'self';/);
  // The library is the one web/package-lock.json pins.
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'web/package-lock.json'), 'utf8'));
  const served = await (await fetch(`${srv.baseUrl}/vendor/preact.module.js`)).text();
  assert.equal(served, readFileSync(path.join(repoRoot, 'web/node_modules/preact/dist/preact.module.js'), 'utf8'));
  assert.equal(lock.packages['node_modules/preact'].version, JSON.parse(readFileSync(path.join(repoRoot, 'web/node_modules/preact/package.json'), 'utf8')).version);
  // Browsers and tools that ask for /favicon.ico get the console's icon, not a 404.
  assert.equal(await (await fetch(`${srv.baseUrl}/favicon.ico`)).text(), await (await fetch(`${srv.baseUrl}/console/favicon.svg`)).text());
  const missing = await fetch(`${srv.baseUrl}/console/nope.js`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found');
});
