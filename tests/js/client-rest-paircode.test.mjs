// Linking by pairing code through the REST API with the native engine against the emulator, and
// the master key failing loudly:
//   create session -> status qr -> POST .../pairing-code {phoneNumber} -> the emulated phone enters
//   the code -> connected with phoneNumber/displayName -> whatsapp:ready; bad input answered with
//   the error envelope; credentials sealed at rest (decrypted here with the master key to prove it)
//   and none of their secrets in API responses, events or logs; a restart with another
//   WADESK_MASTER_KEY exits non-zero with one clear line and leaves every credential row as it was;
//   the right key brings the session back connected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { TestServer, until } from './lib/server.mjs';
import { startSim } from './lib/client-harness.mjs';

const execFileP = promisify(execFile);
const PHONE = '15550006666';
let sim;
let srv;
let token;

before(async () => {
  sim = await startSim();
  assert.equal((await sim.control('POST', '/accounts', { phone: PHONE, name: 'Code Shop' })).status, 201);
  srv = new TestServer({
    backend: 'sqlite',
    env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
  });
  const company = await srv.createCompany({ name: 'Code Co' });
  await srv.start();
  token = await srv.login(company.adminEmail, company.adminPassword);
});

after(async () => {
  await srv?.stop();
  await sim?.close();
});

async function credentialRows() {
  const db = path.join(srv.dataDir, 'wadesk.db');
  const { stdout } = await execFileP('sqlite3', ['-readonly', db,
    'SELECT session_id, cred_key, CAST(cred_value AS TEXT), updated_at FROM wa_credentials ORDER BY session_id, cred_key']);
  return stdout.trim().split('\n').filter(Boolean).map((l) => {
    const [sessionId, key, value, updatedAt] = l.split('|');
    return { sessionId, key, value, updatedAt };
  });
}

// AES-256-GCM under SHA-256("wadesk wa credentials v1" || master key), AAD = session id 0x00 key.
function openCredential(masterKey, row) {
  const raw = Buffer.from(row.value, 'base64');
  const key = createHash('sha256').update('wadesk wa credentials v1').update(masterKey).digest();
  const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  d.setAAD(Buffer.concat([Buffer.from(row.sessionId), Buffer.from([0]), Buffer.from(row.key)]));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
}

// The secret fields of the credential blob ("WAC\1", then tag(1) len(4) value records).
function secretsOf(blob) {
  assert.equal(blob.subarray(0, 4).toString('latin1'), 'WAC\u0001');
  const secrets = {};
  const names = { 1: 'noisePriv', 3: 'identityPriv', 7: 'signedPreKeyPriv', 10: 'advSecret' };
  for (let pos = 4; pos < blob.length;) {
    const tag = blob[pos];
    const len = blob.readUInt32BE(pos + 1);
    const value = blob.subarray(pos + 5, pos + 5 + len);
    if (names[tag]) secrets[names[tag]] = value;
    pos += 5 + len;
  }
  assert.deepEqual(Object.keys(secrets).sort(), ['advSecret', 'identityPriv', 'noisePriv', 'signedPreKeyPriv']);
  return secrets;
}

test('pairing code through REST, then a wrong master key refuses to start and changes nothing', async () => {
  const events = [];
  const socket = io(srv.baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  socket.onAny((name, data) => events.push({ name, data }));
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const apiTexts = [];
  const api = async (p, what) => { const r = await srv.ok(p, what); apiTexts.push(JSON.stringify(r)); return r; };

  const created = await api(srv.post('/api/whatsapp/sessions', token, { name: 'by code' }), 'create session');
  const id = created.sessionId;
  await until('status qr', async () => (await api(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session')).status === 'qr');

  // Bad input gets the error envelope and asks WhatsApp nothing.
  const bad = async (body, status, code) => {
    const r = await srv.post(`/api/whatsapp/sessions/${id}/pairing-code`, token, body);
    assert.equal(r.status, status, JSON.stringify(r.json));
    assert.equal(r.json.error.code, code, JSON.stringify(r.json));
  };
  await bad({}, 400, 'missing_field');
  await bad({ phoneNumber: '12345' }, 400, 'invalid_field');
  await bad({ phoneNumber: '1555abc6666' }, 400, 'invalid_field');
  await bad({ phoneNumber: 15550006666 }, 400, 'invalid_field');
  await bad({ phoneNumber: PHONE, extra: 1 }, 400, 'unknown_field');
  await bad({ phoneNumber: '19990001111' }, 422, 'phone_not_registered');  // not an account at the emulator

  const asked = await api(srv.post(`/api/whatsapp/sessions/${id}/pairing-code`, token, { phoneNumber: `+${PHONE}` }), 'pairing code');
  assert.equal(asked.sessionId, id);
  assert.match(asked.pairingCode, /^[1-9A-HJ-NP-TV-Z]{8}$/);

  // The phone enters the code; the engine answers primary_hello and the phone signs the device.
  const entered = await sim.control('POST', `/accounts/${PHONE}/pair-code`, { code: asked.pairingCode });
  assert.equal(entered.status, 200, JSON.stringify(entered.body));
  const session = await until('connected', async () => {
    const s = await api(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'connected' ? s : null;
  });
  assert.equal(session.phoneNumber, PHONE);
  assert.equal(session.displayName, 'Code Shop');
  const ready = await until('whatsapp:ready', async () => events.find((e) => e.name === 'whatsapp:ready'));
  assert.deepEqual(ready.data, { ...ready.data, sessionId: id, phoneNumber: PHONE, displayName: 'Code Shop' });
  assert.match(srv.stderr, new RegExp(`\\[WhatsApp\\] Session ${id} authorized as ${PHONE}`));
  const outcome = await sim.control('GET', `/accounts/${PHONE}/pair-code`);
  assert.equal(outcome.body.status, 'paired');
  const devices = await sim.control('GET', `/accounts/${PHONE}/devices`);
  assert.equal(devices.body.devices.length, 1);

  // Linked now: another code is refused.
  await bad({ phoneNumber: PHONE }, 409, 'session_already_connected');
  socket.close();

  // At rest: every value is sealed under the master key; the secrets never leave.
  const masterKey = readFileSync(path.join(srv.dataDir, 'master-key'), 'utf8').trim();
  const rows = await credentialRows();
  assert.ok(rows.some((r) => r.sessionId === id && r.key === 'creds'), JSON.stringify(rows.map((r) => r.key)));
  assert.ok(rows.length > 10, 'Signal records are stored too');
  const plain = openCredential(masterKey, rows.find((r) => r.key === 'creds'));
  const secrets = secretsOf(plain);
  for (const r of rows) openCredential(masterKey, r);  // every row opens with the key (and only with it)
  const exposed = srv.stderr + srv.stdout + apiTexts.join('') + JSON.stringify(events);
  for (const [name, value] of Object.entries(secrets)) {
    for (const form of [value.toString('base64'), value.toString('hex'), value.toString('base64url')]) {
      assert.ok(!exposed.includes(form), `${name} appears in logs, API responses or events`);
    }
  }
  for (const r of rows) assert.ok(!exposed.includes(r.value), `sealed ${r.key} appears in logs, API or events`);
  assert.ok(!exposed.includes(plain.toString('base64')));

  // Restart with another master key: refused loudly, nothing touched.
  const before = await credentialRows();
  srv.extraEnv.WADESK_MASTER_KEY = 'f'.repeat(64);
  await srv.restart().then(
    () => assert.fail('wadesk started with the wrong master key'),
    (e) => assert.match(e.message, /exited before listening \(\{"code":1,"signal":null\}\)/, e.message));
  const lines = srv.stderr.trim().split('\n');
  const refusal = lines.filter((l) => /refusing to start/.test(l));
  assert.equal(refusal.length, 1, srv.stderr);
  assert.match(refusal[0], /^wadesk: refusing to start: the master key does not open the stored WhatsApp credentials/);
  assert.match(refusal[0], /WADESK_MASTER_KEY/);
  assert.match(refusal[0], /master-key/);
  assert.doesNotMatch(srv.stderr, /listening on/);
  assert.deepEqual(await credentialRows(), before, 'credential rows unchanged');
  assert.equal((await sim.control('GET', `/accounts/${PHONE}/devices`)).body.devices.length, 1, 'still linked');

  // The right key again (the master-key file): the session comes back connected, no new code or QR.
  delete srv.extraEnv.WADESK_MASTER_KEY;
  srv.proc = null;
  srv.exit = null;
  srv.stderr = '';
  await srv.start();
  const back = await until('connected after restart', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}`, token), 'session');
    return s.status === 'connected' ? s : null;
  });
  assert.equal(back.phoneNumber, PHONE);
  assert.doesNotMatch(srv.stderr, /QR code received/);
  assert.equal(openCredential(masterKey, (await credentialRows()).find((r) => r.key === 'creds')).length > 0, true);
});
