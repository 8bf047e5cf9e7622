// A Baileys companion of one emulator account, run as its own Node process so that
// NODE_EXTRA_CA_CERTS (read only at start) makes Node trust the emulator's media-host CA; used by
// tests/js/media-baileys.test.mjs. Pairs through the emulator's control API, prints "READY", then
// for every received image or document prints one JSON line {id, sha256, size} of what Baileys'
// downloadMediaMessage returns (or {id, error}).
// Environment: SIM_ROOT_KEY, SIM_WS_URL, SIM_CONTROL_URL, PHONE, AUTH_DIR.
import { createHash } from 'node:crypto';

import { downloadMediaMessage } from 'baileys';

import { BaileysClient } from './sim-harness.mjs';

const env = process.env;
const sim = {
    rootKey: env.SIM_ROOT_KEY,
    wsUrl: env.SIM_WS_URL,
    async control(method, path, body) {
        const res = await fetch(env.SIM_CONTROL_URL + path, {
            method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, json: await res.json() };
    },
};

const pairing = await new BaileysClient(sim, env.AUTH_DIR).connect();
const { qr } = await pairing.waitForQr();
const scan = await sim.control('POST', `/accounts/${env.PHONE}/scan`, { qr });
if (scan.status !== 200) throw new Error(`scan: ${JSON.stringify(scan.json)}`);
await pairing.waitForClose();
await pairing.flushCreds();
const client = await new BaileysClient(sim, env.AUTH_DIR).connect();
await client.waitForOpen();
client.sock.ev.on('messages.upsert', async ({ messages }) => {
    for (const m of messages) {
        const content = m.message?.documentWithCaptionMessage?.message ?? m.message;
        if (!content?.imageMessage && !content?.documentMessage) continue;
        try {
            const bytes = await downloadMediaMessage(m, 'buffer', {});
            console.log(JSON.stringify({ id: m.key.id, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }));
        } catch (e) {
            console.log(JSON.stringify({ id: m.key.id, error: String(e?.message ?? e) }));
        }
    }
});
console.log('READY');
