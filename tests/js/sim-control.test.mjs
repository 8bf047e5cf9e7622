// wadesk-sim as a process: CLI subcommands, persistence across restarts (with a Baileys login
// after the restart), and robustness against bad bytes from a client.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import WebSocket from 'ws';

import { BaileysClient, SimProcess, cleanup, tempDir } from './lib/sim-harness.mjs';

const PHONE = '15550004444';

function rawSocket(url) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'nodebuffer';
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
    });
}

function closed(ws) {
    return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
    });
}

describe('wadesk-sim process', () => {
    const dirs = [];
    after(() => { for (const d of dirs) cleanup(d); });

    test('CLI subcommands drive the control API', async () => {
        const sim = await new SimProcess().start();
        try {
            const created = await sim.cli('account-create', '--phone', PHONE, '--name', 'Four');
            assert.equal(created.code, 0);
            assert.equal(created.json.phone, PHONE);
            assert.match(created.json.lid, /^\d{15}$/);
            const dup = await sim.cli('account-create', '--phone', PHONE);
            assert.equal(dup.code, 1);
            assert.equal(dup.json.error.code, 'account_exists');
            const list = await sim.cli('accounts');
            assert.equal(list.json.accounts.length, 1);
            const devices = await sim.cli('devices', '--phone', PHONE);
            assert.deepEqual(devices.json.devices, []);
            const scan = await sim.cli('scan', '--phone', PHONE, '--qr', 'nonsense');
            assert.equal(scan.code, 1);
            assert.equal(scan.json.error.code, 'bad_qr');
            const unlink = await sim.cli('unlink', '--phone', PHONE, '--device', '3');
            assert.equal(unlink.code, 1);
            assert.equal(unlink.json.error.code, 'no_device');
        } finally {
            assert.equal((await sim.stop()).code, 0);
        }
    });

    test('bad bytes from a client close that connection and nothing else', async () => {
        const sim = await new SimProcess().start();
        try {
            const notWa = await rawSocket(sim.wsUrl);
            notWa.send(Buffer.from('hello, this is not WhatsApp'));
            await closed(notWa);

            const badHello = await rawSocket(sim.wsUrl);
            badHello.send(Buffer.from([0x57, 0x41, 0x06, 0x03, 0x00, 0x00, 0x03, 0xff, 0xff, 0xff]));
            await closed(badHello);

            const huge = await rawSocket(sim.wsUrl);
            huge.send(Buffer.from([0x57, 0x41, 0x06, 0x03, 0xff, 0xff, 0xff]));
            huge.send(Buffer.alloc(1000, 7));
            const gotClosed = await Promise.race([closed(huge).then(() => true),
                new Promise((r) => setTimeout(() => r(false), 3000))]);
            // A 16 MiB frame is legal; the sim waits for it. Closing from our side must be clean.
            if (!gotClosed) huge.close();

            const health = await sim.control('GET', '/health');
            assert.equal(health.status, 200);
            assert.equal(health.json.root_key, sim.rootKey);
            const notFound = await fetch(`http://${sim.wsUrl.slice(5).replace('/ws/chat', '/other')}`);
            assert.equal(notFound.status, 404);
        } finally {
            assert.equal((await sim.stop()).code, 0);
        }
    });

    test('accounts, devices and keys survive a restart; Baileys logs in after it', async () => {
        const stateDir = tempDir('wadesk-sim-state-');
        const authDir = tempDir('wadesk-sim-auth-');
        dirs.push(stateDir, authDir);
        let sim = await new SimProcess({ stateDir }).start();
        const rootKey = sim.rootKey;
        await sim.createAccount(PHONE, 'Four');
        const client = await new BaileysClient(sim, authDir).connect();
        const { qr } = await client.waitForQr();
        assert.equal((await sim.control('POST', `/accounts/${PHONE}/scan`, { qr })).status, 200);
        assert.equal((await client.waitForClose()).statusCode, 515);
        await client.flushCreds();
        assert.equal((await sim.stop()).code, 0);

        sim = await new SimProcess({ stateDir }).start();
        try {
            assert.equal(sim.rootKey, rootKey);
            const devices = await sim.devices(PHONE);
            assert.equal(devices.length, 1);
            const again = await new BaileysClient(sim, authDir).connect();
            await again.waitForOpen();
            assert.equal(again.sawQr(), false);
            await again.end();
        } finally {
            assert.equal((await sim.stop()).code, 0);
        }
    });
});

// Baileys leaves un-cleared timers behind; see sim-baileys.test.mjs.
after(() => setTimeout(() => process.exit(), 1000).unref());
