// Media we send, opened by an unmodified Baileys: a manager sends an image and a PDF through
// wadesk; the contact's linked Baileys device receives the media messages and Baileys'
// downloadMediaMessage fetches them from the url we put in the message (the emulator's media
// host, trusted through NODE_EXTRA_CA_CERTS) and decrypts the same bytes. And the emulator's phone
// answers Baileys' media retry request: an image the media host no longer has (410) is re-uploaded
// by the phone on Baileys' updateMediaMessage, and the download of the new path yields its bytes.
// A multipart reply (quotedMessageId) reaches Baileys with its quote in the image's contextInfo.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestServer, until } from './lib/server.mjs';
import { createAccounts, linkSession, simEnv, startSim } from './lib/client-harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const SHOP = '15550011001';
const PAT = '15550011002';

describe('Baileys downloads what wadesk sends', () => {
    let sim, srv, token, sessionId, child, authDir;
    const lines = [];

    before(async () => {
        sim = await startSim();
        await createAccounts(sim, [[SHOP, 'Shop'], [PAT, 'Pat']]);
        authDir = mkdtempSync(path.join(tmpdir(), 'wadesk-baileys-media-'));
        child = spawn(process.execPath, [path.join(here, 'lib', 'baileys-media-child.mjs')], {
            env: { ...process.env, NODE_EXTRA_CA_CERTS: sim.caFile, SIM_ROOT_KEY: sim.rootKey, SIM_WS_URL: sim.wsUrl,
                SIM_CONTROL_URL: sim.controlUrl, SIM_MEDIA_HOST: sim.mediaHost, SIM_CA_FILE: sim.caFile, PHONE: PAT, AUTH_DIR: authDir },
            stdio: ['ignore', 'pipe', 'inherit'],
        });
        let buf = '';
        child.stdout.on('data', (d) => {
            buf += d;
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
                lines.push(buf.slice(0, nl));
                buf = buf.slice(nl + 1);
            }
        });
        await until('Baileys linked', async () => (lines.includes('READY') ? true : null), 30000);
        srv = new TestServer({ backend: 'sqlite', env: simEnv(sim) });
        const company = await srv.createCompany({ name: 'Baileys media' });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        ({ sessionId } = await linkSession(srv, sim, token, SHOP));
    });

    after(async () => {
        child?.kill('SIGTERM');
        await srv?.stop();
        await sim?.close();
        if (authDir) rmSync(authDir, { recursive: true, force: true });
    });

    test('downloadMediaMessage yields the bytes of an image and a PDF we sent', async () => {
        const files = [
            { data: Buffer.from(Array.from({ length: 25000 }, (_, i) => (i * 7) & 0xff)), name: 'p.png', mime: 'image/png' },
            { data: Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(33333, 0x41)]), name: 'offer.pdf', mime: 'application/pdf' },
        ];
        for (const f of files) {
            const form = new FormData();
            form.append('file', new Blob([f.data], { type: f.mime }), f.name);
            const r = await fetch(`${srv.baseUrl}/api/whatsapp/sessions/${sessionId}/chats/${PAT}/send`,
                { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
            assert.equal(r.status, 201);
            const { data } = await r.json();
            const got = await until(`Baileys opens ${data.waMessageId}`, async () => {
                const line = lines.find((l) => l.startsWith('{') && JSON.parse(l).id === data.waMessageId);
                return line ? JSON.parse(line) : null;
            }, 30000);
            assert.equal(got.error, undefined, got.error);
            assert.equal(got.sha256, sha256(f.data));
            assert.equal(got.size, f.data.length);
        }
    });

    test('a multipart reply carries its quote: Baileys sees stanzaId, participant and the quoted text', async () => {
        const asked = await sim.control('POST', `/accounts/${PAT}/send`, { to: SHOP, text: 'a photo of the red one?' });
        assert.equal(asked.status, 200, JSON.stringify(asked.body));
        const question = await until('the question stored', async () => {
            const chats = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=50`, token), 'chats')).items;
            const chat = chats.find((c) => c.jid === `${PAT}@s.whatsapp.net`);
            if (!chat) return null;
            const items = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=50`, token), 'messages')).items;
            return items.find((x) => x.waMessageId === asked.body.id) ?? null;
        }, 30000);
        const data = Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 3 + 1) & 0xff));
        const form = new FormData();
        form.append('file', new Blob([data], { type: 'image/png' }), 'red.png');
        form.append('message', 'here it is');
        form.append('quotedMessageId', question.id);
        const r = await fetch(`${srv.baseUrl}/api/whatsapp/sessions/${sessionId}/chats/${PAT}/send`,
            { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
        assert.equal(r.status, 201);
        const { data: sent } = await r.json();
        assert.equal(sent.quotedMessageId, question.id);
        const got = await until(`Baileys opens ${sent.waMessageId}`, async () => {
            const line = lines.find((l) => l.startsWith('{') && JSON.parse(l).id === sent.waMessageId);
            return line ? JSON.parse(line) : null;
        }, 30000);
        assert.equal(got.error, undefined, got.error);
        assert.equal(got.sha256, sha256(data));
        assert.deepEqual(got.quote, { stanzaId: asked.body.id, participant: `${PAT}@s.whatsapp.net`, text: 'a photo of the red one?' });
    });

    test('an expired image: Baileys\' updateMediaMessage gets a new path from the phone, then the bytes', async () => {
        const data = Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 13 + 5) & 0xff));
        const r = await sim.control('POST', `/accounts/${SHOP}/send-media`, { to: PAT, type: 'image', data_b64: data.toString('base64'), expired: true });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const got = await until(`Baileys opens ${r.body.id}`, async () => {
            const line = lines.find((l) => l.startsWith('{') && JSON.parse(l).id === r.body.id);
            return line ? JSON.parse(line) : null;
        }, 30000);
        assert.equal(got.error, undefined, got.error);
        assert.equal(got.reuploaded, true);
        assert.equal(got.sha256, sha256(data));
        assert.equal(got.size, data.length);
    });

    test('a file the phone lost too: Baileys\' updateMediaMessage fails with the phone\'s answer', async () => {
        const r = await sim.control('POST', `/accounts/${SHOP}/send-media`, { to: PAT, type: 'image', size: 3000, expired: true, lost: true });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const got = await until(`Baileys gives up on ${r.body.id}`, async () => {
            const line = lines.find((l) => l.startsWith('{') && JSON.parse(l).id === r.body.id);
            return line ? JSON.parse(line) : null;
        }, 30000);
        assert.match(got.error ?? '', /re-upload failed/i);
    });
});
