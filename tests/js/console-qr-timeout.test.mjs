// The console after a QR code nobody scanned: the account reads why in words and is linked again
// from its panel with a new QR, as the same account (no second one is made). The wait is cut to
// a few seconds with WADESK_WA_QR_TIMEOUT (WhatsApp's own sequence of codes lasts about 160 s).
// At a phone's size and a desktop's, with axe-core and the server's Content-Security-Policy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { TestServer, repoRoot } from './lib/server.mjs';
import { startSim } from './lib/client-harness.mjs';
import { axeViolations } from './lib/axe.mjs';

const kChromium = process.env.WADESK_CHROMIUM || '/usr/bin/chromium';
const kScreens = path.join(process.env.WADESK_BUILD_DIR ?? path.join(repoRoot, 'build'), 'console-screens');
const kQrTimeoutS = 3;

// GET /api/whatsapp/sessions answers a list (or a page of one).
const listOf = (d) => (Array.isArray(d) ? d : d.items);

let sim;
let srv;
let browser;

before(async () => {
  mkdirSync(kScreens, { recursive: true });
  sim = await startSim();
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey,
      WADESK_WA_QR_TIMEOUT: String(kQrTimeoutS) },
  });
  await srv.start();
  browser = await chromium.launch({ executablePath: kChromium, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  try {
    await srv?.stop();
  } finally {
    await sim?.close();
  }
});

for (const size of [{ name: 'phone', width: 390, height: 844 }, { name: 'desktop', width: 1280, height: 800 }]) {
  test(`a QR nobody scanned reads so, and the account is linked again from the console [${size.name}]`, async () => {
    const company = await srv.createCompany({ name: `QR timeout ${size.name}` });
    const token = await srv.login(company.adminEmail, company.adminPassword);
    const phone = `1555777${size.width}`.slice(0, 11);
    assert.equal((await sim.control('POST', '/accounts', { phone, name: `Shop ${size.name}` })).status, 201);

    const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
    await context.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    try {
      await page.goto(`${srv.baseUrl}/`);
      const form = page.locator('#login-form');
      await form.getByLabel('Email').fill(company.adminEmail);
      await form.getByLabel('Password').fill(company.adminPassword);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForSelector('#app:not([hidden])');

      // The first QR shows; nobody scans it; the account stops and says why.
      await page.getByRole('button', { name: '+ Link an account' }).click();
      await page.waitForSelector('#qr:not([hidden])', { timeout: 20000 });
      const started = Date.now();
      await page.waitForFunction(() => document.getElementById('account-status')?.textContent
        === 'Stopped: nobody scanned the QR code in time', null, { timeout: 20000 });
      assert.ok(Date.now() - started < (kQrTimeoutS + 10) * 1000, 'the wait ended at the configured limit');
      assert.equal(await page.locator('#qr').isVisible(), false, 'the expired QR is gone');
      const [session] = listOf(await srv.ok(srv.get('/api/whatsapp/sessions', token)));
      assert.equal(session?.status, 'disconnected');
      assert.equal(session?.statusReason, 'qr_timeout');
      await page.screenshot({ path: path.join(kScreens, `qr-timeout-${size.width}x${size.height}.png`) });
      assert.deepEqual(await axeViolations(page), [], 'axe on the stopped account');

      // Link again: a new QR for the same account, scanned in time.
      await page.getByRole('button', { name: 'Link again (new QR)' }).click();
      await page.waitForSelector('#qr:not([hidden])', { timeout: 20000 });
      const qr = await srv.ok(srv.get(`/api/whatsapp/sessions/${session.id}/qr`, token));
      assert.equal(await page.getAttribute('#qr-image', 'src'), qr.qrCode, 'the page shows the new QR');
      assert.equal((await sim.control('POST', `/accounts/${phone}/scan`, { qr: qr.qr })).status, 200);
      await page.waitForFunction((p) => document.getElementById('account-status')?.textContent === `Connected · +${p}`,
        phone, { timeout: 20000 });
      const sessions = listOf(await srv.ok(srv.get('/api/whatsapp/sessions', token)));
      assert.deepEqual(sessions.map((s) => [s.id, s.status]), [[session.id, 'connected']], 'the same account, linked');
      assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'no Content-Security-Policy violation');
    } finally {
      await context.close();
    }
  });
}
