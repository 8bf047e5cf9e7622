// Shared harness for the black-box suites: runs the real `wadesk` binary against a fresh
// database (SQLite in a temporary data directory, or a PostgreSQL database created for this
// server alone and dropped afterwards), waits for /ready, and talks to it over real HTTP.
//
// Environment:
//   WADESK_BIN            path of the wadesk binary (default: build/wadesk of the repository)
//   WADESK_TEST_PG_URL    a PostgreSQL URL whose role may CREATE DATABASE (required for the
//                         postgres backend; run-tests.sh provides one)
//   WADESK_TEST_BACKENDS  comma list restricting the backends ("sqlite,postgres" by default)
//   WADESK_TEST_KEEP      "1": keep data directories and databases after the run (debugging)
//
// Typical use:
//   for (const backend of backends()) describe(backend, () => {
//     let srv;
//     before(async () => {
//       srv = new TestServer({ backend });
//       const a = await srv.createCompany({ name: 'Acme' });   // CLI, before the server runs
//       await srv.start();
//       const token = await srv.login(a.adminEmail, a.adminPassword);
//     });
//     after(() => srv.stop());   // fails when the server crashed or did not exit cleanly
//   });
import { spawn, execFile } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { diesWithSuite } from './children.mjs';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');

export function wadeskBin() {
    return process.env.WADESK_BIN || path.join(repoRoot, 'build', 'wadesk');
}

// Backends the suites run on. Both by default; a missing PostgreSQL URL is an error reported
// by start(), not a silent skip.
export function backends() {
    const list = (process.env.WADESK_TEST_BACKENDS || 'sqlite,postgres')
        .split(',').map((s) => s.trim()).filter(Boolean);
    for (const b of list) {
        if (b !== 'sqlite' && b !== 'postgres') throw new Error(`unknown backend in WADESK_TEST_BACKENDS: ${b}`);
    }
    return list;
}

// ---------------------------------------------------------------- JWT (HS256) for tests

function b64url(buf) {
    return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

export function signJwt(payload, secret, header = { alg: 'HS256', typ: 'JWT' }) {
    const head = b64url(JSON.stringify(header));
    const body = b64url(JSON.stringify(payload));
    const sig = b64url(createHmac('sha256', secret).update(`${head}.${body}`).digest());
    return `${head}.${body}.${sig}`;
}

export function decodeJwtPayload(token) {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error(`not a JWT: ${token}`);
    return JSON.parse(Buffer.from(parts[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
}

// ---------------------------------------------------------------- PostgreSQL helpers

function pgUrlWithDb(url, db) {
    const u = new URL(url);
    u.pathname = `/${db}`;
    return u.toString();
}

async function psql(url, sql) {
    await execFileP('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { timeout: 30000 });
}

// ---------------------------------------------------------------- HTTP helpers

// One HTTP exchange. `body`: an object (sent as JSON), a string or Buffer (sent as is).
// Returns { status, headers, text, json } where json is the parsed body or undefined.
export async function request(baseUrl, method, urlPath, { token, body, headers = {}, contentType } = {}) {
    const h = { ...headers };
    if (token !== undefined && token !== null) h.authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
        if (Buffer.isBuffer(body) || typeof body === 'string') {
            payload = body;
            h['content-type'] = contentType || 'application/json';
        } else {
            payload = JSON.stringify(body);
            h['content-type'] = contentType || 'application/json';
        }
    }
    const res = await fetch(baseUrl + urlPath, { method, headers: h, body: payload, redirect: 'manual' });
    const text = await res.text();
    let json;
    try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json };
}

// Describes a response for assertion messages.
export function show(res) {
    const t = res.text.length > 400 ? `${res.text.slice(0, 400)}...` : res.text;
    return `HTTP ${res.status} ${t}`;
}

// ---------------------------------------------------------------- the server under test

let serial = 0;

// How long a SIGTERM may take: the server lets in-flight requests finish for up to its shutdown
// grace (http::ServerOptions::shutdown_grace, 10 s) before it exits, so the harness waits that
// long plus a margin before it calls the exit unclean.
const kSigtermWaitMs = 15000;

export class TestServer {
    constructor({ backend = 'sqlite', env = {}, args = [] } = {}) {
        this.backend = backend;
        this.extraEnv = env;
        this.extraArgs = args;
        this.dataDir = mkdtempSync(path.join(tmpdir(), 'wadesk-js-'));
        this.jwtSecret = randomBytes(32).toString('hex');
        this.proc = null;
        this.baseUrl = null;
        this.stderr = '';
        this.stdout = '';
        this.exit = null;          // { code, signal } once the process ended
        this.stopping = false;
        this.dbName = null;
        this.databaseUrl = null;
        this.companies = [];
    }

    // Environment shared by `serve` and every CLI command so they open the same database.
    // WhatsApp engine: none unless a suite asks for one (env: {WADESK_WA_ENGINE: 'native', ...}),
    // so sessions of REST suites stay "initializing" instead of dialling WhatsApp from a box with
    // no network.
    env() {
        const e = { WADESK_WA_ENGINE: 'none', ...process.env, WADESK_DATA_DIR: this.dataDir, WADESK_JWT_SECRET: this.jwtSecret, ...this.extraEnv };
        delete e.DATABASE_URL;
        if (this.databaseUrl) e.DATABASE_URL = this.databaseUrl;
        return e;
    }

    async prepareDatabase() {
        if (this.backend !== 'postgres' || this.databaseUrl) return;
        const admin = process.env.WADESK_TEST_PG_URL;
        if (!admin) throw new Error('backend postgres needs WADESK_TEST_PG_URL (or set WADESK_TEST_BACKENDS=sqlite)');
        this.dbName = `wadesk_t_${process.pid}_${Date.now().toString(36)}_${serial++}`;
        await psql(admin, `CREATE DATABASE ${this.dbName}`);
        this.databaseUrl = pgUrlWithDb(admin, this.dbName);
    }

    // Runs `wadesk ARGS...` with this server's database; resolves { stdout, stderr }, rejects
    // with the output on a non-zero exit.
    // `data: false` leaves out the --data flag (commands that open no database).
    async cli(args, { timeout = 60000, data = true } = {}) {
        await this.prepareDatabase();
        try {
            return await execFileP(wadeskBin(), data ? [...args, '--data', this.dataDir] : args, { env: this.env(), timeout });
        } catch (err) {
            err.message = `wadesk ${args.join(' ')} failed (${err.code ?? err.signal}):\n${err.stdout}\n${err.stderr}`;
            throw err;
        }
    }

    // `wadesk company create`: returns { companyId, adminId, adminEmail, adminPassword, raw }.
    async createCompany({ name, adminEmail, adminPassword } = {}) {
        const tag = randomUUID().slice(0, 8);
        name = name ?? `Company ${tag}`;
        adminEmail = adminEmail ?? `admin-${tag}@example.test`;
        adminPassword = adminPassword ?? `pw-${randomBytes(9).toString('base64url')}`;
        const { stdout } = await this.cli(['company', 'create', '--name', name, '--admin-email', adminEmail,
            '--admin-password', adminPassword]);
        const raw = parseCliJson(stdout);
        const company = raw.company ?? raw;
        const admin = raw.admin ?? raw.user ?? {};
        const companyId = company.id ?? raw.companyId;
        const adminId = admin.id ?? raw.adminId;
        if (!companyId || !adminId) throw new Error(`company create printed no company/admin id: ${stdout}`);
        const c = { companyId, adminId, adminEmail, adminPassword, name, raw };
        this.companies.push(c);
        return c;
    }

    // `wadesk user create`: returns { userId, email, password, role, raw }.
    async createUser({ companyId, email, password, role = 'manager' }) {
        const tag = randomUUID().slice(0, 8);
        email = email ?? `${role}-${tag}@example.test`;
        password = password ?? `pw-${randomBytes(9).toString('base64url')}`;
        const { stdout } = await this.cli(['user', 'create', '--company', companyId, '--email', email,
            '--password', password, '--role', role]);
        const raw = parseCliJson(stdout);
        const user = raw.user ?? raw;
        if (!user.id) throw new Error(`user create printed no id: ${stdout}`);
        return { userId: user.id, email, password, role, raw };
    }

    async start({ readyTimeoutMs = 30000 } = {}) {
        await this.prepareDatabase();
        const args = ['serve', '--listen', '127.0.0.1:0', '--data', this.dataDir, ...this.extraArgs];
        this.proc = diesWithSuite(spawn(wadeskBin(), args, { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] }));
        this.proc.stdout.on('data', (d) => { this.stdout = (this.stdout + d).slice(-200000); });
        const exited = new Promise((resolve) => {
            this.proc.on('exit', (code, signal) => { this.exit = { code, signal }; resolve(this.exit); });
        });
        this.exited = exited;
        const listening = new Promise((resolve) => {
            this.proc.stderr.on('data', (d) => {
                this.stderr = (this.stderr + d).slice(-400000);
                const m = /listening on (http:\/\/[^\s]+)/.exec(this.stderr);
                if (m && !this.baseUrl) { this.baseUrl = m[1].replace(/\/$/, ''); resolve(); }
            });
        });
        const deadline = Date.now() + readyTimeoutMs;
        await Promise.race([
            listening,
            exited.then((e) => { throw new Error(`wadesk serve exited before listening (${JSON.stringify(e)}):\n${this.stderr}`); }),
            timeout(readyTimeoutMs).then(() => { if (!this.baseUrl) throw new Error(`wadesk serve did not log "listening on" in time:\n${this.stderr}`); }),
        ]);
        for (;;) {
            if (this.exit) throw new Error(`wadesk serve exited while starting: ${JSON.stringify(this.exit)}\n${this.stderr}`);
            try {
                const r = await fetch(`${this.baseUrl}/ready`);
                await r.arrayBuffer();
                if (r.status === 200) break;
            } catch { /* not yet accepting */ }
            if (Date.now() > deadline) throw new Error(`wadesk serve not ready in ${readyTimeoutMs} ms:\n${this.stderr}`);
            await sleep(50);
        }
        return this;
    }

    alive() { return this.proc !== null && this.exit === null; }

    // Throws unless the process runs and /health answers 200.
    async assertHealthy() {
        if (!this.alive()) throw new Error(`wadesk died: ${JSON.stringify(this.exit)}\n${this.stderrTail()}`);
        const r = await request(this.baseUrl, 'GET', '/health');
        if (r.status !== 200) throw new Error(`/health answered ${show(r)}`);
        if (!this.alive()) throw new Error(`wadesk died: ${JSON.stringify(this.exit)}\n${this.stderrTail()}`);
    }

    stderrTail(n = 4000) { return this.stderr.slice(-n); }

    // Stops the process cleanly (SIGTERM) and starts it again on the same data directory and
    // database: what an operator's restart does. Throws when it does not exit cleanly.
    async restart() {
        this.stopping = true;
        this.proc.kill('SIGTERM');
        const e = await Promise.race([this.exited, timeout(kSigtermWaitMs).then(() => null)]);
        if (!e || !(e.code === 0 || (e.code === null && e.signal === 'SIGTERM'))) {
            if (!e) this.proc.kill('SIGKILL');
            throw new Error(`wadesk did not restart cleanly: ${JSON.stringify(e)}\n${this.stderrTail()}`);
        }
        this.stopping = false;
        this.proc = null;
        this.exit = null;
        this.baseUrl = null;
        this.stderr = '';
        await this.start();
    }

    // Kills the process with SIGKILL (a crash: nothing is flushed, nothing closes politely) and
    // waits for it to be gone; start() runs it again on the same data directory and database.
    async crash() {
        this.stopping = true;
        this.proc.kill('SIGKILL');
        await this.exited;
        this.stopping = false;
        this.proc = null;
        this.exit = null;
        this.baseUrl = null;
        this.stderr = '';
    }

    // Stops the server (SIGTERM, then SIGKILL after kSigtermWaitMs) and removes its database. Throws when
    // the server had died on its own before, or did not exit cleanly on SIGTERM.
    async stop() {
        let problem = null;
        if (this.proc) {
            if (this.exit) {
                problem = `wadesk exited during the test: ${JSON.stringify(this.exit)}\n${this.stderrTail()}`;
            } else {
                this.stopping = true;
                this.proc.kill('SIGTERM');
                const e = await Promise.race([this.exited, timeout(kSigtermWaitMs).then(() => null)]);
                if (!e) {
                    this.proc.kill('SIGKILL');
                    await this.exited;
                    await new Promise((r) => { if (this.proc.stderr.readableEnded) r(); else this.proc.stderr.once('close', r); });
                    problem = `wadesk did not exit within ${kSigtermWaitMs / 1000} s of SIGTERM\n${this.stderrTail()}`;
                } else if (!(e.code === 0 || (e.code === null && e.signal === 'SIGTERM'))) {
                    problem = `wadesk exited uncleanly on SIGTERM: ${JSON.stringify(e)}\n${this.stderrTail()}`;
                }
            }
        }
        if (process.env.WADESK_TEST_KEEP !== '1') {
            if (this.dbName) {
                await psql(process.env.WADESK_TEST_PG_URL, `DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`).catch(() => {});
            }
            if (existsSync(this.dataDir)) rmSync(this.dataDir, { recursive: true, force: true });
        }
        if (problem) throw new Error(problem);
    }

    // --- REST helpers

    req(method, urlPath, opts) { return request(this.baseUrl, method, urlPath, opts); }
    get(urlPath, token, opts = {}) { return this.req('GET', urlPath, { ...opts, token }); }
    post(urlPath, token, body, opts = {}) { return this.req('POST', urlPath, { ...opts, token, body }); }
    patch(urlPath, token, body, opts = {}) { return this.req('PATCH', urlPath, { ...opts, token, body }); }
    del(urlPath, token, opts = {}) { return this.req('DELETE', urlPath, { ...opts, token }); }

    // Every event the token may read (GET /api/events, all pages), oldest first.
    async allEvents(token) {
        const out = [];
        for (let after = 0; ;) {
            const page = await this.ok(this.get(`/api/events?after=${after}&limit=200`, token), 'events');
            out.push(...page.items);
            if (page.items.length < 200) return out;
            after = page.lastId;
        }
    }

    // POST /api/auth/login; returns the token (throws with the response on anything but 200).
    async login(email, password) {
        const r = await this.post('/api/auth/login', undefined, { email, password });
        if (r.status !== 200 || !r.json?.data?.token) throw new Error(`login ${email} failed: ${show(r)}`);
        return r.json.data.token;
    }

    async loginFull(email, password) {
        const r = await this.post('/api/auth/login', undefined, { email, password });
        if (r.status !== 200) throw new Error(`login ${email} failed: ${show(r)}`);
        return r.json.data;
    }

    // A success response's data, or throws with the response.
    async ok(promise, what = '') {
        const r = await promise;
        if (r.status < 200 || r.status > 299 || r.json?.success !== true) {
            throw new Error(`${what} expected success, got ${show(r)}`);
        }
        return r.json.data;
    }
}

function parseCliJson(stdout) {
    const s = stdout.trim();
    try { return JSON.parse(s); } catch { /* maybe log lines before the JSON */ }
    const start = s.indexOf('{');
    const end = s.lastIndexOf('}');
    if (start >= 0 && end > start) return JSON.parse(s.slice(start, end + 1));
    throw new Error(`CLI printed no JSON: ${stdout}`);
}

export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// Polls `fn` every 100 ms until it returns a truthy value, which it returns; throws after timeoutMs.
export async function until(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Like sleep, but does not keep the process alive (for timeouts raced against other promises).
function timeout(ms) { return new Promise((r) => setTimeout(r, ms).unref()); }

// Asserts the error envelope {"success":false,"error":{"code","message"}} with `status`.
export function isErrorEnvelope(res) {
    const j = res.json;
    return !!j && j.success === false && j.error && typeof j.error.code === 'string'
        && /^[a-z][a-z0-9_]*$/.test(j.error.code) && typeof j.error.message === 'string' && j.error.message.length > 0;
}

// ---------------------------------------------------------------- ids and fixture rows

const kIdAlphabet = '0123456789abcdefghjkmnpqrstvwxyz';

// An id of the shape the server's NewId() produces (26 lowercase Crockford base32 digits:
// 48-bit milliseconds then 80 random bits).
export function newId(ms = Date.now()) {
    const raw = Buffer.alloc(16);
    raw.writeUIntBE(ms, 0, 6);
    randomBytes(10).copy(raw, 6);
    let v = BigInt(`0x${raw.toString('hex')}`);
    let out = '';
    for (let i = 0; i < 26; i++) { out = kIdAlphabet[Number(v & 31n)] + out; v >>= 5n; }
    return out;
}

function sqlText(s) { return `'${String(s).replace(/'/g, "''")}'`; }

// Writes chats and their messages straight into the database of a running or stopped server.
// This is fixture data of the kind only the WhatsApp engine produces (the engine cannot link a
// session here); it goes through no server code. `chats`: [{ jid, name, unread, archived,
// pinned, assignedTo, labels, messages: N, baseTs }] → the same list with `id` and
// `messageIds` (oldest first) filled in.
TestServer.prototype.insertChats = async function insertChats(companyId, sessionId, chats) {
    const now = Date.now();
    const lines = ['BEGIN;'];
    const out = [];
    for (const c of chats) {
        const id = newId();
        const n = c.messages ?? 0;
        const baseTs = c.baseTs ?? now - 86400000;
        const msgIds = [];
        const rows = [];
        for (let i = 0; i < n; i++) {
            const mid = newId(baseTs + i);
            msgIds.push(mid);
            const fromMe = i % 3 === 0;
            // clientIds {index: key}: that (outgoing) message was sent through us with that
            // idempotency key by user c.sentBy.
            const cmid = c.clientIds?.[i] ?? '';
            rows.push(`(${sqlText(mid)},${sqlText(companyId)},${sqlText(sessionId)},${sqlText(id)},`
                + `${sqlText(`WAFIX${mid.toUpperCase()}`)},${fromMe ? 'true' : 'false'},${sqlText(c.jid)},`
                + `${sqlText(c.name ?? '')},'text',${sqlText(`message ${i} of ${c.name ?? c.jid}`)},`
                + `${baseTs + i * 1000},${sqlText(fromMe ? 'read' : 'delivered')},${now},${sqlText(cmid)},`
                + `${sqlText(cmid ? c.sentBy ?? '' : '')})`);
        }
        const lastAt = n ? baseTs + (n - 1) * 1000 : (c.lastMessageAt ?? 0);
        const last = n ? `message ${n - 1} of ${c.name ?? c.jid}` : '';
        lines.push(`INSERT INTO wa_chats (id, company_id, session_id, jid, name, is_group, unread_count, last_message,`
            + ` last_message_at, archived, pinned, muted, assigned_to, labels, created_at, updated_at) VALUES (`
            + `${sqlText(id)},${sqlText(companyId)},${sqlText(sessionId)},${sqlText(c.jid)},${sqlText(c.name ?? '')},`
            + `${c.jid.endsWith('@g.us') ? 'true' : 'false'},${c.unread ?? 0},${sqlText(last)},${lastAt},`
            + `${c.archived ? 'true' : 'false'},${c.pinned ? 'true' : 'false'},false,${sqlText(c.assignedTo ?? '')},`
            + `${sqlText(JSON.stringify(c.labels ?? []))},${now},${now});`);
        for (let i = 0; i < rows.length; i += 500) {
            lines.push(`INSERT INTO wa_messages (id, company_id, session_id, chat_id, wa_message_id, from_me, sender_jid,`
                + ` sender_name, type, body, ts, status, created_at, client_message_id, sent_by) VALUES ${rows.slice(i, i + 500).join(',')};`);
        }
        out.push({ ...c, id, messageIds: msgIds });
    }
    lines.push('COMMIT;');
    await this.execSql(lines.join('\n'));
    return out;
};

// Runs SQL text against this server's database (sqlite3 CLI or psql).
TestServer.prototype.execSql = async function execSql(sql) {
    if (this.databaseUrl) {
        await new Promise((resolve, reject) => {
            const p = spawn('psql', [this.databaseUrl, '-v', 'ON_ERROR_STOP=1', '-q'], { stdio: ['pipe', 'ignore', 'pipe'] });
            let err = '';
            p.stderr.on('data', (d) => { err += d; });
            p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql failed: ${err}`))));
            p.stdin.end(sql);
        });
        return;
    }
    const db = this.sqlitePath();
    await new Promise((resolve, reject) => {
        const p = spawn('sqlite3', ['-bail', db], { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => { err += d; });
        p.on('exit', (code) => (code === 0 && !err ? resolve() : reject(new Error(`sqlite3 failed: ${err}`))));
        p.stdin.end(`.timeout 10000\n${sql}\n`);
    });
};

// Runs one query and returns its rows as arrays of strings (for after-the-fact checks).
TestServer.prototype.querySql = async function querySql(sql) {
    const args = this.databaseUrl
        ? ['psql', [this.databaseUrl, '-qAt', '-F', '\t', '-c', sql]]
        : ['sqlite3', ['-separator', '\t', '-cmd', '.timeout 10000', this.sqlitePath(), sql]];
    const { stdout } = await execFileP(args[0], args[1], { timeout: 30000 });
    return stdout.split('\n').filter((l) => l.length).map((l) => l.split('\t'));
};

TestServer.prototype.sqlitePath = function sqlitePath() {
    for (const name of ['wadesk.db', 'wadesk.sqlite', 'data.db']) {
        const p = path.join(this.dataDir, name);
        if (existsSync(p)) return p;
    }
    const found = readdirSync(this.dataDir).filter((f) => /\.(db|sqlite3?)$/.test(f));
    if (found.length !== 1) throw new Error(`cannot find the SQLite database in ${this.dataDir}: ${found}`);
    return path.join(this.dataDir, found[0]);
};
