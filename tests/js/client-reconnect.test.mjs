// The native client survives the server going away: it reports `reconnecting`, retries with
// backoff, and logs in again by itself (no QR) when the emulator is back on the same address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, startClient, tempDir, freePort } from './lib/client-harness.mjs';

test('reconnects with saved credentials after the server restarts', async () => {
  const simState = tempDir('wadesk-sim-');
  const clientState = tempDir('wadesk-client-');
  const listen = `127.0.0.1:${await freePort()}`;
  let sim = await startSim({ stateDir: simState.dir, listen });
  let client;
  try {
    const created = await sim.control('POST', '/accounts', { phone: '15550005555', name: 'Carol' });
    assert.equal(created.status, 201);
    client = startClient(sim, clientState.dir);
    const [, qr] = await client.waitFor(/^QR (\S+) \d+$/);
    assert.equal((await sim.control('POST', '/accounts/15550005555/scan', { qr })).status, 200);
    const [, jid] = await client.waitFor(/^CONNECTED (\S+) /);

    await sim.kill();
    await client.waitFor(/^STATUS reconnecting /);

    sim = await startSim({ stateDir: simState.dir, listen });
    const [, again] = await client.waitFor(/^CONNECTED (\S+) /, 20000);
    assert.equal(again, jid);
    assert.equal(client.lines.filter((l) => l.startsWith('QR ')).length, 1, 'no new QR after reconnecting');
  } finally {
    await client?.stop();
    await sim.close();
    simState.remove();
    clientState.remove();
  }
});
