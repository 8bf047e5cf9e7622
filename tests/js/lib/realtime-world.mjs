// Fixture and helpers of the realtime suites: one real wadesk server, two companies, the
// official socket.io-client, and a producer that drives real events through the REST API
// (an admin PATCH of a chat's name emits whatsapp:chat_updated carrying that name).
import { io } from 'socket.io-client';
import { TestServer, sleep } from './server.mjs';

// Company A: admin, mgrRead (canRead on S1 only), mgrNone (no grant), mgrOff (canRead on S1,
// disabled during a test); sessions S1, S2 with one chat each. Company B: admin, session SB
// with one chat. `env`: extra server environment.
export async function buildRealtimeWorld(backend, env = {}) {
    const srv = new TestServer({ backend, env });
    const A = await srv.createCompany({ name: 'Realtime A' });
    const B = await srv.createCompany({ name: 'Realtime B' });
    const users = {
        mgrRead: await srv.createUser({ companyId: A.companyId }),
        mgrNone: await srv.createUser({ companyId: A.companyId }),
        mgrOff: await srv.createUser({ companyId: A.companyId }),
        mgrRevoke: await srv.createUser({ companyId: A.companyId }),
    };
    await srv.start();
    const tokens = {
        admin: await srv.login(A.adminEmail, A.adminPassword),
        adminB: await srv.login(B.adminEmail, B.adminPassword),
    };
    for (const [k, u] of Object.entries(users)) tokens[k] = await srv.login(u.email, u.password);
    const S1 = (await srv.ok(srv.post('/api/whatsapp/sessions', tokens.admin, { name: 'rt S1' }), 'create S1')).sessionId;
    const S2 = (await srv.ok(srv.post('/api/whatsapp/sessions', tokens.admin, { name: 'rt S2' }), 'create S2')).sessionId;
    const SB = (await srv.ok(srv.post('/api/whatsapp/sessions', tokens.adminB, { name: 'rt SB' }), 'create SB')).sessionId;
    for (const key of ['mgrRead', 'mgrOff', 'mgrRevoke']) {
        await srv.ok(srv.post(`/api/whatsapp/sessions/${S1}/access`, tokens.admin, {
            managerId: users[key].userId, canRead: true, canWrite: false, canManageChats: false,
        }), `grant ${key}`);
    }
    const [c1] = await srv.insertChats(A.companyId, S1, [{ jid: '79003000001@s.whatsapp.net', name: 'rt c1' }]);
    const [c2] = await srv.insertChats(A.companyId, S2, [{ jid: '79003000002@s.whatsapp.net', name: 'rt c2' }]);
    const [cb] = await srv.insertChats(B.companyId, SB, [{ jid: '79003000003@s.whatsapp.net', name: 'rt cb' }]);
    return {
        srv, A, B, users, tokens,
        sessions: { S1, S2, SB },
        chats: { [S1]: c1.id, [S2]: c2.id, [SB]: cb.id },
        adminOf: { [S1]: tokens.admin, [S2]: tokens.admin, [SB]: tokens.adminB },
    };
}

let markSerial = 0;
export function newMark(tag = 'm') { return `${tag}-${process.pid}-${Date.now().toString(36)}-${markSerial++}`; }

// Emits one whatsapp:chat_updated on `sessionId` whose chat.name is `mark`.
export async function produce(world, sessionId, mark) {
    await world.srv.ok(world.srv.patch(`/api/whatsapp/sessions/${sessionId}/chats/${world.chats[sessionId]}`,
        world.adminOf[sessionId], { name: mark }), `PATCH chat of ${sessionId}`);
    return mark;
}

// Connects the official client; resolves once connected, rejects on connect_error.
export function connect(baseUrl, options = {}) {
    const socket = io(baseUrl, { reconnection: false, forceNew: true, timeout: 5000, ...options });
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { socket.close(); reject(new Error('connect timed out')); }, 8000);
        socket.once('connect', () => { clearTimeout(timer); resolve(socket); });
        socket.once('connect_error', (err) => { clearTimeout(timer); socket.close(); reject(err); });
    });
}

// Records every event a socket receives: [{ name, data, args }].
export function record(socket) {
    const log = [];
    socket.onAny((name, ...args) => log.push({ name, data: args[0], args }));
    return log;
}

// The recorded chat_updated events carrying `mark`.
export function withMark(log, mark) {
    return log.filter((e) => e.name === 'whatsapp:chat_updated' && e.data?.chat?.name === mark);
}

export async function waitFor(predicate, what, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (predicate()) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
    }
}

export { sleep };
