// Two native clients (build/tests/wa-client-tool), each linked to its own emulator account,
// exchange 1:1 text through the emulator: usync, key fetch, pkmsg then msg, server acks and
// delivery receipts, in both directions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, startClient, tempDir } from './lib/client-harness.mjs';

let sim;
const clients = [];
const dirs = [];

async function link(phone, name) {
  const created = await sim.control('POST', '/accounts', { phone, name });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const state = tempDir('wadesk-client-');
  dirs.push(state);
  const client = startClient(sim, state.dir);
  clients.push(client);
  const [, qr] = await client.waitFor(/^QR (\S+) \d+$/);
  const scan = await sim.control('POST', `/accounts/${phone}/scan`, { qr });
  assert.equal(scan.status, 200, JSON.stringify(scan.body));
  const [, jid] = await client.waitFor(/^CONNECTED (\S+) /);
  return { client, jid, user: `${phone}@s.whatsapp.net` };
}

before(async () => { sim = await startSim(); });
after(async () => {
  for (const c of clients) await c.stop();
  for (const d of dirs) d.remove();
  await sim?.close();
});

test('two linked clients exchange text both ways through the emulator', async () => {
  const alice = await link('15550003333', 'Alice');
  const bob = await link('15550004444', 'Bob');

  alice.client.send(`send ${bob.user} hello bob`);
  const [, id1] = await alice.client.waitFor(/^SENT (3EB0[0-9A-F]{18})$/);
  const [, chat1, sender1, gotId1, text1] = await bob.client.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/);
  assert.equal(gotId1, id1);
  assert.equal(text1, 'hello bob');
  assert.ok(chat1 === alice.user || chat1.endsWith('@lid'), chat1);
  assert.ok(sender1.startsWith('15550003333:') || sender1.endsWith('@lid'), sender1);
  await alice.client.waitFor(new RegExp(`^ACK ${id1} 0$`));
  await alice.client.waitFor(new RegExp(`^RECEIPT \\S+ \\S+ ${id1}$`));

  bob.client.send(`send ${alice.user} hi alice`);
  const [, id2] = await bob.client.waitFor(/^SENT (3EB0[0-9A-F]{18})$/);
  const [, , , gotId2, text2] = await alice.client.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/);
  assert.equal(gotId2, id2);
  assert.equal(text2, 'hi alice');

  // A second message in the same direction rides the established session.
  alice.client.send(`send ${bob.user} second`);
  await alice.client.waitFor(/^SENT /);
  const [, , , , text3] = await bob.client.waitFor(/^MESSAGE (\S+) (\S+) (\S+) (.*)$/);
  assert.equal(text3, 'second');
});
