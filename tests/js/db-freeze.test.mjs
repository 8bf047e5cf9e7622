// A frozen PostgreSQL (every server process stopped with SIGSTOP, as a stalled disk or a network
// partition looks: the TCP connections stay open and acknowledged, nothing answers) must not
// freeze wadesk: /health answers at once, /ready and data calls answer 503 database_unavailable
// within the bound WADESK_DB_TIMEOUT_MS sets, the WhatsApp engine keeps its connection (the
// emulator's pings are answered), and after SIGCONT everything recovers: every write answered
// 2xx is stored, and what the phone sent meanwhile is stored once.
// The suite runs its own PostgreSQL (scripts/pg-temp.sh), so stopping it touches no other suite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestServer, repoRoot, sleep, until, show, isErrorEnvelope } from './lib/server.mjs';
import { linkSession, startSim, tempDir } from './lib/client-harness.mjs';

const execFileP = promisify(execFile);
const kTimeoutMs = 1500;                  // WADESK_DB_TIMEOUT_MS of the server under test
// A call may wait for a handler slot, a pooled connection and the server in turn, each bounded
// by the timeout; one more second covers scheduling on a loaded test machine.
const kBoundMs = 3 * kTimeoutMs + 1000;
const SHOP = '15550007001';
const PHONE = '15550007002';

let pgDir;
let pgUrl;
let sim;
let srv;
let token;
let sessionId;
let deviceId;
let frozen = [];
let writing = false;  // the test's writer keeps sending while true

// The PostgreSQL processes: the postmaster (first line of postmaster.pid) and its children.
async function pgPids() {
    const postmaster = Number(readFileSync(path.join(pgDir.dir, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const { stdout } = await execFileP('ps', ['-o', 'pid=', '--ppid', String(postmaster)]);
    return [postmaster, ...stdout.split('\n').map((l) => Number(l.trim())).filter(Boolean)];
}

function signalAll(pids, signal) {
    for (const pid of pids) {
        try { process.kill(pid, signal); } catch { /* gone */ }
    }
}

// One GET on a connection of its own (no keep-alive pool): what a load balancer's probe does.
function freshGet(baseUrl, urlPath) {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const req = http.get(`${baseUrl}${urlPath}`, { agent: false }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => {
                let json;
                try { json = JSON.parse(text); } catch { json = undefined; }
                resolve({ status: res.statusCode, text, json, ms: Date.now() - started });
            });
        });
        req.on('error', reject);
        req.setTimeout(30000, () => req.destroy(new Error(`${urlPath}: no answer in 30 s`)));
    });
}

async function timed(promise) {
    const started = Date.now();
    const res = await promise;
    return { ...res, ms: Date.now() - started };
}

async function chatMessages(phone) {
    const page = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token), 'chats');
    const chat = page.items.find((c) => c.jid === `${phone}@s.whatsapp.net`);
    if (!chat) return [];
    const list = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=200`, token), 'messages');
    return list.items;
}

before(async () => {
    pgDir = tempDir('wadesk-freeze-pg-');
    await execFileP('chmod', ['755', pgDir.dir]);
    const { stdout } = await execFileP(path.join(repoRoot, 'scripts', 'pg-temp.sh'), ['start', path.join(pgDir.dir, 'pg')]);
    pgUrl = stdout.trim();
    sim = await startSim();
    for (const [phone, name] of [[SHOP, 'Shop'], [PHONE, 'Pat']]) {
        assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
    }
    srv = new TestServer({
        backend: 'postgres',
        env: {
            WADESK_DB_TIMEOUT_MS: String(kTimeoutMs),
            WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey,
        },
    });
    srv.databaseUrl = pgUrl;  // its own server, not the suite's shared one
    const company = await srv.createCompany({ name: 'Freeze Co' });
    await srv.start();
    token = await srv.login(company.adminEmail, company.adminPassword);
    ({ sessionId } = await linkSession(srv, sim, token, SHOP));
    deviceId = (await sim.control('GET', `/accounts/${SHOP}/devices`)).body.devices.find((d) => d.id !== 0).id;
    const hello = await sim.control('POST', `/accounts/${PHONE}/send`, { to: SHOP, text: 'before the freeze', id: 'FRZ0000' });
    assert.equal(hello.status, 200);
    await until('the first message stored', async () => (await chatMessages(PHONE)).some((m) => m.waMessageId === 'FRZ0000'));
});

after(async () => {
    writing = false;  // a failed test must not leave its writer running (the process would not exit)
    signalAll(frozen, 'SIGCONT');
    try {
        await srv?.stop();  // throws when wadesk ended during the test: the rest still runs
    } finally {
        await sim?.close();
        if (pgDir) {
            await execFileP(path.join(repoRoot, 'scripts', 'pg-temp.sh'), ['stop', path.join(pgDir.dir, 'pg')]).catch(() => {});
            pgDir.remove();
        }
    }
});

test('a frozen PostgreSQL: health at once, 503 within the bound, the engine stays connected, nothing answered 2xx is lost', async () => {
    // Writers keep sending through the freeze; each remembers how it was answered.
    const writes = [];
    writing = true;
    const writer = (async () => {
        for (let i = 0; writing; i++) {
            const text = `write ${i}`;
            const entry = { text, status: 0 };
            writes.push(entry);
            srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${PHONE}/send`, token, { message: text, clientMessageId: `frz-${i}` })
                .then((r) => { entry.status = r.status; entry.code = r.json?.error?.code; }, (e) => { entry.error = String(e); });
            await sleep(150);
        }
    })();
    await sleep(600);

    frozen = await pgPids();
    signalAll(frozen, 'SIGSTOP');
    const frozenAt = Date.now();

    // The phone writes while the database is frozen.
    for (const id of ['FRZ0001', 'FRZ0002', 'FRZ0003']) {
        const sent = await sim.control('POST', `/accounts/${PHONE}/send`, { to: SHOP, text: `during ${id}`, id });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }

    // /health at once, again and again, on new connections, while handlers wait on the database.
    for (let i = 0; i < 5; i++) {
        const h = await freshGet(srv.baseUrl, '/health');
        assert.equal(h.status, 200, `health during the freeze: ${h.status} ${h.text}`);
        assert.ok(h.ms < 1000, `/health took ${h.ms} ms during the freeze`);
        await sleep(300);
    }

    // /ready and a data call: 503 database_unavailable within the bound.
    const [ready, chats] = await Promise.all([
        timed(srv.get('/ready')),
        timed(srv.get(`/api/whatsapp/sessions/${sessionId}/chats`, token)),
    ]);
    for (const [what, r] of [['/ready', ready], ['GET chats', chats]]) {
        assert.equal(r.status, 503, `${what}: ${show(r)}`);
        assert.ok(isErrorEnvelope(r), `${what}: ${show(r)}`);
        assert.equal(r.json.error.code, 'database_unavailable', `${what}: ${show(r)}`);
        assert.ok(r.ms < kBoundMs, `${what} answered after ${r.ms} ms (bound ${kBoundMs} ms)`);
    }

    // The engine keeps its WhatsApp connection: the server's ping is answered, the device online.
    const ping = await sim.control('POST', `/accounts/${SHOP}/devices/${deviceId}/ping`);
    assert.equal(ping.status, 200, JSON.stringify(ping.body));
    await until('the ping answered during the freeze', async () => {
        const p = (await sim.control('GET', `/accounts/${SHOP}/devices/${deviceId}/pings`)).body;
        return p.pings.some((x) => x.id === ping.body.id);
    }, 5000);
    const health = await freshGet(srv.baseUrl, '/health');
    assert.equal(health.status, 200);
    assert.ok(health.ms < 1000, `/health took ${health.ms} ms late in the freeze`);
    assert.ok(Date.now() - frozenAt > 2 * kTimeoutMs, 'the freeze outlasted the timeout');

    signalAll(frozen, 'SIGCONT');
    frozen = [];
    writing = false;
    await writer;

    // Recovery: ready again, writes work, nothing answered 2xx is missing, the phone's messages
    // are stored once each, and the device never went offline.
    await until('ready after SIGCONT', async () => (await srv.get('/ready')).status === 200, 20000);
    await until('every write answered', async () => writes.every((w) => w.status || w.error), 20000);
    const after = await srv.post(`/api/whatsapp/sessions/${sessionId}/chats/${PHONE}/send`, token, { message: 'after the freeze' });
    assert.equal(after.status, 201, show(after));
    const refused = writes.filter((w) => w.status === 503);
    assert.ok(refused.length > 0, 'some writes met the frozen database');
    for (const w of writes) {
        assert.ok(w.status === 201 || (w.status === 503 && w.code === 'database_unavailable'),
            `${w.text}: answered ${w.status} ${w.code ?? ''} ${w.error ?? ''}`);
    }
    const stored = await until('the phone\'s messages stored', async () => {
        const m = await chatMessages(PHONE);
        return ['FRZ0001', 'FRZ0002', 'FRZ0003'].every((id) => m.some((x) => x.waMessageId === id)) ? m : null;
    }, 30000);
    for (const id of ['FRZ0000', 'FRZ0001', 'FRZ0002', 'FRZ0003']) {
        assert.equal(stored.filter((x) => x.waMessageId === id).length, 1, `${id} stored once`);
    }
    for (const w of writes.filter((x) => x.status === 201)) {
        assert.equal(stored.filter((x) => x.fromMe && x.body === w.text).length, 1, `${w.text} was answered 201 and is stored once`);
    }
    const device = (await sim.control('GET', `/accounts/${SHOP}/devices`)).body.devices.find((d) => d.id === deviceId);
    assert.equal(device.online, true);
    const session = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session');
    assert.equal(session.status, 'connected');
    assert.doesNotMatch(srv.stderr, /Session \S+ (disconnected|reconnecting)/);
});
