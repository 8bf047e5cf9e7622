// 1:1 messaging through the sim between two unmodified Baileys companions on two accounts:
// usync + LID key fetch + Signal session set-up (pkmsg), then msg in both directions, server
// acks, delivery/read receipts routed back, and the offline queue.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BaileysClient, SimProcess, cleanup, pairAndOpen, tempDir } from './lib/sim-harness.mjs';

const ALICE = '15550005555';
const BOB = '15550006666';

// Resolves with the first incoming (not fromMe) message in `client` whose text matches.
function nextText(client, text, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message "${text}" arrived`)), timeoutMs);
        const onUpsert = ({ messages }) => {
            for (const m of messages) {
                const body = m.message?.conversation || m.message?.extendedTextMessage?.text;
                if (!m.key.fromMe && body === text) {
                    clearTimeout(timer);
                    client.sock.ev.off('messages.upsert', onUpsert);
                    resolve(m);
                }
            }
        };
        client.sock.ev.on('messages.upsert', onUpsert);
    });
}

function statusUpdate(client, id, minStatus, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no status >= ${minStatus} for ${id}`)), timeoutMs);
        const onUpdate = (updates) => {
            for (const u of updates) {
                if (u.key.id === id && (u.update.status ?? 0) >= minStatus) {
                    clearTimeout(timer);
                    client.sock.ev.off('messages.update', onUpdate);
                    resolve(u);
                }
            }
        };
        client.sock.ev.on('messages.update', onUpdate);
    });
}

describe('1:1 messaging between two Baileys companions through the sim', () => {
    let sim;
    let alice;
    let bob;
    const dirs = [];

    before(async () => {
        sim = await new SimProcess().start();
        await sim.createAccount(ALICE, 'Alice');
        await sim.createAccount(BOB, 'Bob');
        alice = await pairAndOpen(sim, ALICE);
        bob = await pairAndOpen(sim, BOB);
        dirs.push(alice.authDir, bob.authDir);
    });
    after(async () => {
        await alice?.client.end();
        await bob?.client.end();
        const status = await sim.stop();
        for (const d of dirs) cleanup(d);
        assert.equal(status.code, 0, sim.stderr);
    });

    test('text goes both ways, with receipts routed back to the sender', async () => {
        const arriving = nextText(bob.client, 'hello bob');
        const sent = await alice.client.sock.sendMessage(`${BOB}@s.whatsapp.net`, { text: 'hello bob' });
        const got = await arriving;
        assert.equal(got.key.id, sent.key.id);
        assert.equal(got.pushName, 'Alice');
        // Bob's companion confirms delivery; the sim routes the receipt to Alice (status >= 3).
        const read = statusUpdate(alice.client, sent.key.id, 3);
        await bob.client.sock.readMessages([got.key]);
        await read;

        const back = nextText(alice.client, 'hi alice');
        await bob.client.sock.sendMessage(got.key.remoteJid, { text: 'hi alice' });
        const reply = await back;
        assert.equal(reply.pushName, 'Bob');
    });

    test('messages for an offline device are queued and delivered at its next login', async () => {
        await bob.client.end();
        const sent = await alice.client.sock.sendMessage(`${BOB}@s.whatsapp.net`, { text: 'while you were away' });
        assert.ok(sent.key.id);
        const bobDevice = (await sim.devices(BOB))[0];
        assert.equal(bobDevice.online, false);
        const again = await new BaileysClient(sim, bob.authDir).connect();
        bob.client = again;
        const arriving = nextText(again, 'while you were away');
        await again.waitForOpen();
        const got = await arriving;
        assert.equal(got.key.id, sent.key.id);
    });
});

// Baileys leaves un-cleared timers behind; see sim-baileys.test.mjs.
after(() => setTimeout(() => process.exit(), 1000).unref());
