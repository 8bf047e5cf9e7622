// The native C++ client (build/tests/wa-client-tool) links by pairing code against the real
// emulator: `paircode <phone>` -> companion_hello -> code; a wrong code typed on the emulated phone
// fails at companion_finish and links nothing; the right code -> primary_hello -> companion_finish
// -> pair-success keyed with the derived adv secret -> 515 -> connected; re-login without a code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, startClient, tempDir } from './lib/client-harness.mjs';

const PHONE = '15550004444';
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';
let sim;

before(async () => {
  sim = await startSim();
  const created = await sim.control('POST', '/accounts', { phone: PHONE, name: 'Code Shop' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});

after(async () => { await sim?.close(); });

async function outcome(timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await sim.control('GET', `/accounts/${PHONE}/pair-code`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (r.body.status !== 'waiting') return r.body;
    if (Date.now() > end) throw new Error('no pairing-code outcome');
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('bad phone numbers and unknown accounts are refused', async () => {
  const state = tempDir('wadesk-client-');
  const client = startClient(sim, state.dir);
  try {
    await client.waitFor(/^QR /);
    client.send('paircode 12ab');
    await client.waitFor(/^PAIRCODE_ERROR bad_phone$/);
    client.send('paircode 0555000444');
    await client.waitFor(/^PAIRCODE_ERROR bad_phone$/);
    client.send('paircode 19998887777');  // no such account at the emulator
    await client.waitFor(/^PAIRCODE_ERROR phone_not_registered$/);
  } finally {
    await client.stop();
    state.remove();
  }
});

test('links by pairing code; a wrong code links nothing; re-login needs no code', async () => {
  const state = tempDir('wadesk-client-');
  try {
    let client = startClient(sim, state.dir);
    await client.waitFor(/^QR /);
    client.send(`paircode ${PHONE}`);
    const [, code] = await client.waitFor(/^PAIRCODE (\S+)$/);
    assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/);

    const wrong = code.slice(0, 7) + ALPHABET[(ALPHABET.indexOf(code[7]) + 5) % ALPHABET.length];
    let r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code: wrong });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await outcome()).status, 'wrong_code');
    const none = await sim.control('GET', `/accounts/${PHONE}/devices`);
    assert.deepEqual(none.body.devices, []);
    assert.ok(!client.lines.some((l) => l.startsWith('PAIRED ') || /^STATUS (?!initializing|qr)/.test(l)),
      client.lines.join('\n'));

    r = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code: `${code.slice(0, 4)}-${code.slice(4)}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const done = await outcome();
    assert.equal(done.status, 'paired', JSON.stringify(done));
    const [, pairedJid] = await client.waitFor(/^PAIRED (\S+) (\S*)$/);
    assert.equal(pairedJid, `${PHONE}:${done.device_id}@s.whatsapp.net`);
    const [, jid, , name] = await client.waitFor(/^CONNECTED (\S+) (\S*) (.*)$/);
    assert.equal(jid, pairedJid);
    assert.equal(name, 'Code Shop');
    const devices = await sim.control('GET', `/accounts/${PHONE}/devices`);
    assert.equal(devices.body.devices.length, 1);
    assert.equal(devices.body.devices[0].online, true);
    await client.stop();

    client = startClient(sim, state.dir);
    const [, jid2] = await client.waitFor(/^CONNECTED (\S+) /);
    assert.equal(jid2, jid);
    assert.ok(!client.lines.some((l) => l.startsWith('QR ')), 'no QR on re-login');
    client.send(`paircode ${PHONE}`);
    await client.waitFor(/^PAIRCODE_ERROR session_not_pairing$/);
    await client.stop();
  } finally {
    state.remove();
  }
});
