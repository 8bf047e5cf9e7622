// Media out (docs/api.md "Sending files"), through the real wadesk server (native engine) and the
// emulator: a manager sends an image and a PDF as multipart/form-data; wadesk keeps the file,
// encrypts it as WhatsApp does, uploads it to the media host media_conn names with its auth token
// and sends the media message; the contact's phone downloads, decrypts and verifies the same bytes.
// The stored message carries its media like an incoming one; clientMessageId makes a repeated
// upload answer the first message; bad bodies are clear 400s and a file over the limit is 413.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TestServer, backends, until } from './lib/server.mjs';
import { createAccounts, linkSession, simEnv, startSim } from './lib/client-harness.mjs';

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const bytesOf = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 17 + seed * 29 + (i >> 9)) & 0xff));
const MAX = 300000;

for (const backend of backends()) describe(backend, () => {
    const SHOP = backend === 'sqlite' ? '15550010001' : '15550010101';
    const PAT = backend === 'sqlite' ? '15550010002' : '15550010102';
    let sim, srv, token, sessionId, writerToken, readerToken;

    function send(tok, fields, { file, filename = 'f.bin', mime } = {}) {
        const form = new FormData();
        for (const [k, v] of Object.entries(fields)) form.append(k, v);
        if (file) form.append('file', new Blob([file], mime ? { type: mime } : {}), filename);
        return fetch(`${srv.baseUrl}/api/whatsapp/sessions/${sessionId}/chats/${PAT}/send`,
            { method: 'POST', headers: { authorization: `Bearer ${tok}` }, body: form })
            .then(async (r) => ({ status: r.status, json: await r.json().catch(() => null) }));
    }

    async function phoneGot(id) {
        return until(`the phone opens ${id}`, async () => {
            const inbox = (await sim.control('GET', `/accounts/${PAT}/inbox`)).body.messages;
            return inbox.find((m) => m.id === id && m.media) || null;
        }, 30000);
    }

    before(async () => {
        sim = await startSim();
        await createAccounts(sim, [[SHOP, 'Shop'], [PAT, 'Pat']]);
        srv = new TestServer({ backend, env: simEnv(sim, { WADESK_MEDIA_MAX_BYTES: String(MAX) }) });
        const company = await srv.createCompany({ name: `Out ${backend}` });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        ({ sessionId } = await linkSession(srv, sim, token, SHOP));
        for (const [who, canWrite] of [['writer', true], ['reader', false]]) {
            const m = await srv.ok(srv.post('/api/managers', token, { email: `${who}-${backend}@out.test`, password: 'a-long-password-1', name: who }), who);
            await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, token,
                { managerId: m.id, canRead: true, canWrite, canManageChats: false }), 'grant');
        }
        writerToken = await srv.login(`writer-${backend}@out.test`, 'a-long-password-1');
        readerToken = await srv.login(`reader-${backend}@out.test`, 'a-long-password-1');
    });

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    test('a manager sends an image and a PDF; the contact\'s phone decrypts the same bytes', async () => {
        const image = bytesOf(40000, 1);
        const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), bytesOf(70000, 2)]);
        const a = await send(writerToken, { message: 'our new shelf', clientMessageId: `img-${backend}` },
            { file: image, filename: 'shelf.png', mime: 'image/png' });
        assert.equal(a.status, 201, JSON.stringify(a.json));
        const sentImage = a.json.data;
        assert.equal(sentImage.type, 'image');
        assert.equal(sentImage.body, 'our new shelf');
        assert.equal(sentImage.fromMe, true);
        assert.deepEqual({ status: sentImage.media.status, sha256: sentImage.media.sha256, size: sentImage.media.size, mimetype: sentImage.media.mimetype },
            { status: 'ready', sha256: sha256(image), size: image.length, mimetype: 'image/png' });
        const b = await send(writerToken, { type: 'document' }, { file: pdf, filename: 'Angebot.pdf', mime: 'application/pdf' });
        assert.equal(b.status, 201, JSON.stringify(b.json));
        assert.equal(b.json.data.type, 'document');
        assert.equal(b.json.data.media.fileName, 'Angebot.pdf');

        const gotImage = await phoneGot(sentImage.waMessageId);
        assert.equal(gotImage.type, 'image');
        assert.equal(gotImage.text, 'our new shelf');
        assert.deepEqual({ status: gotImage.media.status, sha256: gotImage.media.sha256 }, { status: 'ok', sha256: sha256(image) });
        const gotPdf = await phoneGot(b.json.data.waMessageId);
        assert.deepEqual({ type: gotPdf.type, status: gotPdf.media.status, sha256: gotPdf.media.sha256, name: gotPdf.media.file_name },
            { type: 'document', status: 'ok', sha256: sha256(pdf), name: 'Angebot.pdf' });

        // Our own copy is served like an incoming file, and the message reaches "sent".
        const own = await fetch(srv.baseUrl + sentImage.media.url, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(own.status, 200);
        assert.equal(sha256(Buffer.from(await own.arrayBuffer())), sha256(image));
        await until('sent', async () => {
            const ev = await srv.allEvents(token);
            return ev.some((e) => e.name === 'whatsapp:message_status' && e.data.messageId === sentImage.id && e.data.status !== 'pending') ? ev : null;
        });

        // Idempotency: the same clientMessageId answers the first message and sends nothing new.
        const again = await send(writerToken, { message: 'our new shelf', clientMessageId: `img-${backend}` },
            { file: image, filename: 'shelf.png', mime: 'image/png' });
        assert.equal(again.status, 200);
        assert.equal(again.json.data.id, sentImage.id);
    });

    test('the type follows the MIME type (document when unknown) and voice notes go as ptt', async () => {
        const v = await send(writerToken, { type: 'voice' }, { file: bytesOf(3000, 3), filename: 'note.ogg', mime: 'audio/ogg' });
        assert.equal(v.status, 201, JSON.stringify(v.json));
        assert.equal(v.json.data.type, 'voice');
        const got = await phoneGot(v.json.data.waMessageId);
        assert.equal(got.type, 'voice');
        assert.equal(got.media.status, 'ok');
        const u = await send(writerToken, {}, { file: bytesOf(100, 4), filename: 'x.weird' });
        assert.equal(u.status, 201);
        assert.equal(u.json.data.type, 'document');
    });

    test('bad uploads are clear errors; rights hold', async () => {
        assert.equal((await send(writerToken, {}, { file: bytesOf(MAX + 1, 5), filename: 'big.bin' })).status, 413);
        const missing = await send(writerToken, { message: 'no file' });
        assert.equal(missing.status, 400);
        assert.equal(missing.json.error.code, 'missing_field');
        const badType = await send(writerToken, { type: 'hologram' }, { file: bytesOf(10, 6) });
        assert.equal(badType.status, 400);
        assert.equal((await send(writerToken, { nonsense: 'x' }, { file: bytesOf(10, 6) })).status, 400);
        const raw = await fetch(`${srv.baseUrl}/api/whatsapp/sessions/${sessionId}/chats/${PAT}/send`, {
            method: 'POST', headers: { authorization: `Bearer ${writerToken}`, 'content-type': 'multipart/form-data; boundary=Q' },
            body: '--Q\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nunterminated',
        });
        assert.equal(raw.status, 400);
        assert.equal((await raw.json()).error.code, 'invalid_multipart');
        assert.equal((await send(readerToken, {}, { file: bytesOf(10, 7), filename: 'a.txt' })).status, 403);
    });
});
