// The native C++ client (through build/tests/wa-client-tool) against the real emulator: QR
// pairing scanned by the emulated phone, 515 restart, login, re-login from saved credentials
// without a QR, and unlinking from the phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, startClient, tempDir } from './lib/client-harness.mjs';

const PHONE = '15550001111';
let sim;

before(async () => {
  sim = await startSim();
  const created = await sim.control('POST', '/accounts', { phone: PHONE, name: 'Alice Shop' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});

after(async () => { await sim?.close(); });

test('links by QR, logs in again without QR, and is logged out when unlinked from the phone', async () => {
  const state = tempDir('wadesk-client-');
  try {
    // First run: a QR, scanned by the phone, then pairing, the 515 restart and login.
    let client = startClient(sim, state.dir);
    const [, qr, ttl] = await client.waitFor(/^QR (\S+) (\d+)$/);
    assert.match(qr, /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+,[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},1$/);
    assert.equal(ttl, '60');
    const scan = await sim.control('POST', `/accounts/${PHONE}/scan`, { qr });
    assert.equal(scan.status, 200, JSON.stringify(scan.body));
    const [, pairedJid] = await client.waitFor(/^PAIRED (\S+) (\S*)$/);
    assert.equal(pairedJid, scan.body.jid);
    const [, jid, lid, name] = await client.waitFor(/^CONNECTED (\S+) (\S*) (.*)$/);
    assert.equal(jid, scan.body.jid);
    assert.ok(jid.startsWith(`${PHONE}:`), jid);
    assert.equal(lid, scan.body.lid_jid);
    assert.equal(name, 'Alice Shop');
    const devices = await sim.control('GET', `/accounts/${PHONE}/devices`);
    const device = devices.body.devices.find((d) => d.jid === jid);
    assert.ok(device, JSON.stringify(devices.body));
    assert.equal(device.online, true);
    assert.ok(client.lines.includes('STATUS connected -'), client.lines.join('\n'));
    await client.stop();
    assert.equal(client.exited.code, 0);
    assert.ok(client.lines.includes('STATUS disconnected stopped'), client.lines.join('\n'));

    // Second run: the saved credentials log in directly.
    client = startClient(sim, state.dir);
    const [, jid2] = await client.waitFor(/^CONNECTED (\S+) /);
    assert.equal(jid2, jid);
    assert.ok(!client.lines.some((l) => l.startsWith('QR ')), 'no QR on re-login');

    // Unlinked from the phone: logged out, credentials forgotten.
    const removed = await sim.control('DELETE', `/accounts/${PHONE}/devices/${device.id}`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    await client.waitFor(/^STATUS logged_out device_removed$/);
    await client.exit;
    assert.equal(client.exited.code, 0);

    // The next run starts pairing from scratch.
    client = startClient(sim, state.dir);
    await client.waitFor(/^QR /);
    await client.stop();
  } finally {
    state.remove();
  }
});

test('an unknown trust root is refused before anything is sent', async () => {
  const state = tempDir('wadesk-client-');
  try {
    const client = startClient({ ...sim, rootKey: '11'.repeat(32) }, state.dir);
    await client.waitFor(/^STATUS failed bad_certificate/);
    await client.exit;
    assert.ok(!client.lines.some((l) => l.startsWith('QR ')));
  } finally {
    state.remove();
  }
});

test('logout from the companion removes the device at the server', async () => {
  const phone = '15550006666';
  assert.equal((await sim.control('POST', '/accounts', { phone, name: 'Dan' })).status, 201);
  const state = tempDir('wadesk-client-');
  try {
    const client = startClient(sim, state.dir);
    const [, qr] = await client.waitFor(/^QR (\S+) \d+$/);
    assert.equal((await sim.control('POST', `/accounts/${phone}/scan`, { qr })).status, 200);
    const [, jid] = await client.waitFor(/^CONNECTED (\S+) /);
    client.send('logout');
    await client.waitFor(/^STATUS logged_out logout$/);
    await client.exit;
    // The server dropped the device: it is no longer listed for the account.
    let listed = true;
    for (let i = 0; i < 50 && listed; ++i) {
      const devices = await sim.control('GET', `/accounts/${phone}/devices`);
      listed = devices.body.devices.some((d) => d.jid === jid);
      if (listed) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(listed, false, 'device still registered after logout');
  } finally {
    state.remove();
  }
});
