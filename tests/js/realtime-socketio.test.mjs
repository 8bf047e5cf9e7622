// Socket.IO black-box suite: the official socket.io-client (and raw Engine.IO frames for the
// error cases) against the real wadesk process, with events produced by real REST actions.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

import { backends, TestServer } from './lib/server.mjs';
import { startSim } from './lib/client-harness.mjs';
import { buildRealtimeWorld, connect, newMark, produce, record, sleep, waitFor, withMark } from './lib/realtime-world.mjs';

// After a witness socket received an event, how long others get to (wrongly) receive it too.
const kSettleMs = 300;

function wsUrl(baseUrl, query = '') {
    return `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket${query}`;
}

// A raw Engine.IO websocket: resolves with helpers once the open packet arrived.
function rawSocket(baseUrl) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl(baseUrl));
        const frames = [];
        let closed = null;
        ws.on('message', (data, isBinary) => frames.push(isBinary ? data : data.toString()));
        ws.on('close', (code) => { closed = { code }; });
        ws.on('error', () => {});
        ws.once('open', async () => {
            try {
                await waitFor(() => frames.length > 0, 'open packet');
                resolve({ ws, frames, closed: () => closed });
            } catch (e) { reject(e); }
        });
        ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
}

for (const backend of backends()) {
    describe(`realtime Socket.IO (${backend})`, () => {
        let world;
        let url;
        const open = [];
        const track = (s) => { open.push(s); return s; };

        before(async () => {
            world = await buildRealtimeWorld(backend);
            url = world.srv.baseUrl;
        });
        after(async () => {
            for (const s of open) s.close();
            if (world) await world.srv.stop();
        });

        it('connects with a token in auth, in ?token= and in the Authorization header', async () => {
            const a = track(await connect(url, { auth: { token: world.tokens.admin }, transports: ['websocket'] }));
            assert.ok(a.connected && a.id);
            const q = track(await connect(url, { query: { token: world.tokens.admin }, transports: ['websocket'] }));
            assert.ok(q.connected);
            const h = track(await connect(url, { extraHeaders: { authorization: `Bearer ${world.tokens.admin}` } }));
            assert.ok(h.connected);
            const log = record(h);
            const mark = await produce(world, world.sessions.S1, newMark('auth'));
            await waitFor(() => withMark(log, mark).length === 1, 'event on the header-authenticated socket');
        });

        it('refuses a bad or missing token with connect_error and a message', async () => {
            await assert.rejects(connect(url, { auth: { token: 'not-a-jwt' } }), (err) => {
                assert.match(err.message, /\S/);
                assert.equal(typeof err.data?.code, 'string');
                return true;
            });
            const parts = world.tokens.admin.split('.');
            const forged = `${parts[0]}.${parts[1]}.${parts[2].slice(0, -4)}AAAA`;
            await assert.rejects(connect(url, { auth: { token: forged }, transports: ['websocket'] }), /./);
            await assert.rejects(connect(url, {}), (err) => {
                assert.equal(err.data?.code, 'missing_token');
                return true;
            });
        });

        it('works on long-polling alone and upgrades polling to websocket', async () => {
            const p = track(await connect(url, { auth: { token: world.tokens.admin }, transports: ['polling'] }));
            assert.equal(p.io.engine.transport.name, 'polling');
            const plog = record(p);
            const m1 = await produce(world, world.sessions.S1, newMark('poll'));
            await waitFor(() => withMark(plog, m1).length === 1, 'event over polling');
            assert.equal(withMark(plog, m1)[0].data.sessionId, world.sessions.S1);

            const u = track(await connect(url, { auth: { token: world.tokens.admin } }));
            const ulog = record(u);
            await waitFor(() => u.io.engine.transport.name === 'websocket', 'upgrade to websocket');
            const m2 = await produce(world, world.sessions.S2, newMark('up'));
            await waitFor(() => withMark(ulog, m2).length === 1, 'event after the upgrade');
            await sleep(kSettleMs);
            assert.equal(withMark(ulog, m2).length, 1, 'no duplicate across the upgrade');
        });

        it('events carry sessionId and an increasing eventId', async () => {
            const s = track(await connect(url, { auth: { token: world.tokens.admin }, transports: ['websocket'] }));
            const log = record(s);
            const marks = [];
            for (let i = 0; i < 3; i++) marks.push(await produce(world, world.sessions.S1, newMark('seq')));
            await waitFor(() => marks.every((m) => withMark(log, m).length === 1), 'three events');
            const ids = marks.map((m) => withMark(log, m)[0].data.eventId);
            for (const m of marks) assert.equal(withMark(log, m)[0].data.sessionId, world.sessions.S1);
            assert.ok(ids.every((id) => Number.isInteger(id) && id > 0), `ids ${ids}`);
            assert.ok(ids[0] < ids[1] && ids[1] < ids[2], `ids increase: ${ids}`);
        });

        it('an admin sees every session of its company, a manager only sessions with canRead, no one another company', async () => {
            const admin = track(await connect(url, { auth: { token: world.tokens.admin }, transports: ['websocket'] }));
            const mgr = track(await connect(url, { auth: { token: world.tokens.mgrRead }, transports: ['websocket'] }));
            const none = track(await connect(url, { auth: { token: world.tokens.mgrNone }, transports: ['websocket'] }));
            const adminB = track(await connect(url, { auth: { token: world.tokens.adminB }, transports: ['websocket'] }));
            const [la, lm, ln, lb] = [admin, mgr, none, adminB].map(record);
            const m1 = await produce(world, world.sessions.S1, newMark('s1'));
            const m2 = await produce(world, world.sessions.S2, newMark('s2'));
            const mb = await produce(world, world.sessions.SB, newMark('sb'));
            await waitFor(() => withMark(la, m1).length && withMark(la, m2).length, 'admin A gets S1 and S2');
            await waitFor(() => withMark(lm, m1).length, 'manager gets S1');
            await waitFor(() => withMark(lb, mb).length, 'admin B gets SB');
            await sleep(kSettleMs);
            assert.equal(withMark(lm, m2).length, 0, 'manager without canRead on S2 got its event');
            assert.equal(ln.filter((e) => e.name.startsWith('whatsapp:')).length, 0, 'manager without grants got events');
            assert.equal(withMark(la, mb).length, 0, 'admin A got an event of company B');
            assert.equal(withMark(lb, m1).length + withMark(lb, m2).length, 0, 'admin B got events of company A');
            assert.equal(withMark(la, m1).length, 1, 'exactly once');
        });

        it('revoking canRead stops delivery at once, granting it again resumes it', async () => {
            const witness = track(await connect(url, { auth: { token: world.tokens.admin }, transports: ['websocket'] }));
            const mgr = track(await connect(url, { auth: { token: world.tokens.mgrRevoke }, transports: ['websocket'] }));
            const [lw, lm] = [witness, mgr].map(record);
            const before1 = await produce(world, world.sessions.S1, newMark('pre'));
            await waitFor(() => withMark(lm, before1).length === 1, 'event before the revoke');

            await world.srv.ok(world.srv.del(`/api/whatsapp/sessions/${world.sessions.S1}/access/${world.users.mgrRevoke.userId}`,
                world.tokens.admin), 'revoke');
            const during = await produce(world, world.sessions.S1, newMark('revoked'));
            await waitFor(() => withMark(lw, during).length === 1, 'witness gets the event');
            await sleep(kSettleMs);
            assert.equal(withMark(lm, during).length, 0, 'the revoked manager still received an event');
            assert.ok(mgr.connected, 'the socket itself stays connected');

            await world.srv.ok(world.srv.post(`/api/whatsapp/sessions/${world.sessions.S1}/access`, world.tokens.admin, {
                managerId: world.users.mgrRevoke.userId, canRead: true,
            }), 'grant again');
            const again = await produce(world, world.sessions.S1, newMark('regranted'));
            await waitFor(() => withMark(lm, again).length === 1, 'event after the new grant');
        });

        it('disabling a user closes its live socket and refuses it afterwards', async () => {
            const s = track(await connect(url, { auth: { token: world.tokens.mgrOff }, transports: ['websocket'] }));
            const reasons = [];
            s.on('disconnect', (r) => reasons.push(r));
            await world.srv.ok(world.srv.patch(`/api/managers/${world.users.mgrOff.userId}`, world.tokens.admin,
                { disabled: true }), 'disable');
            await waitFor(() => reasons.length === 1, 'disconnect of the disabled user', 3000);
            assert.equal(reasons[0], 'io server disconnect');
            await assert.rejects(connect(url, { auth: { token: world.tokens.mgrOff } }), /./);
        });

        it('a reconnect after a dropped connection recovers missed events, without duplicates', async () => {
            const s = track(await connect(url, {
                auth: { token: world.tokens.mgrRead }, transports: ['websocket'],
                reconnection: true, reconnectionDelay: 800, reconnectionDelayMax: 800, randomizationFactor: 0,
            }));
            const log = record(s);
            assert.equal(s.recovered, false);
            const m0 = await produce(world, world.sessions.S1, newMark('live'));
            await waitFor(() => withMark(log, m0).length === 1, 'event before the drop');

            const reconnected = new Promise((resolve) => s.once('connect', resolve));
            s.io.engine.close();  // the transport drops; the client reconnects by itself
            const missed = [];
            for (let i = 0; i < 3; i++) missed.push(await produce(world, world.sessions.S1, newMark('missed')));
            const hidden = await produce(world, world.sessions.S2, newMark('hidden'));
            assert.equal(s.connected, false, 'the producer was faster than the reconnect');
            await reconnected;
            assert.equal(s.recovered, true, 'socket.recovered after the reconnect');
            await waitFor(() => missed.every((m) => withMark(log, m).length >= 1), 'missed events replayed');
            const after1 = await produce(world, world.sessions.S1, newMark('after'));
            await waitFor(() => withMark(log, after1).length === 1, 'live event after the recovery');
            await sleep(kSettleMs);
            for (const m of [m0, ...missed, after1]) assert.equal(withMark(log, m).length, 1, `exactly once: ${m}`);
            assert.equal(withMark(log, hidden).length, 0, 'the replay ignored the permission rules');
            const ids = log.filter((e) => e.name === 'whatsapp:chat_updated').map((e) => e.data.eventId);
            for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `event ids in order: ${ids}`);

            // The same history through REST, under the same rules.
            const fromId = withMark(log, m0)[0].data.eventId;
            const page = await world.srv.ok(world.srv.get(`/api/events?after=${fromId}`, world.tokens.mgrRead), 'GET /api/events');
            const names = page.items.filter((e) => e.name === 'whatsapp:chat_updated').map((e) => e.data?.chat?.name);
            for (const m of missed) assert.ok(names.includes(m), `GET /api/events lists ${m}`);
            assert.ok(!names.includes(hidden), 'GET /api/events shows a session without canRead');
        });

        it('an unknown pid is not recovered and gets a fresh session', async () => {
            const s = track(await connect(url, { auth: { token: world.tokens.admin, pid: 'forged-pid', offset: '0' }, transports: ['websocket'] }));
            assert.equal(s.recovered, false);
        });

        it('an unknown namespace gets connect_error', async () => {
            await assert.rejects(connect(`${url}/admin`, { auth: { token: world.tokens.admin }, transports: ['websocket'] }),
                /Invalid namespace/);
        });

        it('malformed packets, binary frames and oversize frames close only the offending connection', async () => {
            const good = track(await connect(url, { auth: { token: world.tokens.admin }, transports: ['websocket'] }));
            const glog = record(good);

            // Malformed Socket.IO packet after a valid CONNECT.
            const bad = await rawSocket(url);
            assert.match(bad.frames[0], /^0\{"sid":/);
            const open = JSON.parse(bad.frames[0].slice(1));
            assert.equal(typeof open.pingInterval, 'number');
            assert.equal(typeof open.maxPayload, 'number');
            bad.ws.send(`40${JSON.stringify({ token: world.tokens.admin })}`);
            await waitFor(() => bad.frames.some((f) => typeof f === 'string' && f.startsWith('40{')), 'CONNECT reply');
            bad.ws.send('42["x",');
            await waitFor(() => bad.closed() !== null, 'close after a malformed packet');
            assert.ok(bad.frames.some((f) => typeof f === 'string' && f.startsWith('44{')), 'CONNECT_ERROR explains the close');

            // Unknown Engine.IO packet type.
            const bad2 = await rawSocket(url);
            bad2.ws.send('9hello');
            await waitFor(() => bad2.closed() !== null, 'close after an unknown packet type');

            // Binary frame.
            const bin = await rawSocket(url);
            bin.ws.send(Buffer.from([4, 1, 2, 3]));
            await waitFor(() => bin.closed() !== null, 'close after a binary frame');

            // Oversize frame.
            const big = await rawSocket(url);
            const max = JSON.parse(big.frames[0].slice(1)).maxPayload;
            big.ws.send(`4${'x'.repeat(max + 10)}`);
            await waitFor(() => big.closed() !== null, 'close after an oversize frame');

            // Polling: a garbage body ends that session with a 400, not the server.
            const hs = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
            const sid = JSON.parse((await hs.text()).slice(1)).sid;
            const post = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '\x1e\x1e9' });
            assert.equal(post.status, 400);
            await post.text();
            const poll = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
            assert.equal(poll.status, 400);
            assert.equal((await poll.json()).code, 1);

            // Protocol errors at the Engine.IO level.
            const v3 = await fetch(`${url}/socket.io/?EIO=3&transport=polling`);
            assert.equal(v3.status, 400);
            assert.equal((await v3.json()).code, 5);
            const tr = await fetch(`${url}/socket.io/?EIO=4&transport=carrier-pigeon`);
            assert.equal(tr.status, 400);
            assert.equal((await tr.json()).code, 0);

            // The well-behaved client is untouched and the server is healthy.
            const m = await produce(world, world.sessions.S1, newMark('survivor'));
            await waitFor(() => withMark(glog, m).length === 1, 'the good socket still receives');
            assert.ok(good.connected);
            await world.srv.assertHealthy();
        });
    });
}

// whatsapp:qr comes from a real engine: wadesk runs its native WhatsApp client against the
// emulator (wadesk-sim), so starting a session produces real QR events. The same server runs
// with non-default Engine.IO settings (WADESK_SIO_*), which the open packet and the heartbeat
// must follow.
describe('realtime whatsapp:qr and Engine.IO settings (native engine against the emulator)', () => {
    let sim;
    let srv;
    let tokens;
    let managerId;
    const open = [];
    const track = (s) => { open.push(s); return s; };
    const kPingInterval = 1500, kPingTimeout = 2500, kMaxPayload = 4096;

    before(async () => {
        sim = await startSim();
        srv = new TestServer({
            backend: 'sqlite',
            env: {
                WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey,
                WADESK_SIO_PING_INTERVAL_MS: String(kPingInterval), WADESK_SIO_PING_TIMEOUT_MS: String(kPingTimeout),
                WADESK_SIO_MAX_PAYLOAD: String(kMaxPayload),
            },
        });
        const company = await srv.createCompany({ name: 'QR Co' });
        const manager = await srv.createUser({ companyId: company.companyId });
        managerId = manager.userId;
        await srv.start();
        tokens = {
            admin: await srv.login(company.adminEmail, company.adminPassword),
            manager: await srv.login(manager.email, manager.password),
        };
    });
    after(async () => {
        for (const s of open) s.close();
        await srv?.stop();
        await sim?.close();
    });

    it('announces and applies the configured pingInterval, pingTimeout and maxPayload', async () => {
        const hs = await fetch(`${srv.baseUrl}/socket.io/?EIO=4&transport=polling`);
        const text = await hs.text();
        assert.match(text, /^0\{/);
        const info = JSON.parse(text.slice(1));
        assert.equal(info.pingInterval, kPingInterval);
        assert.equal(info.pingTimeout, kPingTimeout);
        assert.equal(info.maxPayload, kMaxPayload);

        // The heartbeat follows the setting: a ping within pingInterval (plus the sweep period).
        const raw = await rawSocket(srv.baseUrl);
        const t0 = Date.now();
        await waitFor(() => raw.frames.includes('2'), 'a server ping', kPingInterval + 1500);
        assert.ok(Date.now() - t0 >= kPingInterval - 600, `ping after ${Date.now() - t0} ms`);
        // Without a pong the session ends within pingTimeout (plus the sweep period).
        const pinged = Date.now();
        await waitFor(() => raw.closed() !== null, 'close after a missed pong', kPingTimeout + 2000);
        assert.ok(Date.now() - pinged >= kPingTimeout - 600);

        // A frame within maxPayload is accepted, one over it closes with 1009.
        const ok = await rawSocket(srv.baseUrl);
        ok.ws.send(`40${JSON.stringify({ token: tokens.admin, pad: 'x'.repeat(kMaxPayload - 1000) })}`);
        await waitFor(() => ok.frames.some((f) => typeof f === 'string' && f.startsWith('40{')), 'CONNECT reply');
        ok.ws.send(`4${'x'.repeat(kMaxPayload + 1)}`);
        await waitFor(() => ok.closed() !== null, 'close after an oversize frame');
        assert.equal(ok.closed().code, 1009);

        // The official client keeps its connection across several heartbeats.
        const client = track(await connect(srv.baseUrl, { auth: { token: tokens.admin }, transports: ['websocket'] }));
        await sleep(kPingInterval * 2 + 500);
        assert.ok(client.connected);
    });

    it('whatsapp:qr reaches admins only, never a manager with canRead on the session', async () => {
        // A session whose first QR is out; then it is logged out, so that `start` below makes
        // a fresh QR while the manager holds canRead and both sockets are live.
        const id = (await srv.ok(srv.post('/api/whatsapp/sessions', tokens.admin, { name: 'qr' }), 'create')).sessionId;
        const deadline = Date.now() + 20000;
        for (;;) {
            const q = await srv.ok(srv.get(`/api/whatsapp/sessions/${id}/qr`, tokens.admin), 'qr');
            if (q.qrCode) break;
            if (Date.now() > deadline) throw new Error('no QR from the engine');
            await sleep(100);
        }
        await srv.ok(srv.post(`/api/whatsapp/sessions/${id}/disconnect`, tokens.admin), 'disconnect');
        await srv.ok(srv.post(`/api/whatsapp/sessions/${id}/access`, tokens.admin, {
            managerId, canRead: true, canWrite: false, canManageChats: false,
        }), 'grant');

        const admin = track(await connect(srv.baseUrl, { auth: { token: tokens.admin }, transports: ['websocket'] }));
        const manager = track(await connect(srv.baseUrl, { auth: { token: tokens.manager } }));  // polling → websocket
        const alog = record(admin);
        const mlog = record(manager);

        await srv.ok(srv.post(`/api/whatsapp/sessions/${id}/start`, tokens.admin), 'start');
        await waitFor(() => alog.some((e) => e.name === 'whatsapp:qr' && e.data.sessionId === id), 'whatsapp:qr at the admin', 20000);
        const qr = alog.find((e) => e.name === 'whatsapp:qr');
        assert.match(qr.data.qrCode, /^data:image\/png;base64,/);
        assert.match(qr.data.qr, /^https:\/\/wa\.me\/settings\/linked_devices#/);
        assert.equal(typeof qr.data.eventId, 'number');

        // The manager's socket is live and sees this session's other events ...
        await waitFor(() => mlog.some((e) => e.name === 'whatsapp:session_status' && e.data.sessionId === id),
            'whatsapp:session_status at the manager');
        await sleep(kSettleMs);
        // ... but never its QR.
        assert.deepEqual(mlog.filter((e) => e.name === 'whatsapp:qr'), []);
        assert.ok(alog.some((e) => e.name === 'whatsapp:session_status' && e.data.sessionId === id));

        // The REST history applies the same rule.
        const hist = async (tok) => (await srv.ok(srv.get('/api/events?after=0&limit=200', tok), 'events'));
        const names = (page) => page.items.map((e) => e.name);
        assert.ok(names(await hist(tokens.admin)).includes('whatsapp:qr'));
        assert.ok(!names(await hist(tokens.manager)).includes('whatsapp:qr'));
    });
});
