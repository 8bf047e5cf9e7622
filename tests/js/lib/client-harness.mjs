// Process helpers for the native-client tests: the emulator (wadesk-sim) and the client driver
// (build/tests/wa-client-tool), both line-oriented on stdout.
// Binaries: $WADESK_SIM_BIN (default <build>/wadesk-sim) and <build>/tests/wa-client-tool, where
// <build> is $WADESK_BUILD_DIR or <repo>/build.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { until } from './server.mjs';
import { diesWithSuite } from './children.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const buildDir = () => (process.env.WADESK_BUILD_DIR ? resolve(process.env.WADESK_BUILD_DIR) : join(repo, 'build'));
export const simBin = () => (process.env.WADESK_SIM_BIN ? resolve(process.env.WADESK_SIM_BIN) : join(buildDir(), 'wadesk-sim'));
export const clientToolBin = () => join(buildDir(), 'tests', 'wa-client-tool');

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// A child process whose stdout lines can be awaited by pattern, in order.
export class LineProcess {
  constructor(bin, args, name) {
    if (!existsSync(bin)) throw new Error(`${name} not found at ${bin}`);
    this.name = name;
    this.lines = [];
    this.cursor = 0;
    this.waiters = [];
    this.stderr = '';
    this.proc = diesWithSuite(spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    this.exit = new Promise((r) => this.proc.once('exit', (code, signal) => { this.exited = { code, signal }; r(this.exited); this.#wake(); }));
    createInterface({ input: this.proc.stdout }).on('line', (line) => { this.lines.push(line); this.#wake(); });
    this.proc.stderr.on('data', (d) => { this.stderr += d.toString(); });
  }

  #wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  // The next line (after the previous match) matching `re`; rejects on timeout or exit.
  async waitFor(re, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.lines.length) {
        const line = this.lines[this.cursor++];
        const m = line.match(re);
        if (m) return m;
      }
      if (this.exited) throw new Error(`${this.name} exited (${JSON.stringify(this.exited)}) before ${re}; output:\n${this.lines.join('\n')}\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${re}; output:\n${this.lines.join('\n')}\n${this.stderr}`);
      await new Promise((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  send(line) { this.proc.stdin.write(line + '\n'); }

  async stop(signal = 'SIGTERM') {
    if (!this.exited) this.proc.kill(signal);
    return this.exit;
  }
}

// Starts the emulator. `stateDir` keeps its state across restarts (the caller removes it);
// `listen` fixes the websocket address (default: any free port).
export async function startSim({ stateDir, listen } = {}) {
  const state = stateDir ? { dir: stateDir, remove: () => {} } : tempDir('wadesk-sim-');
  const args = ['serve', '--state', state.dir, '--log-level', 'warn'];
  if (listen) args.push('--listen', listen);
  const sim = new LineProcess(simBin(), args, 'wadesk-sim');
  const [, rootKey] = await sim.waitFor(/^root-key ([0-9a-f]{64})$/);
  const [, wsUrl] = await sim.waitFor(/^listening on (ws:\/\/\S+)$/);
  const [, controlUrl] = await sim.waitFor(/^control on (http:\/\/\S+)$/);
  const [, mediaHost, caFile] = await sim.waitFor(/^media on https:\/\/(\S+) ca (.+)$/);
  const control = async (method, path, body) => {
    const res = await fetch(controlUrl + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    rootKey, wsUrl, controlUrl, control, mediaHost, caFile,
    async close() { await sim.stop(); state.remove(); },
    async kill() { await sim.stop('SIGKILL'); },
  };
}

// The environment of a wadesk serve that talks to `sim` with the native engine and trusts its
// media host's CA; `extra` adds or overrides variables.
export function simEnv(sim, extra = {}) {
  return { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey,
    WADESK_WA_CA_FILE: sim.caFile, ...extra };
}

// Creates emulator accounts: [[phone, name], ...]; throws unless each is created.
export async function createAccounts(sim, accounts) {
  for (const [phone, name] of accounts) {
    const r = await sim.control('POST', '/accounts', { phone, name });
    if (r.status !== 201) throw new Error(`account ${phone}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

// Links the emulator account `phone` to a new wadesk session by QR, as an admin would: creates the
// session, scans its QR with the emulated phone and waits for "connected". Returns
// { sessionId, device } (device: the linked companion's JID at the emulator).
// Creates a session (with its `history` setting when given), scans its QR at `phone` and waits for it to
// be connected.
export async function linkSession(srv, sim, token, phone, name = 'shop', { history } = {}) {
  const created = await srv.ok(srv.post('/api/whatsapp/sessions', token, history ? { name, history } : { name }),
    'create session');
  const sessionId = created.sessionId;
  const qr = await until('a QR', async () => {
    const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/qr`, token), 'qr');
    return r.qr ? r : null;
  });
  const scan = await sim.control('POST', `/accounts/${phone}/scan`, { qr: qr.qr });
  if (scan.status !== 200) throw new Error(`scan answered ${scan.status}: ${JSON.stringify(scan.body)}`);
  await until('connected', async () => {
    const s = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session');
    return s.status === 'connected' ? s : null;
  });
  const devices = (await sim.control('GET', `/accounts/${phone}/devices`)).body.devices;
  return { sessionId, device: devices.find((d) => d.id !== 0).jid };
}

export function startClient(sim, stateDir) {
  return new LineProcess(clientToolBin(),
    ['link', '--url', sim.wsUrl, '--trust-root', sim.rootKey, '--state', stateDir], 'wa-client-tool');
}

// A TCP port that was free a moment ago.
export async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
