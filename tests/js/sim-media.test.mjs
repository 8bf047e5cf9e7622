// The emulator's media (docs/sim.md "Media"): an HTTPS media host with its own CA, phones that
// send image, voice note and document messages with their files on it, and phones that fetch,
// decrypt and verify what they receive (the inbox shows the plaintext's SHA-256).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';

import { SimProcess } from './lib/sim-harness.mjs';

const A = '15550101001';
const B = '15550101002';

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

function get(url, ca, headers = {}) {
    return new Promise((resolve, reject) => {
        https.get(url, { ca, headers }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
    });
}

async function inboxEntry(sim, phone, id) {
    for (let i = 0; i < 100; i++) {
        const r = await sim.control('GET', `/accounts/${phone}/inbox`);
        const hit = r.json.messages.find((m) => m.id === id);
        if (hit) return hit;
        await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`message ${id} never reached ${phone}`);
}

describe('wadesk-sim media', () => {
    let sim;
    before(async () => {
        sim = await new SimProcess().start();
        await sim.createAccount(A, 'Alice');
        await sim.createAccount(B, 'Bob');
    });
    after(async () => { await sim?.stop(); });

    test('the media host names its CA file; TLS verifies against it and only against it', async () => {
        const ca = readFileSync(sim.caFile, 'utf8');
        assert.match(ca, /BEGIN CERTIFICATE/);
        const r = await get(`https://${sim.mediaHost}/v/t62.7118-24/none.enc?oh=x&oe=y`, ca);
        assert.equal(r.status, 404);
        await assert.rejects(get(`https://${sim.mediaHost}/v/none.enc`, undefined), /self-signed|unable to verify|certificate/i);
    });

    for (const [type, extra] of [
        ['image', { mimetype: 'image/png', width: 4, height: 3, caption: 'a picture' }],
        ['ptt', { seconds: 7 }],
        ['document', { mimetype: 'application/pdf', file_name: 'report.pdf' }],
    ]) {
        test(`a phone sends a ${type}; the other phone downloads, decrypts and verifies it`, async () => {
            const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31 + type.length) & 0xff));
            const sent = await sim.control('POST', `/accounts/${A}/send-media`,
                { to: B, type, data_b64: data.toString('base64'), ...extra });
            assert.equal(sent.status, 200, JSON.stringify(sent.json));
            assert.equal(sent.json.sha256, sha256(data));
            const entry = await inboxEntry(sim, B, sent.json.id);
            assert.equal(entry.type, type === 'ptt' ? 'voice' : type);
            assert.deepEqual({ status: entry.media.status, sha256: entry.media.sha256, size: entry.media.size },
                { status: 'ok', sha256: sha256(data), size: data.length });
            if (extra.file_name) assert.equal(entry.media.file_name, 'report.pdf');
            if (extra.caption) assert.equal(entry.text, 'a picture');

            // The encrypted file is on the media host under its direct path, with Range.
            const ca = readFileSync(sim.caFile);
            const whole = await get(`https://${sim.mediaHost}${sent.json.direct_path}`, ca);
            assert.equal(whole.status, 200);
            assert.equal(sha256(whole.body), sent.json.enc_sha256);
            const part = await get(`https://${sim.mediaHost}${sent.json.direct_path}`, ca, { range: 'bytes=0-99' });
            assert.equal(part.status, 206);
            assert.deepEqual(part.body, whole.body.subarray(0, 100));
        });
    }

    test('an expired file answers 410 from the media host', async () => {
        const sent = await sim.control('POST', `/accounts/${A}/send-media`, { to: B, type: 'image', size: 300 });
        assert.equal(sent.status, 200);
        await inboxEntry(sim, B, sent.json.id);
        const ex = await sim.control('POST', '/media/expire', { direct_path: sent.json.direct_path });
        assert.equal(ex.status, 200);
        const r = await get(`https://${sim.mediaHost}${sent.json.direct_path}`, readFileSync(sim.caFile));
        assert.equal(r.status, 410);
        assert.equal((await sim.control('POST', '/media/expire', { direct_path: '/v/none.enc' })).status, 404);
    });

    test('the CLI sends a file from disk', async () => {
        const file = path.join(sim.stateDir, 'cli-doc.bin');
        const data = Buffer.from('a document from the command line');
        writeFileSync(file, data);
        const r = await sim.cli('send-media', '--phone', A, '--to', B, '--type', 'document', '--file', file,
            '--file-name', 'cli.txt', '--mimetype', 'text/plain');
        assert.equal(r.code, 0, JSON.stringify(r));
        assert.equal(r.json.sha256, sha256(data));
        const entry = await inboxEntry(sim, B, r.json.id);
        assert.deepEqual({ status: entry.media.status, sha256: entry.media.sha256, name: entry.media.file_name },
            { status: 'ok', sha256: sha256(data), name: 'cli.txt' });
    });

    test('bad media requests are refused', async () => {
        assert.equal((await sim.control('POST', `/accounts/${A}/send-media`, { to: B, type: 'hologram', size: 3 })).status, 400);
        assert.equal((await sim.control('POST', `/accounts/${A}/send-media`, { to: B, type: 'image' })).status, 400);
        assert.equal((await sim.control('POST', `/accounts/${A}/send-media`, { to: '19999999999', type: 'image', size: 3 })).status, 404);
    });
});
