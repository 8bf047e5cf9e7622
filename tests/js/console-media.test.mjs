// The console's media (web/console/media.js) in Debian's Chromium: a contact sends an image, a
// voice note and a document; the conversation shows the image inline (decoded by the browser),
// a playable audio element and a download button; a file chosen in the composer's picker goes out
// with the text as its caption and the contact's phone decrypts it. Screenshots are kept in
// <build>/console-screens/media-*.png.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { TestServer, until, repoRoot } from './lib/server.mjs';
import { createAccounts, linkSession, simEnv, startSim } from './lib/client-harness.mjs';
import { axeViolations } from './lib/axe.mjs';

const kChromium = process.env.WADESK_CHROMIUM || '/usr/bin/chromium';
const kScreens = path.join(process.env.WADESK_BUILD_DIR ?? path.join(repoRoot, 'build'), 'console-screens');
// A 2×2 PNG.
const kPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANBQEB0nqYAAAAAElFTkSuQmCC', 'base64');
const SHOP = '15550012001';
const PAT = '15550012002';
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

describe('console media', () => {
    let sim, srv, browser, company;

    before(async () => {
        assert.ok(existsSync(kChromium), `${kChromium} is missing`);
        mkdirSync(kScreens, { recursive: true });
        sim = await startSim();
        await createAccounts(sim, [[SHOP, 'Shop'], [PAT, 'Pat']]);
        srv = new TestServer({ backend: 'sqlite', env: simEnv(sim) });
        company = await srv.createCompany({ name: 'Console media' });
        await srv.start();
        const token = await srv.login(company.adminEmail, company.adminPassword);
        await linkSession(srv, sim, token, SHOP);
        browser = await chromium.launch({ executablePath: kChromium, headless: true, args: ['--no-sandbox'] });
    });

    after(async () => {
        await browser?.close();
        await srv?.stop();
        await sim?.close();
    });

    test('images inline, voice notes playable, documents downloadable, a file sent from the picker', async () => {
        for (const body of [
            { type: 'image', data_b64: kPng.toString('base64'), mimetype: 'image/png', width: 2, height: 2, caption: 'the colours' },
            { type: 'ptt', data_b64: Buffer.alloc(2000, 7).toString('base64'), seconds: 3 },
            { type: 'document', data_b64: Buffer.from('%PDF-1.4 test').toString('base64'), mimetype: 'application/pdf', file_name: 'list.pdf' },
        ]) {
            assert.equal((await sim.control('POST', `/accounts/${PAT}/send-media`, { to: SHOP, ...body })).status, 200);
        }
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
        await context.addInitScript(() => {
            window.cspViolations = [];
            document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${srv.baseUrl}/`);
        const form = page.locator('#login-form');
        await form.getByLabel('Email').fill(company.adminEmail);
        await form.getByLabel('Password').fill(company.adminPassword);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForSelector('#app:not([hidden])');
        const chat = page.locator('#chats button.chat', { hasText: 'list.pdf' });
        await chat.waitFor({ timeout: 30000 });
        await chat.click();

        // The image is fetched with the token and decoded by the browser; audio and download appear once ready.
        await page.waitForFunction(() => [...document.querySelectorAll('#messages img.media')].some((i) => i.complete && i.naturalWidth === 2), null, { timeout: 30000 });
        await page.waitForSelector('#messages audio.media', { timeout: 30000 });
        const download = page.locator('#messages button.media.download', { hasText: 'list.pdf' });
        await download.waitFor({ timeout: 30000 });
        await page.screenshot({ path: path.join(kScreens, 'media-received-1280x800.png') });
        assert.deepEqual(await axeViolations(page), [], 'axe on the received files');
        const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
        assert.equal(file.suggestedFilename(), 'list.pdf');

        // A file from the picker, with the composer's text as its caption.
        await page.locator('#send-text').fill('here is our price list');
        await page.locator('#send-file').setInputFiles({ name: 'prices.png', mimeType: 'image/png', buffer: kPng });
        const got = await until('the phone opens the sent file', async () => {
            const inbox = (await sim.control('GET', `/accounts/${PAT}/inbox`)).body.messages;
            return inbox.find((m) => m.type === 'image' && m.media?.status === 'ok') || null;
        }, 30000);
        assert.equal(got.text, 'here is our price list');
        assert.equal(got.media.sha256, sha256(kPng));
        await page.waitForFunction(() => document.querySelectorAll('#messages li.mine img.media').length === 1, null, { timeout: 20000 });
        await page.screenshot({ path: path.join(kScreens, 'media-sent-1280x800.png') });
        assert.deepEqual(await axeViolations(page), [], 'axe on the sent file');
        assert.deepEqual(errors, []);
        assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
        await context.close();
    });
});
