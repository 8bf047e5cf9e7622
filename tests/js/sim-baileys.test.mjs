// The emulator proven by an unmodified Baileys 7 (only its trust root swapped for the sim's root
// key): QR pairing, restart after 515, login, re-login without QR, conflict replacement (440),
// unlink from the phone (401) and refusal of unknown devices (401).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BaileysClient, SimProcess, cleanup, tempDir } from './lib/sim-harness.mjs';

const PHONE = '15550001111';

// Pairs a fresh Baileys auth dir with PHONE through a QR scan; returns the auth dir and the
// device the phone linked. Leaves no socket open.
async function pairNewDevice(sim) {
    const authDir = tempDir('wadesk-sim-auth-');
    const client = await new BaileysClient(sim, authDir).connect();
    const { qr } = await client.waitForQr();
    assert.match(qr, /^https:\/\/wa\.me\/settings\/linked_devices#2@[^,]+,[^,]+,[^,]+,[^,]+,1$/);
    const scan = await sim.control('POST', `/accounts/${PHONE}/scan`, { qr });
    assert.equal(scan.status, 200, JSON.stringify(scan.json));
    const closed = await client.waitForClose();
    assert.equal(closed.statusCode, 515, 'pairing ends with stream:error 515 (restart required)');
    await client.flushCreds();
    assert.equal(client.creds.me.id, `${PHONE}:${scan.json.device_id}@s.whatsapp.net`);
    assert.equal(client.creds.me.lid, scan.json.lid_jid);
    assert.equal(client.creds.me.name, 'Sim Phone', 'biz name from pair-success');
    return { authDir, scan: scan.json, qrClient: client };
}

describe('wadesk-sim with unmodified Baileys', () => {
    let sim;
    let account;
    const dirs = [];

    before(async () => {
        sim = await new SimProcess().start();
        account = await sim.createAccount(PHONE, 'Sim Phone');
        assert.match(account.lid, /^\d{15}$/);
    });
    after(async () => {
        const status = await sim.stop();
        for (const d of dirs) cleanup(d);
        assert.equal(status.code, 0, `sim exit ${JSON.stringify(status)}: ${sim.stderr}`);
    });

    test('QR pairing, 515 restart, login, re-login without QR', async () => {
        const { authDir, scan } = await pairNewDevice(sim);
        dirs.push(authDir);
        assert.equal(scan.device_id, 1);
        assert.equal(scan.jid, `${PHONE}:1@s.whatsapp.net`);
        assert.equal(scan.lid_jid, `${account.lid}:1@lid`);

        let devices = await sim.devices(PHONE);
        assert.equal(devices.length, 1);
        assert.equal(devices[0].id, 1);
        assert.equal(devices[0].key_index, 1);
        assert.equal(devices[0].platform, 'chrome');
        assert.equal(devices[0].online, false);

        // The app restarts the socket with the saved creds (Baileys does not do it itself).
        const second = await new BaileysClient(sim, authDir).connect();
        await second.waitForOpen();
        assert.equal(second.sawQr(), false);
        devices = await sim.devices(PHONE);
        assert.equal(devices[0].online, true);
        // Baileys uploaded its one-time prekeys and kept its account signature.
        assert.equal(second.creds.me.lid, `${account.lid}:1@lid`);
        await second.end();

        // Reconnect once more: straight to open, no QR.
        const third = await new BaileysClient(sim, authDir).connect();
        await third.waitForOpen();
        assert.equal(third.sawQr(), false);
        await third.end();
        devices = await sim.devices(PHONE);
        assert.equal(devices[0].online, false);
    });

    test('a second login of the same device replaces the first (440)', async () => {
        const { authDir } = await pairNewDevice(sim);
        dirs.push(authDir);
        const first = await new BaileysClient(sim, authDir).connect();
        await first.waitForOpen();
        const second = await new BaileysClient(sim, authDir).connect();
        await second.waitForOpen();
        const closed = await first.waitForClose();
        assert.equal(closed.statusCode, 440, 'connectionReplaced');
        assert.equal(second.updates.some((u) => u.connection === 'close'), false);
        await second.end();
    });

    test('unlinking from the phone logs the device out (401), and its next login fails (401)', async () => {
        const { authDir, scan } = await pairNewDevice(sim);
        dirs.push(authDir);
        const client = await new BaileysClient(sim, authDir).connect();
        await client.waitForOpen();

        const del = await sim.control('DELETE', `/accounts/${PHONE}/devices/${scan.device_id}`);
        assert.equal(del.status, 200);
        const closed = await client.waitForClose();
        assert.equal(closed.statusCode, 401, 'loggedOut');
        assert.equal((await sim.devices(PHONE)).some((d) => d.id === scan.device_id), false);

        const again = await new BaileysClient(sim, authDir).connect();
        const refused = await again.waitForClose();
        assert.equal(refused.statusCode, 401);
        assert.equal(again.sawQr(), false);
    });

    test('Baileys logout() removes the device on the sim', async () => {
        const { authDir, scan } = await pairNewDevice(sim);
        dirs.push(authDir);
        const client = await new BaileysClient(sim, authDir).connect();
        await client.waitForOpen();
        assert.equal((await sim.devices(PHONE)).some((d) => d.id === scan.device_id && d.online), true);
        await client.sock.logout();
        const closed = await client.waitForClose();
        assert.equal(closed.statusCode, 401);
        // The remove-companion-device IQ reaches the sim before or while the socket closes.
        let devices;
        for (let i = 0; i < 50; i++) {
            devices = await sim.devices(PHONE);
            if (!devices.some((d) => d.id === scan.device_id)) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(devices.some((d) => d.id === scan.device_id), false);
    });

    test('an unknown device is refused with 401', async () => {
        const authDir = tempDir('wadesk-sim-auth-');
        dirs.push(authDir);
        const client = await new BaileysClient(sim, authDir).connect({
            prepareCreds: (creds) => { creds.me = { id: `${PHONE}:77@s.whatsapp.net`, name: 'ghost' }; },
        });
        const closed = await client.waitForClose();
        assert.equal(closed.statusCode, 401);
        assert.equal(client.updates.some((u) => u.connection === 'open'), false);
    });

    test('a wrong noise key for a known device is refused with 401', async () => {
        const { authDir: paired, scan } = await pairNewDevice(sim);
        dirs.push(paired);
        const authDir = tempDir('wadesk-sim-auth-');
        dirs.push(authDir);
        const client = await new BaileysClient(sim, authDir).connect({
            prepareCreds: (creds) => { creds.me = { id: scan.jid, name: 'impostor' }; },
        });
        const closed = await client.waitForClose();
        assert.equal(closed.statusCode, 401);
    });
});

// Baileys leaves un-cleared timers behind (its 30 s prekey-upload race, 60 s timeouts of queries
// that were in flight when a socket was closed), which would keep this file's process alive for a
// minute after the last test. All assertions have run by now.
after(() => setTimeout(() => process.exit(), 1000).unref());
