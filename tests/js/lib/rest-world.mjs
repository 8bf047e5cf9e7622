// The tenant fixture shared by the REST suites: two companies on one real server, company A
// with managers holding every kind of grant on A's session, chats with messages in both.
import { TestServer, decodeJwtPayload, signJwt, show } from './server.mjs';
import { randomBytes } from 'node:crypto';

// Grants of the matrix managers on session S of company A (flags: read, write, manage).
export const kManagerGrants = {
    mgrNone: null,                        // a manager of A with no grant at all
    mgrR: [true, false, false],
    mgrW: [false, true, false],           // stored with canRead: a right implies it
    mgrM: [false, false, true],           // the same
    mgrRW: [true, true, false],
    mgrRM: [true, false, true],
};

// Builds the world and returns it; call world.srv.stop() in after().
export async function buildWorld(backend, { chatsPerSession = 3, messagesPerChat = 40 } = {}) {
    const srv = new TestServer({ backend });
    const A = await srv.createCompany({ name: 'Alpha Co' });
    const B = await srv.createCompany({ name: 'Beta Co' });
    const users = {};
    for (const key of Object.keys(kManagerGrants)) {
        users[key] = await srv.createUser({ companyId: A.companyId, role: 'manager' });
    }
    users.spare = await srv.createUser({ companyId: A.companyId, role: 'manager' });   // target of grants
    users.victim = await srv.createUser({ companyId: A.companyId, role: 'manager' });  // target of PATCH
    users.mgrB = await srv.createUser({ companyId: B.companyId, role: 'manager' });
    await srv.start();

    const tokens = {
        admin: await srv.login(A.adminEmail, A.adminPassword),
        adminB: await srv.login(B.adminEmail, B.adminPassword),
    };
    for (const key of [...Object.keys(kManagerGrants), 'mgrB']) {
        tokens[key] = await srv.login(users[key].email, users[key].password);
    }

    const S = await srv.ok(srv.post('/api/whatsapp/sessions', tokens.admin, { name: 'Alpha main' }), 'create S');
    const SB = await srv.ok(srv.post('/api/whatsapp/sessions', tokens.adminB, { name: 'Beta main' }), 'create SB');
    const sessionId = S.sessionId;
    const sessionIdB = SB.sessionId;
    if (!sessionId || !sessionIdB) throw new Error('POST /api/whatsapp/sessions gave no data.sessionId');

    for (const [key, flags] of Object.entries(kManagerGrants)) {
        if (!flags) continue;
        await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, tokens.admin, {
            managerId: users[key].userId, canRead: flags[0], canWrite: flags[1], canManageChats: flags[2],
        }), `grant ${key}`);
    }

    const chats = await srv.insertChats(A.companyId, sessionId, Array.from({ length: chatsPerSession }, (_, i) => ({
        jid: `7900100000${i}@s.whatsapp.net`, name: `Alpha customer ${i}`, unread: i, messages: messagesPerChat,
        baseTs: Date.now() - 3600000 * (i + 1),
    })));
    const chatsB = await srv.insertChats(B.companyId, sessionIdB, [{
        jid: '79002000000@s.whatsapp.net', name: 'Beta customer', unread: 1, messages: 5,
    }]);

    // Tokens that must be refused: built from a real token's claims.
    const claims = decodeJwtPayload(tokens.admin);
    const nowS = Math.floor(Date.now() / 1000);
    tokens.expired = signJwt({ ...claims, iat: nowS - 7200, nbf: undefined, exp: nowS - 3600 }, srv.jwtSecret);
    tokens.wrongKey = signJwt({ ...claims, exp: nowS + 3600 }, randomBytes(32).toString('hex'));
    tokens.malformed = 'not-a-jwt';
    tokens.algNone = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.`
        + `${Buffer.from(JSON.stringify({ ...claims, exp: nowS + 3600 })).toString('base64url')}.`;

    return { srv, A, B, users, tokens, sessionId, sessionIdB, chats, chatsB };
}

// Creates a throwaway session of company A (admin) and returns its id; with `grants`, the
// matrix managers get the same grants on it as on S.
export async function throwawaySession(world, { name = 'throwaway', grants = false } = {}) {
    const { srv, tokens, users } = world;
    const d = await srv.ok(srv.post('/api/whatsapp/sessions', tokens.admin, { name }), 'create session');
    if (grants) {
        for (const [key, flags] of Object.entries(kManagerGrants)) {
            if (!flags) continue;
            await srv.ok(srv.post(`/api/whatsapp/sessions/${d.sessionId}/access`, tokens.admin, {
                managerId: users[key].userId, canRead: flags[0], canWrite: flags[1], canManageChats: flags[2],
            }), `grant ${key}`);
        }
    }
    return d.sessionId;
}

export async function deleteSessionQuietly(world, id) {
    const r = await world.srv.del(`/api/whatsapp/sessions/${id}?purge=true`, world.tokens.admin);
    if (r.status !== 200 && r.status !== 204 && r.status !== 404) throw new Error(`cleanup delete session: ${show(r)}`);
}
