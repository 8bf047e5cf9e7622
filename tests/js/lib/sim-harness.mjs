// Harness for the emulator suites: runs the real wadesk-sim binary on free loopback ports with a
// temporary state directory, talks to its control API over real HTTP, and drives unmodified
// Baileys sockets against it (only Baileys' Noise trust root is swapped for the sim's root key).
//
// Environment:
//   WADESK_SIM_BIN   path of the wadesk-sim binary (default: build/wadesk-sim of the repository)
//   WADESK_SIM_LOG   sim log level (default "warn"); sim stderr is echoed when not "off"
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import makeWASocket, { Browsers, WA_CERT_DETAILS, useMultiFileAuthState } from 'baileys';
import pino from 'pino';
import { diesWithSuite } from './children.mjs';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');

export function simBin() {
    return process.env.WADESK_SIM_BIN || path.join(repoRoot, 'build', 'wadesk-sim');
}

export function tempDir(prefix) {
    return mkdtempSync(path.join(tmpdir(), prefix));
}

export class SimProcess {
    constructor({ stateDir } = {}) {
        this.ownsState = !stateDir;
        this.stateDir = stateDir || tempDir('wadesk-sim-state-');
        this.stderr = '';
    }

    async start() {
        const level = process.env.WADESK_SIM_LOG || 'warn';
        this.proc = diesWithSuite(spawn(simBin(), ['serve', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0',
            '--state', this.stateDir, '--log-level', level === 'off' ? 'warn' : level],
            { stdio: ['ignore', 'pipe', 'pipe'] }));
        this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
        this.proc.stderr.on('data', (d) => {
            this.stderr += d;
            if (process.env.WADESK_SIM_LOG && process.env.WADESK_SIM_LOG !== 'off') process.stderr.write(d);
        });
        let out = '';
        await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`wadesk-sim did not start: ${out}${this.stderr}`)), 15000);
            this.proc.on('exit', (code) => {
                clearTimeout(timer);
                reject(new Error(`wadesk-sim exited early (${code}): ${this.stderr}`));
            });
            this.proc.stdout.on('data', (d) => {
                out += d;
                const root = out.match(/^root-key ([0-9a-f]{64})$/m);
                const ws = out.match(/^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/ws\/chat)$/m);
                const ctl = out.match(/^control on http:\/\/(127\.0\.0\.1:\d+)$/m);
                const media = out.match(/^media on https:\/\/(127\.0\.0\.1:\d+) ca (.+)$/m);
                if (root && ws && ctl && media) {
                    clearTimeout(timer);
                    this.rootKey = root[1];
                    this.wsUrl = ws[1];
                    this.controlAddr = ctl[1];
                    this.mediaHost = media[1];
                    this.caFile = media[2];
                    resolve();
                }
            });
        });
        return this;
    }

    // Stops the sim with SIGTERM; resolves to its exit status. Removes the state dir it created
    // unless keepState.
    async stop({ keepState = false } = {}) {
        if (!this.proc) return null;
        if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
        const status = await this.exited;
        this.proc = null;
        if (this.ownsState && !keepState) rmSync(this.stateDir, { recursive: true, force: true });
        return status;
    }

    async control(method, route, body) {
        const res = await fetch(`http://${this.controlAddr}${route}`, {
            method,
            headers: body ? { 'content-type': 'application/json' } : {},
            body: body ? JSON.stringify(body) : undefined,
        });
        const text = await res.text();
        return { status: res.status, json: text ? JSON.parse(text) : null };
    }

    async createAccount(phone, name) {
        const r = await this.control('POST', '/accounts', { phone, name });
        if (r.status !== 201) throw new Error(`create account: ${r.status} ${JSON.stringify(r.json)}`);
        return r.json;
    }

    async devices(phone) {
        const r = await this.control('GET', `/accounts/${phone}/devices`);
        if (r.status !== 200) throw new Error(`devices: ${r.status} ${JSON.stringify(r.json)}`);
        return r.json.devices;
    }

    // Runs a CLI subcommand of the binary against this sim's control endpoint.
    async cli(...args) {
        const [command, ...rest] = args;
        try {
            const { stdout } = await execFileP(simBin(), [command, '--control', this.controlAddr, ...rest]);
            return { code: 0, json: JSON.parse(stdout) };
        } catch (e) {
            return { code: e.code, json: e.stdout ? JSON.parse(e.stdout) : null, stderr: e.stderr };
        }
    }
}

const silent = pino({ level: process.env.BAILEYS_LOG || 'silent' });

// One Baileys socket over a multi-file auth state, with its connection.update events recorded.
export class BaileysClient {
    constructor(sim, authDir) {
        this.sim = sim;
        this.authDir = authDir;
        this.updates = [];
        this.waiters = [];
        this.pendingSaves = new Set();
    }

    // `config`: further makeWASocket options (they win over the defaults below).
    async connect({ prepareCreds, config } = {}) {
        const { state, saveCreds } = await useMultiFileAuthState(this.authDir);
        if (prepareCreds) prepareCreds(state.creds);
        this.creds = state.creds;
        WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(this.sim.rootKey, 'hex');
        this.sock = makeWASocket({
            auth: state,
            waWebSocketUrl: this.sim.wsUrl,
            browser: Browsers.ubuntu('Chrome'),
            logger: silent,
            printQRInTerminal: false,
            markOnlineOnConnect: false,
            shouldSyncHistoryMessage: () => false,
            connectTimeoutMs: 20000,
            qrTimeout: 60000,
            ...config,
        });
        this.sock.ev.on('creds.update', () => {
            const p = saveCreds().finally(() => this.pendingSaves.delete(p));
            this.pendingSaves.add(p);
        });
        this.sock.ev.on('connection.update', (u) => {
            const entry = { ...u, statusCode: u.lastDisconnect?.error?.output?.statusCode };
            this.updates.push(entry);
            for (const w of [...this.waiters]) {
                if (w.pred(entry)) {
                    this.waiters.splice(this.waiters.indexOf(w), 1);
                    clearTimeout(w.timer);
                    w.resolve(entry);
                }
            }
        });
        return this;
    }

    // Resolves with the first recorded or future connection.update matching pred.
    waitFor(pred, what, timeoutMs = 20000) {
        const seen = this.updates.find(pred);
        if (seen) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
            const w = { pred, resolve };
            w.timer = setTimeout(() => {
                this.waiters.splice(this.waiters.indexOf(w), 1);
                reject(new Error(`timed out waiting for ${what}; updates: ${JSON.stringify(this.updates.map(summary))}`));
            }, timeoutMs);
            this.waiters.push(w);
        });
    }

    waitForQr() { return this.waitFor((u) => typeof u.qr === 'string', 'a QR'); }
    waitForOpen() { return this.waitFor((u) => u.connection === 'open', 'connection open'); }
    waitForClose() { return this.waitFor((u) => u.connection === 'close', 'connection close'); }

    sawQr() { return this.updates.some((u) => typeof u.qr === 'string'); }

    async flushCreds() {
        await Promise.all([...this.pendingSaves]);
    }

    async end() {
        if (this.sock && !this.updates.some((u) => u.connection === 'close')) {
            this.sock.end(undefined);
            await this.waitForClose().catch(() => {});
        }
        await this.flushCreds();
    }
}

// Pairs a fresh Baileys companion with `phone` (QR scan, 515), logs it in again and waits for the
// offline flush; returns the open client and its auth dir.
export async function pairAndOpen(sim, phone) {
    const authDir = tempDir('wadesk-sim-auth-');
    const pairing = await new BaileysClient(sim, authDir).connect();
    const { qr } = await pairing.waitForQr();
    const scan = await sim.control('POST', `/accounts/${phone}/scan`, { qr });
    if (scan.status !== 200) throw new Error(`scan answered ${scan.status}: ${JSON.stringify(scan.json ?? scan.body)}`);
    const closed = await pairing.waitForClose();
    if (closed.statusCode !== 515) throw new Error(`pairing ended with ${closed.statusCode}, not 515`);
    await pairing.flushCreds();
    const client = await new BaileysClient(sim, authDir).connect();
    await client.waitForOpen();
    await client.waitFor((u) => u.receivedPendingNotifications === true, 'offline flush');
    return { client, authDir };
}

function summary(u) {
    const s = {};
    if (u.connection) s.connection = u.connection;
    if (u.qr) s.qr = 'yes';
    if (u.statusCode !== undefined) s.statusCode = u.statusCode;
    if (u.isNewLogin) s.isNewLogin = true;
    return s;
}

export function cleanup(dir) {
    rmSync(dir, { recursive: true, force: true });
}
