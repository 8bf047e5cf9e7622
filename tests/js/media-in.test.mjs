// Media in (docs/api.md "Media"), through the real wadesk server (native engine) and the
// emulator: a contact's phone sends an image, a voice note and a document; wadesk stores each
// message at once with media status "pending", fetches media_conn, downloads the file from the
// media host it names (TLS trusted through WADESK_WA_CA_FILE), decrypts and verifies it, and
// re-emits the message as whatsapp:message_updated with status "ready". GET .../media serves the
// sender's exact bytes with Content-Type, Content-Disposition, ETag (If-None-Match → 304) and
// Range (206 / 416), under the message's read right only. A file over WADESK_MEDIA_MAX_BYTES is
// "too_large" and is not fetched. A file the media host no longer has (404/410) is asked of the
// phone (the media retry request): it uploads the file again and wadesk downloads the new path;
// a file the phone has lost too is "failed". The media key in a row's media reference is sealed at
// rest; a reference stored in clear (before sealing) is sealed at the next start and still opens.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TestServer, backends, until } from './lib/server.mjs';
import { createAccounts, linkSession, simEnv, startSim } from './lib/client-harness.mjs';

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const bytesOf = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 0xff));
const MAX = 200000;

for (const backend of backends()) describe(backend, () => {
    const SHOP = backend === 'sqlite' ? '15550008001' : '15550008101';
    const PAT = backend === 'sqlite' ? '15550008002' : '15550008102';
    let sim, srv, token, sessionId, company, other;

    async function rawGet(path, tok, headers = {}) {
        const res = await fetch(srv.baseUrl + path, { headers: { authorization: `Bearer ${tok}`, ...headers } });
        return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    }

    async function patChat() {
        return until('the contact\'s chat', async () => {
            const list = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=100`, token), 'chats')).items;
            return list.find((c) => c.jid === `${PAT}@s.whatsapp.net`) || null;
        });
    }

    async function messageWhen(waId, pred, what) {
        const chat = await patChat();
        return until(what, async () => {
            const items = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=200`, token), 'messages')).items;
            const m = items.find((x) => x.waMessageId === waId);
            return m && pred(m) ? m : null;
        }, 30000);
    }

    before(async () => {
        sim = await startSim();
        await createAccounts(sim, [[SHOP, 'Shop'], [PAT, 'Pat']]);
        srv = new TestServer({ backend, env: simEnv(sim, { WADESK_MEDIA_MAX_BYTES: String(MAX) }) });
        company = await srv.createCompany({ name: `Media ${backend}` });
        other = await srv.createCompany({ name: `Other ${backend}` });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
        ({ sessionId } = await linkSession(srv, sim, token, SHOP));
    });

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    const files = {
        image: { type: 'image', data: bytesOf(30000, 1), mimetype: 'image/png', width: 640, height: 480, caption: 'the shelf' },
        voice: { type: 'ptt', data: bytesOf(12000, 2), mimetype: 'audio/ogg; codecs=opus', seconds: 9 },
        document: { type: 'document', data: bytesOf(50001, 3), mimetype: 'application/pdf', file_name: 'Rechnung März.pdf' },
    };
    const sent = {};

    test('an image, a voice note and a document arrive and become ready with the sender\'s SHA-256', async () => {
        for (const [kind, f] of Object.entries(files)) {
            const { data, ...rest } = f;
            const r = await sim.control('POST', `/accounts/${PAT}/send-media`, { to: SHOP, data_b64: data.toString('base64'), ...rest });
            assert.equal(r.status, 200, JSON.stringify(r.body));
            sent[kind] = r.body;
        }
        for (const [kind, f] of Object.entries(files)) {
            const m = await messageWhen(sent[kind].id, (x) => x.media?.status === 'ready', `${kind} ready`);
            assert.equal(m.type, kind);
            assert.equal(m.media.sha256, sha256(f.data));
            assert.equal(m.media.sha256, sent[kind].sha256);
            assert.equal(m.media.size, f.data.length);
            assert.equal(m.media.mimetype, f.mimetype);
            assert.equal(m.media.url, `/api/whatsapp/sessions/${sessionId}/messages/${m.id}/media`);
            if (kind === 'image') {
                assert.deepEqual([m.media.width, m.media.height, m.body], [640, 480, 'the shelf']);
                assert.equal(m.media.duration, null);
            }
            if (kind === 'voice') assert.equal(m.media.duration, 9);
            if (kind === 'document') assert.equal(m.media.fileName, 'Rechnung März.pdf');

            const got = await rawGet(m.media.url, token);
            assert.equal(got.status, 200);
            assert.equal(sha256(got.body), sha256(f.data), `${kind}: the bytes the contact sent`);
            assert.equal(got.headers.get('content-type'), f.mimetype);
            assert.equal(got.headers.get('etag'), `"${sha256(f.data)}"`);
            assert.equal(got.headers.get('accept-ranges'), 'bytes');
        }
    });

    test('the message was stored pending first and re-emitted as whatsapp:message_updated when ready', async () => {
        const events = await srv.allEvents(token);
        const created = events.find((e) => e.name === 'whatsapp:message' && e.data.message?.waMessageId === sent.image.id);
        assert.ok(created, 'whatsapp:message for the image');
        assert.equal(created.data.message.media.status, 'pending');
        const updated = events.filter((e) => e.name === 'whatsapp:message_updated' && e.data.message?.waMessageId === sent.image.id);
        assert.ok(updated.length >= 1, 'message_updated for the image');
        const last = updated[updated.length - 1].data;
        assert.equal(last.sessionId, sessionId);
        assert.equal(last.chatId, (await patChat()).id);
        assert.equal(last.message.media.status, 'ready');
        assert.equal(last.message.media.sha256, sent.image.sha256);
    });

    test('Content-Disposition names the file; ETag answers 304; Range answers 206 and 416', async () => {
        const doc = await messageWhen(sent.document.id, (x) => x.media?.status === 'ready', 'document ready');
        const whole = files.document.data;
        const r = await rawGet(doc.media.url, token);
        const cd = r.headers.get('content-disposition');
        assert.match(cd, /^attachment; /);
        assert.match(cd, /filename\*=UTF-8''Rechnung%20M%C3%A4rz\.pdf/);
        const img = await messageWhen(sent.image.id, (x) => x.media?.status === 'ready', 'image ready');
        assert.match((await rawGet(img.media.url, token)).headers.get('content-disposition'), /^inline; /);

        const etag = r.headers.get('etag');
        const again = await rawGet(doc.media.url, token, { 'if-none-match': etag });
        assert.equal(again.status, 304);
        assert.equal(again.body.length, 0);
        assert.equal((await rawGet(doc.media.url, token, { 'if-none-match': '"other"' })).status, 200);

        const part = await rawGet(doc.media.url, token, { range: 'bytes=100-199' });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get('content-range'), `bytes 100-199/${whole.length}`);
        assert.deepEqual(part.body, whole.subarray(100, 200));
        const tail = await rawGet(doc.media.url, token, { range: 'bytes=-10' });
        assert.equal(tail.status, 206);
        assert.deepEqual(tail.body, whole.subarray(whole.length - 10));
        const open = await rawGet(doc.media.url, token, { range: 'bytes=50000-' });
        assert.deepEqual(open.body, whole.subarray(50000));
        for (const bad of [`bytes=${whole.length}-`, 'bytes=5-2', 'bytes=x-y', 'items=0-1', 'bytes=0-1,5-6']) {
            const res = await rawGet(doc.media.url, token, { range: bad });
            assert.equal(res.status, 416, bad);
            assert.equal(res.headers.get('content-range'), `bytes */${whole.length}`, bad);
        }
    });

    test('a manager without canRead, and another company, get 404 for the media URL', async () => {
        const img = await messageWhen(sent.image.id, (x) => x.media?.status === 'ready', 'image ready');
        const mgr = await srv.ok(srv.post('/api/managers', token, { email: `m-${backend}@media.test`, password: 'a-long-password-1', name: 'M' }), 'manager');
        const mgrToken = await srv.login(`m-${backend}@media.test`, 'a-long-password-1');
        const denied = await rawGet(img.media.url, mgrToken);
        assert.equal(denied.status, 404);
        assert.ok(!denied.body.includes(files.image.data.subarray(0, 64)), 'no bytes leak');
        assert.equal((await srv.post(`${img.media.url}/download`, mgrToken)).status, 404);
        const otherToken = await srv.login(other.adminEmail, other.adminPassword);
        assert.equal((await rawGet(img.media.url, otherToken)).status, 404);
        // With canRead the same manager gets the file.
        await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, token,
            { managerId: mgr.id, canRead: true, canWrite: false, canManageChats: false }), 'grant');
        const allowed = await until('the grant applies', async () => {
            const r = await rawGet(img.media.url, mgrToken);
            return r.status === 200 ? r : null;
        });
        assert.equal(sha256(allowed.body), sent.image.sha256);
        // Unknown ids are 404 too.
        assert.equal((await rawGet(`/api/whatsapp/sessions/${sessionId}/messages/00000000000000000000000000/media`, token)).status, 404);
    });

    const b64 = (hex) => Buffer.from(hex, 'hex').toString('base64');
    const mediaRefOf = async (id) => (await srv.querySql(`SELECT media_ref FROM wa_messages WHERE id = '${id}'`))[0][0];

    test('the media key of a stored reference is sealed at rest', async () => {
        const img = await messageWhen(sent.image.id, (x) => x.media?.status === 'ready', 'image ready');
        const ref = JSON.parse(await mediaRefOf(img.id));
        assert.equal(ref.mediaKey, undefined);
        assert.ok(ref.mediaKeySealed, 'a sealed key');
        assert.ok(!(await mediaRefOf(img.id)).includes(b64(sent.image.media_key)), 'the key is nowhere in clear');
        assert.equal(ref.waId, sent.image.id);
    });

    test('a reference stored with its key in clear is sealed at the next start and still downloads', async () => {
        const doc = await messageWhen(sent.document.id, (x) => x.media?.status === 'ready', 'document ready');
        const clear = JSON.stringify({ kind: 'document', directPath: sent.document.direct_path, mediaKey: b64(sent.document.media_key),
            fileSha256: b64(sent.document.sha256), fileEncSha256: b64(sent.document.enc_sha256), fileLength: files.document.data.length });
        await srv.execSql(`UPDATE wa_messages SET media_ref = '${clear}', media_status = 'failed', media_sha256 = '' WHERE id = '${doc.id}';`);
        await srv.restart();
        token = await srv.login(company.adminEmail, company.adminPassword);
        await until('the clear key sealed', async () => {
            const ref = JSON.parse(await mediaRefOf(doc.id));
            return ref.mediaKey === undefined && ref.mediaKeySealed ? true : null;
        }, 30000);
        assert.ok(!(await mediaRefOf(doc.id)).includes(b64(sent.document.media_key)));
        await until('the session is connected again', async () => {
            const s = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session'));
            return s.status === 'connected' ? s : null;
        }, 30000);
        const again = await srv.post(`/api/whatsapp/sessions/${sessionId}/messages/${doc.id}/media/download`, token);
        assert.equal(again.status, 202);
        const m = await messageWhen(sent.document.id, (x) => x.media?.status === 'ready', 'document ready again');
        assert.equal(m.media.sha256, sha256(files.document.data));
        assert.deepEqual((await rawGet(m.media.url, token)).body, files.document.data);
    });

    test('a file over WADESK_MEDIA_MAX_BYTES is too_large; asking again keeps it so', async () => {
        const r = await sim.control('POST', `/accounts/${PAT}/send-media`, { to: SHOP, type: 'document', size: MAX + 1, file_name: 'big.bin' });
        assert.equal(r.status, 200);
        const m = await messageWhen(r.body.id, (x) => x.media?.status === 'too_large', 'too_large');
        assert.equal(m.media.sha256, null);
        assert.equal((await rawGet(m.media.url, token)).status, 404);
        const again = await srv.post(`${m.media.url}/download`, token);
        assert.equal(again.status, 202);
        assert.equal(again.json.data.media.status, 'pending');
        await messageWhen(r.body.id, (x) => x.media?.status === 'too_large', 'too_large again');
    });

    test('a file the media host no longer has (410) is asked of the phone again and becomes ready', async () => {
        const data = bytesOf(2000, 4);
        const r = await sim.control('POST', `/accounts/${PAT}/send-media`, { to: SHOP, type: 'image', data_b64: data.toString('base64'), expired: true });
        assert.equal(r.status, 200);
        const m = await messageWhen(r.body.id, (x) => x.media?.status === 'ready', 'ready after the media retry');
        assert.equal(m.media.sha256, sha256(data));
        const got = await rawGet(m.media.url, token);
        assert.equal(got.status, 200);
        assert.deepEqual(got.body, data);
        // The original path still answers 410: the bytes came from the phone's new upload.
        const events = await srv.allEvents(token);
        assert.ok(events.some((e) => e.name === 'whatsapp:message_updated' && e.data.message?.waMessageId === r.body.id
            && e.data.message.media.status === 'ready'), 'message_updated ready');
    });

    test('a file the media host answers 404 for is fetched through the phone too', async () => {
        // WhatsApp answers 404 or 410 for a file it no longer keeps; either starts a media retry.
        const data = bytesOf(3000, 5);
        const r = await sim.control('POST', `/accounts/${PAT}/send-media`, { to: SHOP, type: 'document', data_b64: data.toString('base64'), file_name: 'late.bin', expired: true });
        assert.equal(r.status, 200);
        const ex = await sim.control('POST', '/media/expire', { direct_path: r.body.direct_path, status: 404 });
        assert.equal(ex.status, 200, JSON.stringify(ex.body));
        const m = await messageWhen(r.body.id, (x) => x.media?.status === 'ready', 'ready after a 404');
        assert.equal(m.media.sha256, sha256(data));
        assert.deepEqual((await rawGet(m.media.url, token)).body, data);
    });

    test('a file the phone no longer has either is failed; asking again tries again', async () => {
        const r = await sim.control('POST', `/accounts/${PAT}/send-media`, { to: SHOP, type: 'image', size: 2000, expired: true, lost: true });
        assert.equal(r.status, 200);
        const m = await messageWhen(r.body.id, (x) => x.media?.status === 'failed', 'failed');
        assert.equal(m.media.sha256, null);
        assert.equal((await rawGet(m.media.url, token)).status, 404);
        const again = await srv.post(`${m.media.url}/download`, token);
        assert.equal(again.status, 202);
        assert.equal(again.json.data.media.status, 'pending');
        await messageWhen(r.body.id, (x) => x.media?.status === 'failed', 'failed again');
        // A ready file is not fetched again.
        const ready = await messageWhen(sent.voice.id, (x) => x.media?.status === 'ready', 'voice ready');
        const same = await srv.post(`${ready.media.url}/download`, token);
        assert.equal(same.status, 202);
        assert.equal(same.json.data.media.status, 'ready');
    });
});
