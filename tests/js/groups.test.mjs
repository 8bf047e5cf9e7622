// WhatsApp groups end to end through the real wadesk server (native engine), the emulator's phones
// and an unmodified Baileys companion as members: a group message (sender key distributed pairwise
// in the same stanza, then the skmsg) is stored in the group's chat with its sender; a Baileys
// member's message too; a message whose sender key did not arrive is stored as undecryptable,
// answered with a retry receipt naming the sender device, and replaced by the resend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, until } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';
import { BaileysClient, cleanup, tempDir } from './lib/sim-harness.mjs';

const SHOP = '15550008001';   // the wadesk account
const ALICE = '15550008002';  // a phone, the group's creator
const BOB = '15550008003';    // a phone with a Baileys companion

let sim;
let srv;
let token;
let sessionId;
let shopDevice;
let bob;
let bobAuth;
let gid;
let shopLidDevice;  // wadesk's device in the group's (LID) domain
const lids = {};

async function groupChat() {
  const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
  return page.items.find((c) => c.jid === gid);
}

async function groupMessages() {
  const chat = await groupChat();
  if (!chat) return [];
  const list = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=200`, token), 'messages');
  return list.items;
}

before(async () => {
  sim = await startSim();
  for (const [phone, name] of [[SHOP, 'Shop'], [ALICE, 'Alice'], [BOB, 'Bob']]) {
    const r = await sim.control('POST', '/accounts', { phone, name });
    assert.equal(r.status, 201);
    lids[phone] = r.body.lid;
  }
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  const company = await srv.createCompany({ name: 'Groups Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);
  ({ sessionId, device: shopDevice } = await linkSession(srv, sim, token, SHOP));
  shopLidDevice = shopDevice.replace(`${SHOP}:`, `${lids[SHOP]}:`).replace('@s.whatsapp.net', '@lid');

  // Bob's Baileys companion.
  bobAuth = tempDir('wadesk-groups-bob-');
  const simLike = { rootKey: sim.rootKey, wsUrl: sim.wsUrl };
  const pairing = await new BaileysClient(simLike, bobAuth).connect();
  const { qr } = await pairing.waitForQr();
  assert.equal((await sim.control('POST', `/accounts/${BOB}/scan`, { qr })).status, 200);
  assert.equal((await pairing.waitForClose()).statusCode, 515);
  await pairing.flushCreds();
  bob = await new BaileysClient(simLike, bobAuth).connect();
  await bob.waitForOpen();
  await bob.waitFor((u) => u.receivedPendingNotifications === true, 'offline flush');

  const created = await sim.control('POST', `/accounts/${ALICE}/groups`, { subject: 'Order 7781', participants: [SHOP, BOB] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  gid = created.body.id;
});

after(async () => {
  await bob?.end();
  if (bobAuth) cleanup(bobAuth);
  await srv?.stop();
  await sim?.close();
});

test("a member phone's group message is stored in the group's chat with its sender", async () => {
  const sent = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'the parts ship Monday', id: 'GRP0001' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.ok(sent.body.devices.includes(shopLidDevice), `the sender key went to wadesk's device: ${JSON.stringify(sent.body.devices)}`);
  const stored = await until('stored', async () => (await groupMessages()).find((m) => m.waMessageId === 'GRP0001'));
  assert.equal(stored.type, 'text');
  assert.equal(stored.body, 'the parts ship Monday');
  assert.equal(stored.fromMe, false);
  assert.deepEqual(stored.sender, { jid: `${ALICE}@s.whatsapp.net`, phone: ALICE, lid: `${lids[ALICE]}@lid`, name: 'Alice' });
  const chat = await groupChat();
  assert.equal(chat.isGroup, true);
  // Delivered: Alice's phone got a receipt from wadesk's device for it.
  await until('the group delivery receipt', async () => {
    const r = (await sim.control('GET', `/accounts/${ALICE}/receipts`)).body.receipts;
    return r.find((x) => x.id === 'GRP0001' && x.from === shopLidDevice);
  });
  // The next one is a bare skmsg under the same key.
  await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'tracking follows', id: 'GRP0002' });
  await until('second stored', async () => (await groupMessages()).find((m) => m.waMessageId === 'GRP0002'));
});

test("a Baileys member's group message is stored with its sender", async () => {
  const sent = await bob.sock.sendMessage(gid, { text: 'can we get it Friday?' });
  const stored = await until('stored', async () => (await groupMessages()).find((m) => m.waMessageId === sent.key.id));
  assert.equal(stored.body, 'can we get it Friday?');
  assert.equal(stored.sender.phone, BOB);
  assert.equal(stored.sender.lid, `${lids[BOB]}@lid`);
});

test('a message whose sender key is missing is stored as undecryptable, retried and replaced', async () => {
  // The distribution of Alice's next key to wadesk breaks on the way.
  assert.equal((await sim.control('POST', `/accounts/${ALICE}/break-next`, { to: shopLidDevice })).status, 200);
  // Bob leaves: Alice's phone starts a new sender key, sent again to wadesk (broken).
  assert.equal((await sim.control('POST', `/accounts/${BOB}/groups/${gid}/leave`)).status, 200);
  const sent = await sim.control('POST', `/accounts/${ALICE}/groups/${gid}/send`, { text: 'new key, same group', id: 'GRP0003' });
  assert.ok(sent.body.devices.includes(shopLidDevice));
  const healed = await until('the resend stored', async () => {
    const m = (await groupMessages()).filter((x) => x.waMessageId === 'GRP0003');
    return m.length === 1 && m[0].type === 'text' ? m[0] : null;
  });
  assert.equal(healed.body, 'new key, same group');
  const retries = (await sim.control('GET', `/accounts/${ALICE}/receipts`)).body.receipts
    .filter((r) => r.id === 'GRP0003' && r.type === 'retry');
  assert.ok(retries.length >= 1 && retries[0].from === shopLidDevice, JSON.stringify(retries));
});
