// A Baileys companion of one emulator account, run as its own Node process so that
// NODE_EXTRA_CA_CERTS (read only at start) makes Node trust the emulator's media-host CA; used by
// tests/js/media-baileys.test.mjs. Pairs through the emulator's control API, prints "READY", then
// for every received image or document prints one JSON line {id, sha256, size} of what Baileys'
// downloadMediaMessage returns (or {id, error}) and the quote its contextInfo carries, with `reuploaded: true` when the media host no
// longer had the file and Baileys' updateMediaMessage (the media retry request) got a new path from
// the phone; the download after it goes to Baileys' default host mmg.whatsapp.net, routed to the
// emulator's media host (mmg-dispatcher.mjs).
// Environment: SIM_ROOT_KEY, SIM_WS_URL, SIM_CONTROL_URL, SIM_MEDIA_HOST, SIM_CA_FILE, PHONE, AUTH_DIR.
import { createHash } from 'node:crypto';

import { downloadMediaMessage } from 'baileys';

import { mmgDispatcher } from './mmg-dispatcher.mjs';
import { BaileysClient } from './sim-harness.mjs';

const env = process.env;
const sim = {
    rootKey: env.SIM_ROOT_KEY,
    wsUrl: env.SIM_WS_URL,
    controlUrl: env.SIM_CONTROL_URL,
    mediaHost: env.SIM_MEDIA_HOST,
    caFile: env.SIM_CA_FILE,
    async control(method, path, body) {
        const res = await fetch(env.SIM_CONTROL_URL + path, {
            method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, json: await res.json() };
    },
};

const dispatcher = await mmgDispatcher(sim);
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
        // Baileys' downloadMediaMessage keys its own re-upload on error.status, which its Boom
        // errors do not carry: ask for the re-upload here on the HTTP status the host answered.
        let reuploaded = false;
        try {
            let bytes;
            try {
                bytes = await downloadMediaMessage(m, 'buffer', { options: { dispatcher } });
            } catch (e) {
                if (![404, 410].includes(e?.output?.statusCode)) throw e;
                reuploaded = true;
                const updated = await client.sock.updateMediaMessage(m);
                bytes = await downloadMediaMessage(updated, 'buffer', { options: { dispatcher } });
            }
            const media = content.imageMessage ?? content.documentMessage;
            const ctx = media.contextInfo;
            const quote = ctx?.stanzaId
                ? { stanzaId: ctx.stanzaId, participant: ctx.participant, text: ctx.quotedMessage?.conversation }
                : undefined;
            console.log(JSON.stringify({ id: m.key.id, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, reuploaded, quote }));
        } catch (e) {
            console.log(JSON.stringify({ id: m.key.id, error: String(e?.message ?? e) + (e?.cause ? ` (${e.cause.message ?? e.cause})` : '') }));
        }
    }
});
console.log('READY');
