// Linking by pairing code (wa-protocol §5.2) proven by an unmodified Baileys 7: Baileys asks for a
// code (companion_hello), the emulated phone enters it through the control API / CLI
// (primary_hello), Baileys answers with companion_finish, the phone signs the device identity
// with the adv secret both sides derived, and Baileys reaches `open` after the 515 restart.
// A wrong code fails at companion_finish (the key bundle does not decrypt) and links nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BaileysClient, SimProcess, cleanup, tempDir } from './lib/sim-harness.mjs';

const PHONE = '15550002222';
const OTHER = '15550003333';
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';

async function waitOutcome(sim, phone, timeoutMs = 15000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
        const r = await sim.control('GET', `/accounts/${phone}/pair-code`);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        if (r.json.status !== 'waiting') return r.json;
        if (Date.now() > end) throw new Error('pairing-code outcome did not arrive');
        await new Promise((res) => setTimeout(res, 100));
    }
}

describe('wadesk-sim pairing code with unmodified Baileys', () => {
    let sim;
    let account;
    const dirs = [];

    before(async () => {
        sim = await new SimProcess().start();
        account = await sim.createAccount(PHONE, 'Code Phone');
        await sim.createAccount(OTHER, 'Other Phone');
    });
    after(async () => {
        const status = await sim.stop();
        for (const d of dirs) cleanup(d);
        assert.equal(status.code, 0, `sim exit ${JSON.stringify(status)}: ${sim.stderr}`);
    });

    test('refusals before any companion asked', async () => {
        let r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code: 'ABCD1234' });
        assert.equal(r.status, 404);
        assert.equal(r.json.error.code, 'no_waiting_device');
        r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code: 'ABC' });
        assert.equal(r.status, 400);
        assert.equal(r.json.error.code, 'bad_code');
        r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code: 'ABCD123I' });
        assert.equal(r.status, 400, 'I is not in the alphabet');
        r = await sim.control('POST', '/accounts/19999999999/pair-code', { code: 'ABCD1234' });
        assert.equal(r.status, 404);
        assert.equal(r.json.error.code, 'no_account');
        r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, {});
        assert.equal(r.status, 400);
        r = await sim.control('GET', `/accounts/${PHONE}/pair-code`);
        assert.equal(r.status, 404);
    });

    test('wrong code fails, right code links, Baileys opens and logs in again without a code', async () => {
        const authDir = tempDir('wadesk-sim-auth-');
        dirs.push(authDir);
        const client = await new BaileysClient(sim, authDir).connect();
        await client.waitForQr();
        const code = await client.sock.requestPairingCode(PHONE);
        assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/);

        // Another account's phone has nobody waiting for it.
        let r = await sim.control('POST', `/accounts/${OTHER}/pair-code`, { code });
        assert.equal(r.status, 404);
        assert.equal(r.json.error.code, 'no_waiting_device');

        // A wrong (but well-formed) code: the phone sends primary_hello, Baileys answers with
        // companion_finish, and the bundle does not open.
        const wrong = code.slice(0, 7) + ALPHABET[(ALPHABET.indexOf(code[7]) + 1) % ALPHABET.length];
        r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code: wrong });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.equal(r.json.status, 'waiting');
        const failed = await waitOutcome(sim, PHONE);
        assert.equal(failed.status, 'wrong_code', JSON.stringify(failed));
        assert.equal((await sim.devices(PHONE)).length, 0);
        assert.equal(client.updates.some((u) => u.connection === 'close'), false, 'Baileys is still waiting');

        // The right code, typed the way the phone shows it (lower case, with a dash), via the CLI.
        const typed = `${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase();
        const cli = await sim.cli('pair-code', '--phone', PHONE, '--code', typed);
        assert.equal(cli.code, 0, JSON.stringify(cli));
        assert.equal(cli.json.status, 'paired');
        assert.equal(cli.json.device_id, 1);

        const closed = await client.waitForClose();
        assert.equal(closed.statusCode, 515, 'pairing ends with stream:error 515');
        await client.flushCreds();
        assert.equal(client.creds.me.id, `${PHONE}:1@s.whatsapp.net`);
        assert.equal(client.creds.me.lid, `${account.lid}:1@lid`);
        assert.equal(client.creds.me.name, 'Code Phone');
        const devices = await sim.devices(PHONE);
        assert.equal(devices.length, 1);
        assert.equal(devices[0].platform, 'chrome');

        const second = await new BaileysClient(sim, authDir).connect();
        await second.waitForOpen();
        assert.equal(second.sawQr(), false);
        assert.equal((await sim.devices(PHONE))[0].online, true);
        await second.end();

        // The code is spent: entering it again finds nobody waiting.
        r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code });
        assert.equal(r.status, 404);
    });
});
