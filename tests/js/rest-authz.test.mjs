// Authorization matrix (SPEC §1, §2): every REST endpoint × every kind of caller, against the real
// server on SQLite and on PostgreSQL. The expected status of each cell is written in the table
// below; "ok" means a 2xx answer with {"success":true}. Every non-2xx cell must carry the error
// envelope, and a 404 never carries data. Another company's ids answer 404, never 403.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, show, isErrorEnvelope } from './lib/server.mjs';
import { buildWorld, throwawaySession, deleteSessionQuietly } from './lib/rest-world.mjs';

// Callers, in the order of the table's columns.
const kCallers = ['anon', 'malformed', 'algNone', 'expired', 'wrongKey',
    'admin', 'adminB', 'mgrNone', 'mgrR', 'mgrW', 'mgrM', 'mgrRW', 'mgrRM'];

// Rows: one per kind of rule. Columns follow kCallers. mgrW and mgrM were granted Write only and
// Manage only: a right implies canRead, so they answer like mgrRW and mgrRM.
//                 anon malf none  exp  key  admin adminB  mgr0  R     W    M    RW    RM
const R = {
    publicAny:   [ 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    anyUser:     [ 401, 401, 401, 401, 401, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    adminOwn:    [ 401, 401, 401, 401, 401, 'ok', 'ok', 403, 403, 403, 403, 403, 403],
    adminOfA:    [ 401, 401, 401, 401, 401, 'ok', 404, 403, 403, 403, 403, 403, 403],
    // Admin-only operations on one session: a manager who cannot see the session (no canRead)
    // gets 404 for it like for any session it cannot see; one who can see it gets 403.
    adminS:      [ 401, 401, 401, 401, 401, 'ok', 404, 404, 403, 403, 403, 403, 403],
    // Linking by code needs the engine's connection to WhatsApp, absent from this build.
    pairingS:    [ 401, 401, 401, 401, 401, 503, 404, 404, 403, 403, 403, 403, 403],
    readS:       [ 401, 401, 401, 401, 401, 'ok', 404, 404, 'ok', 'ok', 'ok', 'ok', 'ok'],
    manageS:     [ 401, 401, 401, 401, 401, 'ok', 404, 404, 403, 403, 'ok', 403, 'ok'],
    // No engine: a session never connects, so an allowed send ends in 503 session_not_connected.
    sendS:       [ 401, 401, 401, 401, 401, 503, 404, 404, 403, 503, 403, 503, 403],
};

// Every endpoint: method, path (from the world and the per-cell context), body, rule row, and
// optional setup (runs before the cell; returns a context) / cleanup / extra check.
function endpoints(w) {
    const S = w.sessionId;
    const C = w.chats[0].id;
    const s = `/api/whatsapp/sessions/${S}`;
    return [
        { name: 'GET /health', method: 'GET', path: () => '/health', rule: R.publicAny },
        { name: 'GET /ready', method: 'GET', path: () => '/ready', rule: R.publicAny },
        { name: 'GET /metrics', method: 'GET', path: () => '/metrics', rule: R.publicAny, raw: true },
        { name: 'GET /api/openapi.json', method: 'GET', path: () => '/api/openapi.json', rule: R.publicAny, raw: true },
        {
            name: 'POST /api/auth/login', method: 'POST', path: () => '/api/auth/login', rule: R.publicAny,
            // The Authorization header plays no part in logging in; only two callers to stay
            // under the login rate limit.
            only: ['anon', 'malformed'],
            body: () => ({ email: w.users.victim.email, password: w.users.victim.password }),
        },
        {
            name: 'GET /api/auth/me', method: 'GET', path: () => '/api/auth/me', rule: R.anyUser,
            check: (caller, res) => {
                const expectId = { admin: w.A.adminId, adminB: w.B.adminId }[caller] ?? w.users[caller]?.userId;
                const u = res.json.data.user ?? res.json.data;
                assert.equal(u.id, expectId, `me of ${caller}: ${show(res)}`);
            },
        },
        {
            name: 'GET /api/auth/me/access', method: 'GET', path: () => '/api/auth/me/access', rule: R.anyUser,
            check: (caller, res) => {
                const onS = res.json.data.filter((r) => r.sessionId === S)
                    .map((r) => [r.canRead, r.canWrite, r.canManageChats]);
                const expected = {
                    admin: [true, true, true], adminB: null, mgrNone: null, mgrR: [true, false, false],
                    mgrW: [true, true, false], mgrM: [true, false, true], mgrRW: [true, true, false], mgrRM: [true, false, true],
                }[caller];
                assert.deepEqual(onS, expected ? [expected] : [], `rights of ${caller} on S: ${show(res)}`);
            },
        },
        {
            name: 'GET /api/managers', method: 'GET', path: () => '/api/managers', rule: R.adminOwn,
            check: (caller, res) => {
                const text = JSON.stringify(res.json.data);
                if (caller === 'adminB') assert.ok(!text.includes(w.users.mgrR.userId), 'B sees A managers');
                if (caller === 'admin') assert.ok(text.includes(w.users.mgrR.userId), 'A misses its manager');
                if (caller === 'admin') assert.ok(!text.includes(w.users.mgrB.userId), 'A sees B manager');
            },
        },
        {
            name: 'POST /api/managers', method: 'POST', path: () => '/api/managers', rule: R.adminOwn,
            body: (caller) => ({ email: `new-${caller}-${Date.now()}@example.test`, password: 'a-long-password-1', name: 'New' }),
        },
        {
            name: 'PATCH /api/managers/{id}', method: 'PATCH', path: () => `/api/managers/${w.users.victim.userId}`,
            rule: R.adminOfA, body: () => ({ name: 'Renamed victim' }),
        },
        {
            name: 'DELETE /api/managers/{id}', method: 'DELETE', rule: R.adminOfA,
            setup: async () => {
                const d = await w.srv.ok(w.srv.post('/api/managers', w.tokens.admin,
                    { email: `doomed-${Date.now()}-${Math.random()}@example.test`, password: 'a-long-password-1', name: 'Doomed' }));
                return { id: (d.user ?? d.manager ?? d).id };
            },
            path: (ctx) => `/api/managers/${ctx.id}`,
        },
        {
            name: 'GET /api/whatsapp/sessions', method: 'GET', path: () => '/api/whatsapp/sessions', rule: R.anyUser,
            check: (caller, res) => {
                const list = sessionsOf(res);
                const ids = list.map((x) => x.id ?? x.sessionId);
                const seesS = ['admin', 'mgrR', 'mgrW', 'mgrM', 'mgrRW', 'mgrRM'].includes(caller);
                assert.equal(ids.includes(S), seesS, `${caller} sees S=${ids.includes(S)}: ${show(res)}`);
                assert.equal(ids.includes(w.sessionIdB), caller === 'adminB', `${caller} and SB: ${show(res)}`);
            },
        },
        {
            name: 'POST /api/whatsapp/sessions', method: 'POST', path: () => '/api/whatsapp/sessions', rule: R.adminOwn,
            body: () => ({ name: 'matrix' }),
            cleanup: async (caller, res) => {
                if (res.json?.data?.sessionId) {
                    const tok = caller === 'adminB' ? w.tokens.adminB : w.tokens.admin;
                    await w.srv.del(`/api/whatsapp/sessions/${res.json.data.sessionId}?purge=true`, tok);
                }
            },
        },
        { name: 'GET /sessions/{id}', method: 'GET', path: () => s, rule: R.readS },
        {
            name: 'PATCH /sessions/{id}', method: 'PATCH', rule: R.adminS,
            setup: async () => ({ id: await throwawaySession(w, { grants: true }) }),
            path: (ctx) => `/api/whatsapp/sessions/${ctx.id}`,
            body: () => ({ name: 'Renamed by the matrix' }),
            check: (_caller, res) => assert.equal(res.json.data.name, 'Renamed by the matrix'),
            cleanup: async (_c, _r, ctx) => deleteSessionQuietly(w, ctx.id),
        },
        {
            name: 'DELETE /sessions/{id}', method: 'DELETE', rule: R.adminS,
            setup: async () => ({ id: await throwawaySession(w, { grants: true }) }),
            path: (ctx) => `/api/whatsapp/sessions/${ctx.id}`,
            cleanup: async (_c, _r, ctx) => deleteSessionQuietly(w, ctx.id),
        },
        {
            name: 'GET /sessions/{id}/qr', method: 'GET', path: () => `${s}/qr`, rule: R.adminS,
            check: (caller, res) => {
                assert.ok('qrCode' in res.json.data, `qr has qrCode: ${show(res)}`);
                assert.equal(res.json.data.qrCode, null, 'no QR without an engine');
                assert.equal(typeof res.json.data.status, 'string');
            },
        },
        {
            name: 'POST /sessions/{id}/disconnect', method: 'POST', rule: R.adminS,
            setup: async () => ({ id: await throwawaySession(w, { grants: true }) }),
            path: (ctx) => `/api/whatsapp/sessions/${ctx.id}/disconnect`,
            cleanup: async (_c, _r, ctx) => deleteSessionQuietly(w, ctx.id),
        },
        {
            name: 'POST /sessions/{id}/start', method: 'POST', rule: R.adminS,
            setup: async () => ({ id: await throwawaySession(w, { grants: true }) }),
            path: (ctx) => `/api/whatsapp/sessions/${ctx.id}/start`,
            cleanup: async (_c, _r, ctx) => deleteSessionQuietly(w, ctx.id),
        },
        {
            // Linking by code needs the engine's connection to WhatsApp: the admin's cell is the
            // not-connected answer once the rights checks pass.
            name: 'POST /sessions/{id}/pairing-code', method: 'POST', rule: R.pairingS, code503: 'engine_unavailable',
            setup: async () => ({ id: await throwawaySession(w, { grants: true }) }),
            path: (ctx) => `/api/whatsapp/sessions/${ctx.id}/pairing-code`,
            body: () => ({ phoneNumber: '79001234567' }),
            cleanup: async (_c, _r, ctx) => deleteSessionQuietly(w, ctx.id),
        },
        {
            name: 'GET /sessions/{id}/access', method: 'GET', path: () => `${s}/access`, rule: R.adminS,
            check: (_caller, res) => {
                const text = JSON.stringify(res.json.data);
                assert.ok(text.includes(w.users.mgrR.userId), `access list names mgrR: ${show(res)}`);
            },
        },
        {
            name: 'POST /sessions/{id}/access', method: 'POST', path: () => `${s}/access`, rule: R.adminS,
            body: () => ({ managerId: w.users.spare.userId, canRead: true, canWrite: false, canManageChats: false }),
        },
        {
            name: 'DELETE /sessions/{id}/access/{managerId}', method: 'DELETE', rule: R.adminS,
            setup: async () => {
                await w.srv.ok(w.srv.post(`${s}/access`, w.tokens.admin,
                    { managerId: w.users.spare.userId, canRead: true, canWrite: true, canManageChats: false }));
                return {};
            },
            path: () => `${s}/access/${w.users.spare.userId}`,
        },
        {
            name: 'GET /sessions/{id}/chats', method: 'GET', path: () => `${s}/chats`, rule: R.readS,
            check: (_caller, res) => {
                const ids = chatsOf(res).map((c) => c.id);
                assert.ok(ids.includes(C), `chat list has C: ${show(res)}`);
            },
        },
        { name: 'GET /chats/{chatId}', method: 'GET', path: () => `${s}/chats/${C}`, rule: R.readS },
        { name: 'GET /sessions/{id}/contacts', method: 'GET', path: () => `${s}/contacts`, rule: R.readS },
        {
            name: 'GET /sessions/{id}/assignees', method: 'GET', path: () => `${s}/assignees`, rule: R.manageS,
            check: (caller, res) => {
                // Who can read S: the admin and the managers with a grant on it (mgrNone cannot).
                const ids = res.json.data.map((u) => u.id);
                assert.ok(ids.includes(w.A.adminId) && ids.includes(w.users.mgrR.userId), `assignees: ${show(res)}`);
                assert.ok(!ids.includes(w.users.mgrNone.userId) && !ids.includes(w.users.mgrB.userId), `assignees: ${show(res)}`);
            },
        },
        { name: 'PATCH /chats/{chatId}', method: 'PATCH', path: () => `${s}/chats/${C}`, rule: R.manageS, body: () => ({ pinned: true }) },
        { name: 'POST /chats/{chatId}/read', method: 'POST', path: () => `${s}/chats/${C}/read`, rule: R.readS },
        {
            name: 'GET /chats/{chatId}/messages', method: 'GET', path: () => `${s}/chats/${C}/messages`, rule: R.readS,
            check: (_caller, res) => assert.ok(messagesOf(res).length > 0, `messages: ${show(res)}`),
        },
        {
            name: 'POST /chats/{chatId}/send', method: 'POST', path: () => `${s}/chats/${C}/send`, rule: R.sendS,
            body: () => ({ message: 'hello from the matrix' }),
        },
        {
            name: 'GET /api/whatsapp/stats', method: 'GET', path: () => '/api/whatsapp/stats', rule: R.adminOwn,
        },
        {
            name: 'GET /api/audit', method: 'GET', path: () => '/api/audit', rule: R.adminOwn,
            check: (caller, res) => {
                const text = JSON.stringify(res.json.data);
                if (caller === 'adminB') assert.ok(!text.includes(S), 'B audit names A session');
            },
        },
        {
            name: 'GET /api/events', method: 'GET', path: () => '/api/events?after=0', rule: R.anyUser,
            check: (caller, res) => {
                const text = JSON.stringify(res.json.data);
                if (caller === 'adminB') assert.ok(!text.includes(S), 'B events name A session');
                if (caller === 'mgrNone') {
                    assert.ok(!text.includes(S), `${caller} without canRead gets events of S`);
                }
            },
        },
    ];
}

export function sessionsOf(res) {
    const d = res.json.data;
    return Array.isArray(d) ? d : (d.sessions ?? d.items ?? []);
}
export function chatsOf(res) {
    const d = res.json.data;
    return Array.isArray(d) ? d : (d.chats ?? d.items ?? []);
}
export function messagesOf(res) {
    const d = res.json.data;
    return Array.isArray(d) ? d : (d.messages ?? d.items ?? []);
}

for (const backend of backends()) {
    describe(`authorization matrix [${backend}]`, () => {
        let w;
        before(async () => { w = await buildWorld(backend); });
        after(async () => { if (w) await w.srv.stop(); });

        it('answers every cell as the table says', async () => {
            const failures = [];
            let cells = 0;
            for (const ep of endpoints(w)) {
                kCallers.forEach((c, i) => { if (ep.rule[i] === undefined) throw new Error(`${ep.name}: no cell for ${c}`); });
                for (const [i, caller] of kCallers.entries()) {
                    if (ep.only && !ep.only.includes(caller)) continue;
                    const want = ep.rule[i];
                    const ctx = ep.setup ? await ep.setup(caller) : {};
                    const token = caller === 'anon' ? undefined : w.tokens[caller];
                    const res = await w.srv.req(ep.method, ep.path(ctx), { token, body: ep.body?.(caller) });
                    cells++;
                    try {
                        if (want === 'ok') {
                            assert.ok(res.status >= 200 && res.status < 300, `want 2xx, got ${show(res)}`);
                            if (!ep.raw) assert.equal(res.json?.success, true, `want success:true, got ${show(res)}`);
                            if (ep.check) ep.check(caller, res);
                        } else {
                            assert.equal(res.status, want, `want ${want}, got ${show(res)}`);
                            assert.ok(isErrorEnvelope(res), `want error envelope, got ${show(res)}`);
                            assert.ok(!('data' in res.json), `error carries data: ${show(res)}`);
                            if (want === 503) assert.equal(res.json.error.code, ep.code503 ?? 'session_not_connected', show(res));
                            if (want === 401 && caller !== 'anon') assert.ok(!res.text.includes(w.A.adminEmail), 'leaks');
                        }
                    } catch (e) {
                        failures.push(`${ep.name} as ${caller}: ${e.message}`);
                    }
                    if (ep.cleanup) await ep.cleanup(caller, res, ctx);
                }
            }
            await w.srv.assertHealthy();
            assert.ok(cells > 300, `ran ${cells} cells`);
            assert.deepEqual(failures, [], `${failures.length} of ${cells} cells wrong:\n${failures.join('\n')}`);
        });

        it('stores no message for refused or not-connected sends', async () => {
            const C = w.chats[0];
            const res = await w.srv.get(`/api/whatsapp/sessions/${w.sessionId}/chats/${C.id}/messages?limit=200`, w.tokens.admin);
            assert.equal(res.status, 200, show(res));
            const bodies = messagesOf(res).map((m) => m.body);
            assert.ok(!bodies.includes('hello from the matrix'), 'a refused send left a message');
            assert.equal(messagesOf(res).length, C.messages, show(res));
        });

        it('revoking a grant takes effect at once', async () => {
            const { srv, tokens, users, sessionId } = w;
            const url = `/api/whatsapp/sessions/${sessionId}/chats`;
            await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, tokens.admin,
                { managerId: users.mgrNone.userId, canRead: true, canWrite: false, canManageChats: false }));
            assert.equal((await srv.get(url, tokens.mgrNone)).status, 200);
            const del = await srv.del(`/api/whatsapp/sessions/${sessionId}/access/${users.mgrNone.userId}`, tokens.admin);
            assert.ok(del.status >= 200 && del.status < 300, show(del));
            const after = await srv.get(url, tokens.mgrNone);
            assert.equal(after.status, 404, show(after));
            // A grant with every flag false is no access.
            await srv.ok(srv.post(`/api/whatsapp/sessions/${sessionId}/access`, tokens.admin,
                { managerId: users.mgrNone.userId, canRead: false, canWrite: false, canManageChats: false }));
            assert.equal((await srv.get(url, tokens.mgrNone)).status, 404);
            await srv.del(`/api/whatsapp/sessions/${sessionId}/access/${users.mgrNone.userId}`, tokens.admin);
        });

        it('a disabled manager is refused at once', async () => {
            const { srv, tokens, A } = w;
            const created = await srv.ok(srv.post('/api/managers', tokens.admin,
                { email: `tobedisabled-${Date.now()}@example.test`, password: 'a-long-password-1', name: 'Temp' }));
            const id = (created.user ?? created.manager ?? created).id;
            const email = (created.user ?? created.manager ?? created).email;
            const tok = await srv.login(email, 'a-long-password-1');
            assert.equal((await srv.get('/api/auth/me', tok)).status, 200);
            const p = await srv.patch(`/api/managers/${id}`, tokens.admin, { disabled: true });
            assert.equal(p.status, 200, show(p));
            const me = await srv.get('/api/auth/me', tok);
            assert.equal(me.status, 401, show(me));
            assert.ok(isErrorEnvelope(me));
            const again = await srv.post('/api/auth/login', undefined, { email, password: 'a-long-password-1' });
            assert.ok(again.status === 401 || again.status === 403, show(again));
            assert.ok(A.companyId);
        });
    });
}
