// Envelope and response shapes of SPEC §1–§6 (login, me, managers, sessions, qr, chats with
// paging and filters, messages with the `before` cursor, stats, audit, events), tenancy between
// two companies, and the send contract while no WhatsApp engine can connect a session. Real
// server, SQLite and PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, show, isErrorEnvelope, newId } from './lib/server.mjs';
import { buildWorld } from './lib/rest-world.mjs';

function arrayIn(data, key) {
    if (Array.isArray(data)) return data;
    if (key && Array.isArray(data?.[key])) return data[key];
    for (const v of Object.values(data ?? {})) if (Array.isArray(v)) return v;
    throw new Error(`no list in ${JSON.stringify(data).slice(0, 300)}`);
}
const userOf = (d) => d.user ?? d.manager ?? d;
const sessionOf = (d) => d.session ?? d;
const chatOf = (d) => d.chat ?? d;

function assertOk(res, status = [200]) {
    assert.ok(status.includes(res.status), `want ${status.join('|')}, got ${show(res)}`);
    assert.equal(res.json?.success, true, show(res));
    assert.ok('data' in res.json, show(res));
    return res.json.data;
}
function assertErr(res, status, code) {
    assert.equal(res.status, status, show(res));
    assert.ok(isErrorEnvelope(res), `error envelope: ${show(res)}`);
    if (code) assert.equal(res.json.error.code, code, show(res));
}
function msOf(v) {
    if (typeof v === 'number') return v;
    const t = Date.parse(v);
    assert.ok(!Number.isNaN(t), `not a time: ${v}`);
    return t;
}

const kChatFields = ['id', 'jid', 'phone', 'lid', 'name', 'isGroup', 'unreadCount', 'lastMessage', 'lastMessageAt', 'archived',
    'pinned', 'muted', 'assignedTo', 'labels'];
const kMessageFields = ['id', 'waMessageId', 'chatId', 'sessionId', 'fromMe', 'sender', 'type', 'body',
    'timestamp', 'status'];

for (const backend of backends()) {
    describe(`REST contract [${backend}]`, () => {
        let w;
        let srv;
        let t;
        let S;
        // Chats for the listing tests: names, activity, flags chosen so each filter selects a
        // known subset.
        let listChats;
        before(async () => {
            w = await buildWorld(backend, { chatsPerSession: 1, messagesPerChat: 120 });
            ({ srv } = w);
            t = w.tokens;
            S = w.sessionId;
            const now = Date.now();
            listChats = await srv.insertChats(w.A.companyId, S, [
                { jid: '79005550001@s.whatsapp.net', name: 'Anna Petrova', unread: 2, messages: 3, baseTs: now - 50000 },
                { jid: '79005550002@s.whatsapp.net', name: 'Boris', unread: 0, messages: 2, baseTs: now - 40000, archived: true },
                { jid: '79005550003@s.whatsapp.net', name: 'anna-maria', unread: 0, messages: 1, baseTs: now - 30000, assignedTo: w.users.mgrR.userId },
                { jid: '120363000000000001@g.us', name: 'Team group', unread: 5, messages: 4, baseTs: now - 20000 },
                { jid: '79005550005@s.whatsapp.net', name: 'Dmitri', unread: 1, messages: 2, baseTs: now - 10000, archived: true, assignedTo: w.users.mgrR.userId },
            ]);
        });
        after(async () => { if (w) await w.srv.stop(); });

        it('login answers {token, expiresAt, user}; bad credentials 401 without telling which', async () => {
            const d = assertOk(await srv.post('/api/auth/login', undefined, { email: w.A.adminEmail, password: w.A.adminPassword }));
            assert.equal(typeof d.token, 'string');
            assert.equal(d.token.split('.').length, 3);
            const exp = msOf(d.expiresAt);
            assert.ok(exp > Date.now() + 60000 && exp < Date.now() + 400 * 86400000, `expiresAt ${d.expiresAt}`);
            assert.equal(d.user.id, w.A.adminId);
            assert.equal(d.user.email, w.A.adminEmail);
            assert.equal(d.user.role, 'admin');
            assert.equal(d.user.companyId, w.A.companyId);
            const text = JSON.stringify(d);
            assert.ok(!/argon2|password/i.test(text), `login leaks a password field: ${text}`);
            // Case-insensitive email.
            assertOk(await srv.post('/api/auth/login', undefined, { email: w.A.adminEmail.toUpperCase(), password: w.A.adminPassword }));
            const wrong = await srv.post('/api/auth/login', undefined, { email: w.users.mgrW.email, password: 'wrong-password' });
            assertErr(wrong, 401);
            const nobody = await srv.post('/api/auth/login', undefined, { email: 'nobody-here@example.test', password: 'wrong-password' });
            assertErr(nobody, 401, wrong.json.error.code);
            assert.equal(nobody.json.error.message, wrong.json.error.message);
        });

        it('login is rate limited after repeated failures (429)', async () => {
            const email = `ratelimited-${Date.now()}@example.test`;
            const statuses = [];
            for (let i = 0; i < 12; i++) {
                const r = await srv.post('/api/auth/login', undefined, { email, password: 'nope' });
                statuses.push(r.status);
                assert.ok(isErrorEnvelope(r), show(r));
            }
            assert.equal(statuses[0], 401);
            assert.equal(statuses.at(-1), 429, `statuses ${statuses}`);
            // Other users are not locked out by it.
            assertOk(await srv.post('/api/auth/login', undefined, { email: w.users.mgrRM.email, password: w.users.mgrRM.password }));
        });

        it('me answers the caller', async () => {
            const d = assertOk(await srv.get('/api/auth/me', t.mgrR));
            const u = userOf(d);
            assert.equal(u.id, w.users.mgrR.userId);
            assert.equal(u.role, 'manager');
            assert.equal(u.companyId, w.A.companyId);
            assert.equal(u.email, w.users.mgrR.email);
        });

        it('minted tokens use the configured secret (control for the expired / wrong-key cells)', async () => {
            const { signJwt, decodeJwtPayload } = await import('./lib/server.mjs');
            const claims = decodeJwtPayload(t.mgrR);
            const fresh = signJwt({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 }, srv.jwtSecret);
            const d = assertOk(await srv.get('/api/auth/me', fresh));
            assert.equal(userOf(d).id, w.users.mgrR.userId);
            assertErr(await srv.get('/api/auth/me', t.expired), 401);
        });

        it('managers: create, list, patch, duplicate, delete', async () => {
            const email = `m-${Date.now()}@example.test`;
            const created = userOf(assertOk(await srv.post('/api/managers', t.admin, { email, password: 'a-long-password-1', name: 'Mila' }), [200, 201]));
            assert.ok(created.id);
            assert.equal(created.email, email);
            assert.equal(created.name, 'Mila');
            assert.equal(created.role, 'manager');
            assert.ok(!/argon2|passwordHash|password_hash/.test(JSON.stringify(created)));
            assertErr(await srv.post('/api/managers', t.admin, { email: email.toUpperCase(), password: 'a-long-password-1' }), 409);
            assertErr(await srv.post('/api/managers', t.adminB, { email, password: 'a-long-password-1' }), 409);
            const list = arrayIn(assertOk(await srv.get('/api/managers', t.admin)), 'managers');
            assert.ok(list.some((u) => u.id === created.id));
            assert.ok(list.every((u) => u.role === 'manager' || u.role === 'admin'));
            const patched = userOf(assertOk(await srv.patch(`/api/managers/${created.id}`, t.admin, { name: 'Mila K' })));
            assert.equal(patched.name, 'Mila K');
            const tok = await srv.login(email, 'a-long-password-1');
            assertOk(await srv.get('/api/auth/me', tok));
            const del = await srv.del(`/api/managers/${created.id}`, t.admin);
            assert.ok(del.status === 200 || del.status === 204, show(del));
            assertErr(await srv.get('/api/auth/me', tok), 401);
            assertErr(await srv.post('/api/auth/login', undefined, { email, password: 'a-long-password-1' }), 401);
            const list2 = arrayIn(assertOk(await srv.get('/api/managers', t.admin)), 'managers');
            assert.ok(!list2.some((u) => u.id === created.id));
            assertErr(await srv.del(`/api/managers/${created.id}`, t.admin), 404);
            // The admin is not a manager to delete through this endpoint.
            const selfDel = await srv.del(`/api/managers/${w.A.adminId}`, t.admin);
            assert.ok([400, 403, 404, 409, 422].includes(selfDel.status) && isErrorEnvelope(selfDel), show(selfDel));
            assertOk(await srv.get('/api/auth/me', t.admin));
        });

        it('sessions: create answers data.sessionId; get, list, qr while no QR, delete', async () => {
            const d = assertOk(await srv.post('/api/whatsapp/sessions', t.admin, { name: 'Shape check' }), [200, 201]);
            assert.equal(typeof d.sessionId, 'string');
            const id = d.sessionId;
            const got = sessionOf(assertOk(await srv.get(`/api/whatsapp/sessions/${id}`, t.admin)));
            assert.equal(got.id, id);
            assert.equal(got.name, 'Shape check');
            assert.equal(got.status, 'initializing');
            const list = arrayIn(assertOk(await srv.get('/api/whatsapp/sessions', t.admin)), 'sessions');
            assert.ok(list.some((s) => s.id === id && s.status === 'initializing'));
            // Rename: trimmed, at most 200 bytes, nothing else may change.
            const renamed = sessionOf(assertOk(await srv.patch(`/api/whatsapp/sessions/${id}`, t.admin, { name: '  Sales desk ' })));
            assert.equal(renamed.name, 'Sales desk');
            assert.equal(sessionOf(assertOk(await srv.get(`/api/whatsapp/sessions/${id}`, t.admin))).name, 'Sales desk');
            assertErr(await srv.patch(`/api/whatsapp/sessions/${id}`, t.admin, { name: 'x'.repeat(201) }), 400);
            assertErr(await srv.patch(`/api/whatsapp/sessions/${id}`, t.admin, {}), 400);
            assertErr(await srv.patch(`/api/whatsapp/sessions/${id}`, t.admin, { status: 'connected' }), 400);
            const qr = assertOk(await srv.get(`/api/whatsapp/sessions/${id}/qr`, t.admin));
            assert.equal(qr.qrCode, null);
            assert.equal(qr.status, 'initializing');
            const del = await srv.del(`/api/whatsapp/sessions/${id}`, t.admin);
            assert.ok(del.status === 200 || del.status === 204, show(del));
            assertErr(await srv.get(`/api/whatsapp/sessions/${id}`, t.admin), 404);
            assertErr(await srv.get(`/api/whatsapp/sessions/${id}/qr`, t.admin), 404);
            assert.ok(!arrayIn(assertOk(await srv.get('/api/whatsapp/sessions', t.admin)), 'sessions').some((s) => s.id === id));
        });

        it('access: list shows flags; grant updates in place; revoke of nothing is 404', async () => {
            const url = `/api/whatsapp/sessions/${S}/access`;
            const list = arrayIn(assertOk(await srv.get(url, t.admin)), 'access');
            const rm = list.find((g) => (g.managerId ?? g.userId) === w.users.mgrRM.userId);
            assert.ok(rm, JSON.stringify(list));
            assert.equal(rm.canRead, true);
            assert.equal(rm.canWrite, false);
            assert.equal(rm.canManageChats, true);
            assert.ok(!list.some((g) => (g.managerId ?? g.userId) === w.users.mgrNone.userId));
            assertOk(await srv.post(url, t.admin, { managerId: w.users.spare.userId, canRead: true, canWrite: false, canManageChats: false }), [200, 201]);
            assertOk(await srv.post(url, t.admin, { managerId: w.users.spare.userId, canRead: true, canWrite: true, canManageChats: false }), [200, 201]);
            const again = arrayIn(assertOk(await srv.get(url, t.admin)), 'access').filter((g) => (g.managerId ?? g.userId) === w.users.spare.userId);
            assert.equal(again.length, 1);
            assert.equal(again[0].canWrite, true);
            // Write or Manage without Read is stored with Read: a right implies seeing the session.
            const implied = assertOk(await srv.post(url, t.admin, { managerId: w.users.spare.userId, canRead: false, canWrite: false, canManageChats: true }), [200, 201]);
            assert.deepEqual([implied.canRead, implied.canWrite, implied.canManageChats], [true, false, true]);
            const del = await srv.del(`${url}/${w.users.spare.userId}`, t.admin);
            assert.ok(del.status === 200 || del.status === 204, show(del));
            assertErr(await srv.del(`${url}/${w.users.spare.userId}`, t.admin), 404);
            // Admins need no grant and cannot be given one.
            const adm = await srv.post(url, t.admin, { managerId: w.A.adminId, canRead: true });
            assert.ok([400, 404, 409, 422].includes(adm.status) && isErrorEnvelope(adm), show(adm));
        });

        it('chats: fields, order by activity, paging without overlap, total', async () => {
            const url = `/api/whatsapp/sessions/${S}/chats`;
            const all = assertOk(await srv.get(`${url}?limit=200`, t.admin));
            const items = arrayIn(all, 'chats');
            assert.equal(items.length, 6);
            if ('total' in all) assert.equal(all.total, 6);
            for (const c of items) for (const f of kChatFields) assert.ok(f in c, `chat lacks ${f}: ${JSON.stringify(c)}`);
            const times = items.map((c) => msOf(c.lastMessageAt));
            assert.deepEqual(times, [...times].sort((a, b) => b - a), 'not newest activity first');
            const group = items.find((c) => c.jid.endsWith('@g.us'));
            assert.equal(group.isGroup, true);
            assert.equal(group.unreadCount, 5);
            assert.equal(group.lastMessage, 'message 3 of Team group');
            assert.deepEqual(group.labels, []);
            const paged = [];
            for (let page = 1; page <= 4; page++) {
                const d = assertOk(await srv.get(`${url}?page=${page}&limit=2`, t.admin));
                const p = arrayIn(d, 'chats');
                assert.ok(p.length <= 2);
                if (page === 4) assert.equal(p.length, 0);
                paged.push(...p.map((c) => c.id));
            }
            assert.deepEqual(paged, items.map((c) => c.id));
            // The default page is the brief's page=1&limit=50.
            assert.deepEqual(arrayIn(assertOk(await srv.get(url, t.admin)), 'chats').map((c) => c.id), paged);
        });

        it('chats: filters search / archived / unread / assignedTo', async () => {
            const url = `/api/whatsapp/sessions/${S}/chats`;
            const names = async (q) => arrayIn(assertOk(await srv.get(`${url}?limit=200&${q}`, t.admin)), 'chats').map((c) => c.name).sort();
            assert.deepEqual(await names('search=anna'), ['Anna Petrova', 'anna-maria']);
            assert.deepEqual(await names('search=ANNA'), ['Anna Petrova', 'anna-maria']);
            assert.deepEqual(await names('search=79005550002'), ['Boris']);
            assert.deepEqual(await names('search=%40g.us'), ['Team group']);
            assert.deepEqual(await names('archived=true'), ['Boris', 'Dmitri']);
            assert.deepEqual(await names('archived=false'), ['Alpha customer 0', 'Anna Petrova', 'Team group', 'anna-maria']);
            assert.deepEqual(await names('unread=true'), ['Anna Petrova', 'Dmitri', 'Team group']);
            assert.deepEqual(await names('unread=false'), ['Alpha customer 0', 'Boris', 'anna-maria']);
            assert.deepEqual(await names(`assignedTo=${w.users.mgrR.userId}`), ['Dmitri', 'anna-maria']);
            assert.deepEqual(await names('archived=false&unread=true&search=a'), ['Anna Petrova', 'Team group']);
            const d = assertOk(await srv.get(`${url}?archived=true&limit=1`, t.admin));
            assert.equal(arrayIn(d, 'chats').length, 1);
            if ('total' in d) assert.equal(d.total, 2);
            // A manager with canRead sees the same chats.
            assert.equal(arrayIn(assertOk(await srv.get(`${url}?limit=200`, t.mgrR)), 'chats').length, 6);
        });

        it('chat by id, by JID, by legacy @c.us and by bare number is the same chat', async () => {
            const c = listChats[0];
            const base = `/api/whatsapp/sessions/${S}/chats`;
            const byId = chatOf(assertOk(await srv.get(`${base}/${c.id}`, t.admin)));
            assert.equal(byId.id, c.id);
            assert.equal(byId.jid, c.jid);
            for (const alias of [c.jid, '79005550001@c.us', '79005550001', '+79005550001']) {
                const r = await srv.get(`${base}/${encodeURIComponent(alias)}`, t.admin);
                assert.equal(chatOf(assertOk(r)).id, c.id, `alias ${alias}`);
            }
        });

        it('PATCH chat (canManageChats) and mark read', async () => {
            const c = listChats[3];
            const base = `/api/whatsapp/sessions/${S}/chats/${c.id}`;
            const p = chatOf(assertOk(await srv.patch(base, t.mgrRM, {
                archived: true, pinned: true, muted: true, labels: ['vip', 'новый'], assignedTo: w.users.mgrRM.userId,
            })));
            assert.equal(p.archived, true);
            assert.equal(p.pinned, true);
            assert.equal(p.muted, true);
            assert.deepEqual(p.labels, ['vip', 'новый']);
            assert.equal(p.assignedTo, w.users.mgrRM.userId);
            const g = chatOf(assertOk(await srv.get(base, t.admin)));
            assert.deepEqual([g.archived, g.pinned, g.muted, g.assignedTo], [true, true, true, w.users.mgrRM.userId]);
            // assignedTo must be a user of this company.
            const bad = await srv.patch(base, t.admin, { assignedTo: w.users.mgrB.userId });
            assert.ok([400, 404, 422].includes(bad.status) && isErrorEnvelope(bad), show(bad));
            const cleared = chatOf(assertOk(await srv.patch(base, t.admin, { archived: false, pinned: false, muted: false, labels: [], assignedTo: null })));
            assert.equal(cleared.assignedTo === null || cleared.assignedTo === '', true, JSON.stringify(cleared));
            assert.deepEqual(cleared.labels, []);
            assert.equal(chatOf(assertOk(await srv.get(base, t.admin))).unreadCount, 5);
            assertOk(await srv.post(`${base}/read`, t.mgrR));
            assert.equal(chatOf(assertOk(await srv.get(base, t.admin))).unreadCount, 0);
        });

        it('messages: fields, newest first, paging, and the before cursor', async () => {
            const chat = w.chats[0];
            const url = `/api/whatsapp/sessions/${S}/chats/${chat.id}/messages`;
            const all = arrayIn(assertOk(await srv.get(`${url}?limit=200`, t.admin)), 'messages');
            assert.equal(all.length, 120);
            for (const f of kMessageFields) assert.ok(f in all[0], `message lacks ${f}: ${JSON.stringify(all[0])}`);
            assert.equal(all[0].chatId, chat.id);
            assert.equal(all[0].sessionId, S);
            assert.equal(typeof all[0].sender, 'object');
            assert.ok('jid' in all[0].sender);
            assert.deepEqual(all.map((m) => m.id), [...chat.messageIds].reverse(), 'not newest first');
            const ts = all.map((m) => msOf(m.timestamp));
            assert.deepEqual(ts, [...ts].sort((a, b) => b - a));
            assert.equal(all[0].body, 'message 119 of Alpha customer 0');
            assert.equal(all[0].fromMe, false);
            assert.equal(all[119].fromMe, true);
            // page/limit
            const p1 = arrayIn(assertOk(await srv.get(url, t.admin)), 'messages');
            assert.deepEqual(p1.map((m) => m.id), all.slice(0, 50).map((m) => m.id), 'default page=1&limit=50');
            const p3 = arrayIn(assertOk(await srv.get(`${url}?page=3&limit=50`, t.admin)), 'messages');
            assert.deepEqual(p3.map((m) => m.id), all.slice(100).map((m) => m.id));
            // before: strictly older than the cursor, newest first, a stable chain to the end.
            const chain = [];
            let cursor = null;
            for (let i = 0; i < 20; i++) {
                const q = cursor ? `?limit=25&before=${cursor}` : '?limit=25';
                const part = arrayIn(assertOk(await srv.get(url + q, t.mgrR)), 'messages');
                if (part.length === 0) break;
                chain.push(...part.map((m) => m.id));
                cursor = part.at(-1).id;
            }
            assert.deepEqual(chain, all.map((m) => m.id));
            const mid = all[37].id;
            const after37 = arrayIn(assertOk(await srv.get(`${url}?before=${mid}&limit=10`, t.admin)), 'messages');
            assert.deepEqual(after37.map((m) => m.id), all.slice(38, 48).map((m) => m.id));
            // A cursor of the oldest message gives an empty page; an unknown cursor is refused.
            assert.equal(arrayIn(assertOk(await srv.get(`${url}?before=${all[119].id}`, t.admin)), 'messages').length, 0);
            const unknown = await srv.get(`${url}?before=${newId()}`, t.admin);
            assert.ok([400, 404].includes(unknown.status) && isErrorEnvelope(unknown), show(unknown));
        });

        it('send on a session that is not connected: 503 session_not_connected, nothing stored', async () => {
            // Without the WhatsApp engine no session reaches `connected`, so no send can succeed
            // end to end here; both attempts of a pair answer 503 and store nothing.
            const chat = w.chats[0];
            const url = `/api/whatsapp/sessions/${S}/chats/${chat.id}/send`;
            const key = `cmid-${Date.now()}`;
            const r1 = await srv.post(url, t.mgrRW, { message: 'idempotent hello', clientMessageId: key });
            const r2 = await srv.post(url, t.mgrRW, { message: 'idempotent hello', clientMessageId: key });
            assertErr(r1, 503, 'session_not_connected');
            assertErr(r2, 503, 'session_not_connected');
            const msgs = arrayIn(assertOk(await srv.get(`/api/whatsapp/sessions/${S}/chats/${chat.id}/messages?limit=200`, t.admin)), 'messages');
            assert.equal(msgs.length, 120);
            assert.ok(!msgs.some((m) => m.body === 'idempotent hello'));
            // To a number that never wrote: still the not-connected answer, no chat created.
            const r3 = await srv.post(`/api/whatsapp/sessions/${S}/chats/79009998877/send`, t.admin, { message: 'first contact' });
            assertErr(r3, 503, 'session_not_connected');
            const chats = arrayIn(assertOk(await srv.get(`/api/whatsapp/sessions/${S}/chats?limit=200`, t.admin)), 'chats');
            assert.equal(chats.length, 6);
        });

        it('a retried send (same clientMessageId) answers the first result and stores nothing new', async () => {
            // The first send of the pair needs a connected session (the engine); its result is
            // put in the database as fixture data: an outgoing message carrying the key, as the
            // first request would have left it. The retry goes through the real REST path.
            const key = `retry-${Date.now()}`;
            const [c] = await srv.insertChats(w.A.companyId, S, [{
                jid: '79005550099@s.whatsapp.net', name: 'Retry customer', messages: 4, clientIds: { 3: key }, sentBy: w.users.mgrRW.userId,
            }]);
            const first = c.messageIds[3];
            const url = `/api/whatsapp/sessions/${S}/chats/${c.id}/send`;
            const auditBefore = arrayIn(assertOk(await srv.get('/api/audit?limit=200', t.admin)), 'entries').length;
            for (const ref of [c.id, c.jid, '79005550099']) {
                const r = await srv.post(`/api/whatsapp/sessions/${S}/chats/${encodeURIComponent(ref)}/send`, t.mgrRW,
                    { message: 'message 3 of Retry customer', clientMessageId: key });
                const m = assertOk(r, [200]);
                assert.equal(m.id, first, show(r));
                assert.equal(m.clientMessageId, key);
                assert.equal(m.fromMe, true);
                assert.equal(m.sentBy, w.users.mgrRW.userId);
            }
            const msgs = arrayIn(assertOk(await srv.get(`${url.replace('/send', '/messages')}?limit=200`, t.admin)), 'messages');
            assert.equal(msgs.length, 4);
            assert.equal(arrayIn(assertOk(await srv.get('/api/audit?limit=200', t.admin)), 'entries').length, auditBefore, 'a retry wrote audit');
            // The key belongs to that chat: reusing it elsewhere is a conflict, not a send.
            const other = await srv.post(`/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}/send`, t.mgrRW, { message: 'x', clientMessageId: key });
            assertErr(other, 409);
            // Rights come before idempotency: a caller without canWrite learns nothing.
            assertErr(await srv.post(url, t.mgrR, { message: 'x', clientMessageId: key }), 403);
            assertErr(await srv.post(url, t.mgrNone, { message: 'x', clientMessageId: key }), 404);
            assertErr(await srv.post(url, t.adminB, { message: 'x', clientMessageId: key }), 404);
            // Clean up the extra chat so the other cases see the fixture they expect.
            await srv.execSql(`DELETE FROM wa_messages WHERE chat_id = '${c.id}'; DELETE FROM wa_chats WHERE id = '${c.id}';`);
        });

        it('stats: totals, 30 days per day including zeros, per session', async () => {
            const d = assertOk(await srv.get('/api/whatsapp/stats', t.admin));
            // Fixture: 120 + 3 + 2 + 1 + 4 + 2 = 132 messages within the last day, every third
            // of each chat (i % 3 == 0) outgoing.
            const counts = [120, 3, 2, 1, 4, 2];
            const outgoing = counts.reduce((s, n) => s + Math.ceil(n / 3), 0);
            const total = counts.reduce((s, n) => s + n, 0);
            assert.equal(d.totalSessions, 1);
            assert.equal(d.activeSessions, 0);
            assert.equal(d.totalChats, 6);
            const m = d.messages;
            assert.equal(m.total, total);
            assert.equal(m.outgoing, outgoing);
            assert.equal(m.incoming, total - outgoing);
            const days = m.perDay;
            assert.equal(days.length, 30, JSON.stringify(days));
            const dates = days.map((x) => x.date);
            const today = new Date().toISOString().slice(0, 10);
            assert.equal(dates.at(-1), today);
            for (let i = 1; i < 30; i++) {
                assert.equal(Date.parse(dates[i]) - Date.parse(dates[i - 1]), 86400000, `days not consecutive: ${dates}`);
            }
            const sumIn = days.reduce((s, x) => s + x.incoming, 0);
            const sumOut = days.reduce((s, x) => s + x.outgoing, 0);
            assert.equal(sumIn, total - outgoing);
            assert.equal(sumOut, outgoing);
            assert.ok(days.filter((x) => x.incoming === 0 && x.outgoing === 0).length >= 28, 'zero days present');
            const per = d.sessions ?? d.perSession;
            assert.ok(Array.isArray(per), JSON.stringify(d));
            const mine = per.find((x) => x.sessionId === S);
            assert.ok(mine, JSON.stringify(per));
            assert.equal(mine.chats, 6);
            assert.equal(mine.incoming + mine.outgoing, total);
            // The other company's numbers are its own.
            const b = assertOk(await srv.get('/api/whatsapp/stats', t.adminB));
            assert.equal(b.totalChats, 1);
            assert.equal(b.messages.total, 5);
            assert.ok(!JSON.stringify(b).includes(S));
        });

        it('audit: state changes are recorded with who, what, target, when, from where', async () => {
            const sess = assertOk(await srv.post('/api/whatsapp/sessions', t.admin, { name: 'audited' }), [200, 201]).sessionId;
            assertOk(await srv.post(`/api/whatsapp/sessions/${sess}/access`, t.admin, { managerId: w.users.spare.userId, canRead: true }), [200, 201]);
            await srv.del(`/api/whatsapp/sessions/${sess}/access/${w.users.spare.userId}`, t.admin);
            await srv.patch(`/api/whatsapp/sessions/${S}/chats/${listChats[1].id}`, t.mgrRM, { pinned: true });
            await srv.del(`/api/whatsapp/sessions/${sess}`, t.admin);
            const d = assertOk(await srv.get('/api/audit?limit=200', t.admin));
            const entries = arrayIn(d, 'entries');
            for (const e of entries.slice(0, 5)) {
                for (const f of ['id', 'action', 'userId', 'targetType', 'targetId', 'ip', 'createdAt']) {
                    assert.ok(f in e, `audit entry lacks ${f}: ${JSON.stringify(e)}`);
                }
            }
            const ids = entries.map((e) => Number(e.id));
            assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'audit newest first');
            const about = (target) => entries.filter((e) => e.targetId === target || JSON.stringify(e).includes(target));
            const sessEntries = about(sess);
            assert.ok(sessEntries.length >= 4, `audit for session ${sess}: ${JSON.stringify(sessEntries)}`);
            assert.ok(sessEntries.every((e) => e.userId === w.A.adminId));
            assert.ok(sessEntries.every((e) => e.ip === '127.0.0.1' || e.ip === '::ffff:127.0.0.1'), JSON.stringify(sessEntries));
            const chatEntry = about(listChats[1].id);
            assert.ok(chatEntry.some((e) => e.userId === w.users.mgrRM.userId), JSON.stringify(chatEntry));
            // Paging of audit.
            const p = assertOk(await srv.get('/api/audit?page=2&limit=3', t.admin));
            assert.deepEqual(arrayIn(p, 'entries').map((e) => e.id), entries.slice(3, 6).map((e) => e.id));
            // Company B's audit holds none of it.
            const bAudit = JSON.stringify(assertOk(await srv.get('/api/audit?limit=200', t.adminB)));
            assert.ok(!bAudit.includes(sess) && !bAudit.includes(w.A.adminId));
        });

        it('events: increasing ids, replay after an id, company and grant filtering', async () => {
            const d = assertOk(await srv.get('/api/events?after=0', t.admin));
            const events = arrayIn(d, 'events');
            assert.ok(events.length > 0, 'creating sessions produced no event');
            const ids = events.map((e) => Number(e.id));
            for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `ids not increasing: ${ids}`);
            for (const e of events) {
                assert.equal(typeof e.name, 'string');
                assert.ok(e.name.startsWith('whatsapp:'), e.name);
                assert.ok(e.data?.sessionId ?? e.sessionId, `event without sessionId: ${JSON.stringify(e)}`);
            }
            const tail = arrayIn(assertOk(await srv.get(`/api/events?after=${ids.at(-1)}`, t.admin)), 'events');
            assert.equal(tail.length, 0);
            const fromMid = arrayIn(assertOk(await srv.get(`/api/events?after=${ids[0]}`, t.admin)), 'events');
            assert.deepEqual(fromMid.map((e) => Number(e.id)), ids.slice(1));
            const b = JSON.stringify(assertOk(await srv.get('/api/events?after=0', t.adminB)));
            assert.ok(!b.includes(S));
            const none = JSON.stringify(assertOk(await srv.get('/api/events?after=0', t.mgrNone)));
            assert.ok(!none.includes(S));
        });

        it('tenancy: company A admin cannot reach company B ids either', async () => {
            const SB = w.sessionIdB;
            const CB = w.chatsB[0].id;
            for (const [m, p, body] of [
                ['GET', `/api/whatsapp/sessions/${SB}`], ['GET', `/api/whatsapp/sessions/${SB}/qr`],
                ['GET', `/api/whatsapp/sessions/${SB}/chats`], ['GET', `/api/whatsapp/sessions/${SB}/chats/${CB}`],
                ['GET', `/api/whatsapp/sessions/${SB}/chats/${CB}/messages`], ['PATCH', `/api/whatsapp/sessions/${SB}/chats/${CB}`, { pinned: true }],
                ['POST', `/api/whatsapp/sessions/${SB}/chats/${CB}/read`], ['POST', `/api/whatsapp/sessions/${SB}/chats/${CB}/send`, { message: 'x' }],
                ['GET', `/api/whatsapp/sessions/${SB}/access`], ['POST', `/api/whatsapp/sessions/${SB}/access`, { managerId: w.users.mgrB.userId, canRead: true }],
                ['DELETE', `/api/whatsapp/sessions/${SB}/access/${w.users.mgrB.userId}`], ['POST', `/api/whatsapp/sessions/${SB}/disconnect`],
                ['POST', `/api/whatsapp/sessions/${SB}/start`], ['DELETE', `/api/whatsapp/sessions/${SB}`],
                ['PATCH', `/api/managers/${w.users.mgrB.userId}`, { name: 'x' }], ['DELETE', `/api/managers/${w.users.mgrB.userId}`],
                ['PATCH', `/api/managers/${w.B.adminId}`, { name: 'x' }],
            ]) {
                const r = await srv.req(m, p, { token: t.admin, body });
                assertErr(r, 404);
            }
            // Another company's id answers exactly like an id that exists nowhere.
            for (const [mine, theirs] of [
                [`/api/whatsapp/sessions/${newId()}`, `/api/whatsapp/sessions/${SB}`],
                [`/api/whatsapp/sessions/${S}/chats/${newId()}`, `/api/whatsapp/sessions/${S}/chats/${CB}`],
                [`/api/managers/${newId()}`, `/api/managers/${w.users.mgrB.userId}`],
            ]) {
                const a = await srv.req(mine.startsWith('/api/managers') ? 'PATCH' : 'GET', mine, { token: t.admin, body: mine.startsWith('/api/managers') ? { name: 'x' } : undefined });
                const b = await srv.req(theirs.startsWith('/api/managers') ? 'PATCH' : 'GET', theirs, { token: t.admin, body: theirs.startsWith('/api/managers') ? { name: 'x' } : undefined });
                assert.equal(b.text, a.text, `${theirs} differs from an unknown id`);
            }
            assert.ok(!JSON.stringify(assertOk(await srv.get('/api/managers', t.admin))).includes(w.users.mgrB.userId));
            assert.ok(!JSON.stringify(assertOk(await srv.get('/api/whatsapp/sessions', t.admin))).includes(SB));
            // B's data is untouched.
            assert.equal(sessionOf(assertOk(await srv.get(`/api/whatsapp/sessions/${SB}`, t.adminB))).id, SB);
            assert.equal(arrayIn(assertOk(await srv.get(`/api/whatsapp/sessions/${SB}/chats/${CB}/messages`, t.adminB)), 'messages').length, 5);
        });

        it('health, ready, metrics', async () => {
            assert.equal((await srv.get('/health')).status, 200);
            assert.equal((await srv.get('/ready')).status, 200);
            const m = await srv.get('/metrics');
            assert.equal(m.status, 200);
            assert.match(m.headers.get('content-type') ?? '', /^text\/plain/);
            assert.match(m.text, /^# (HELP|TYPE) /m);
            assert.match(m.text, /route="\/api\/whatsapp\/sessions\/\{[a-zA-Z]+\}\/chats"/, 'metrics by route template');
            await srv.assertHealthy();
        });
    });
}
