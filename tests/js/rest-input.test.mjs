// Bad input (SPEC §1, §7): malformed JSON, wrong types, missing fields, oversize bodies, paging
// out of range, invalid UTF-8, SQL metacharacters, ids of the wrong shape. Each gets a 4xx with
// the error envelope; nothing is written; the server stays up. Run on SQLite and PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, show, isErrorEnvelope } from './lib/server.mjs';
import { buildWorld } from './lib/rest-world.mjs';

const kSqlish = "'; DROP TABLE users; --";
const kSqlish2 = "Robert'); DELETE FROM wa_chats WHERE ('1'='1";

function arrayIn(data) {
    if (Array.isArray(data)) return data;
    for (const v of Object.values(data ?? {})) if (Array.isArray(v)) return v;
    return [];
}

// What must not change when bad input is refused.
async function snapshot(w) {
    const { srv, tokens, sessionId } = w;
    const get = async (p) => {
        const r = await srv.get(p, tokens.admin);
        assert.equal(r.status, 200, `${p}: ${show(r)}`);
        return r.json.data;
    };
    const audit = arrayIn(await get('/api/audit?limit=200')).filter((e) => !String(e.action).startsWith('auth.'));
    const chats = arrayIn(await get(`/api/whatsapp/sessions/${sessionId}/chats?limit=200`))
        .map(({ id, name, archived, pinned, muted, labels, assignedTo }) => ({ id, name, archived, pinned, muted, labels, assignedTo }));
    return {
        managers: arrayIn(await get('/api/managers')).map((u) => `${u.id}|${u.email}|${u.name}|${u.disabled}`).sort(),
        sessions: arrayIn(await get('/api/whatsapp/sessions')).map((s) => `${s.id}|${s.name}`).sort(),
        access: JSON.stringify(await get(`/api/whatsapp/sessions/${sessionId}/access`)),
        chats,
        messages: arrayIn(await get(`/api/whatsapp/sessions/${sessionId}/chats/${w.chats[0].id}/messages?limit=200`)).length,
        audit: audit.map((e) => e.id),
    };
}

for (const backend of backends()) {
    describe(`bad input [${backend}]`, () => {
        let w;
        let base;
        before(async () => {
            w = await buildWorld(backend);
            base = await snapshot(w);
        });
        after(async () => { if (w) await w.srv.stop(); });

        // Runs cases [{what, method, path, body, raw, token, want:[statuses]}], collects every
        // wrong answer, then checks nothing changed and the server is healthy.
        async function batch(cases) {
            const failures = [];
            for (const c of cases) {
                const res = await w.srv.req(c.method, c.path, {
                    token: c.token === undefined ? w.tokens.admin : c.token,
                    body: c.body, contentType: c.contentType,
                });
                const want = c.want ?? [400];
                if (!want.includes(res.status) || !isErrorEnvelope(res)) {
                    failures.push(`${c.what}: ${c.method} ${c.path} want ${want.join('|')} + envelope, got ${show(res)}`);
                }
                if (!w.srv.alive()) { failures.push(`${c.what}: SERVER DIED`); break; }
            }
            await w.srv.assertHealthy();
            assert.deepEqual(failures, [], failures.join('\n'));
            assert.deepEqual(await snapshot(w), base, 'bad input changed stored data');
        }

        function jsonBodies(p) {
            const S = w.sessionId;
            return [
                ['login', 'POST', '/api/auth/login', undefined],
                ['create manager', 'POST', '/api/managers', undefined],
                ['patch manager', 'PATCH', `/api/managers/${w.users.victim.userId}`, undefined],
                ['grant', 'POST', `/api/whatsapp/sessions/${S}/access`, undefined],
                ['patch chat', 'PATCH', `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}`, undefined],
                ['send', 'POST', `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}/send`, undefined],
                ['pairing code', 'POST', `/api/whatsapp/sessions/${S}/pairing-code`, undefined],
            ].map(([what, method, path]) => ({ what: `${what} ${p}`, method, path, token: what === 'login' ? null : undefined }));
        }

        it('malformed JSON bodies answer 400', async () => {
            const payloads = ['{', 'not json', '{"a":1}garbage', '[]', '"text"', '42', 'null', '{"a":}', "{'a':1}",
                '{"message":"x",}', '\u0000'];
            const cases = [];
            for (const p of payloads) for (const c of jsonBodies(JSON.stringify(p))) cases.push({ ...c, body: p });
            // An empty body where a JSON object is required.
            for (const c of jsonBodies('empty')) cases.push({ ...c, body: '' });
            await batch(cases);
        });

        it('wrong types and missing fields answer 400 (or 422)', async () => {
            const S = w.sessionId;
            const C = w.chats[0].id;
            const bad = [400, 422];
            const cases = [
                ['login', 'POST', '/api/auth/login', {}],
                ['login', 'POST', '/api/auth/login', { email: w.A.adminEmail }],
                ['login', 'POST', '/api/auth/login', { email: 1, password: true }],
                ['login', 'POST', '/api/auth/login', { email: [w.A.adminEmail], password: w.A.adminPassword }],
                ['manager', 'POST', '/api/managers', {}],
                ['manager', 'POST', '/api/managers', { password: 'a-long-password-1' }],
                ['manager', 'POST', '/api/managers', { email: 'x@example.test' }],
                ['manager', 'POST', '/api/managers', { email: 5, password: 'a-long-password-1' }],
                ['manager', 'POST', '/api/managers', { email: 'not-an-email', password: 'a-long-password-1' }],
                ['manager', 'POST', '/api/managers', { email: 'ok@example.test', password: { p: 1 } }],
                ['manager', 'POST', '/api/managers', { email: 'ok2@example.test', password: 'a-long-password-1', name: 7 }],
                ['manager', 'POST', '/api/managers', { email: 'ok3@example.test', password: 'a-long-password-1', role: 'admin' }],
                ['patch manager', 'PATCH', `/api/managers/${w.users.victim.userId}`, { name: 12 }],
                ['patch manager', 'PATCH', `/api/managers/${w.users.victim.userId}`, { disabled: 'yes' }],
                ['patch manager', 'PATCH', `/api/managers/${w.users.victim.userId}`, { email: 'not-an-email' }],
                ['session', 'POST', '/api/whatsapp/sessions', { name: 42 }],
                ['session', 'POST', '/api/whatsapp/sessions', { name: ['a'] }],
                ['grant', 'POST', `/api/whatsapp/sessions/${S}/access`, {}],
                ['grant', 'POST', `/api/whatsapp/sessions/${S}/access`, { canRead: true }],
                ['grant', 'POST', `/api/whatsapp/sessions/${S}/access`, { managerId: 5, canRead: true }],
                ['grant', 'POST', `/api/whatsapp/sessions/${S}/access`, { managerId: w.users.spare.userId, canRead: 'yes' }],
                ['grant', 'POST', `/api/whatsapp/sessions/${S}/access`, { managerId: w.users.spare.userId, canWrite: 1 }],
                ['patch chat', 'PATCH', `/api/whatsapp/sessions/${S}/chats/${C}`, { pinned: 'true' }],
                ['patch chat', 'PATCH', `/api/whatsapp/sessions/${S}/chats/${C}`, { archived: 1 }],
                ['patch chat', 'PATCH', `/api/whatsapp/sessions/${S}/chats/${C}`, { labels: 'vip' }],
                ['patch chat', 'PATCH', `/api/whatsapp/sessions/${S}/chats/${C}`, { labels: [1, 2] }],
                ['patch chat', 'PATCH', `/api/whatsapp/sessions/${S}/chats/${C}`, { muted: null, pinned: 'x' }],
                ['send', 'POST', `/api/whatsapp/sessions/${S}/chats/${C}/send`, {}],
                ['send', 'POST', `/api/whatsapp/sessions/${S}/chats/${C}/send`, { message: 42 }],
                ['send', 'POST', `/api/whatsapp/sessions/${S}/chats/${C}/send`, { message: ['hi'] }],
                ['send', 'POST', `/api/whatsapp/sessions/${S}/chats/${C}/send`, { message: { text: 'hi' } }],
                ['send', 'POST', `/api/whatsapp/sessions/${S}/chats/${C}/send`, { message: 'hi', clientMessageId: 5 }],
                ['send', 'POST', `/api/whatsapp/sessions/${S}/chats/${C}/send`, { message: 'hi', quotedMessageId: true }],
                ['pairing', 'POST', `/api/whatsapp/sessions/${S}/pairing-code`, {}],
                ['pairing', 'POST', `/api/whatsapp/sessions/${S}/pairing-code`, { phoneNumber: 79001234567 }],
                ['pairing', 'POST', `/api/whatsapp/sessions/${S}/pairing-code`, { phoneNumber: 'call me' }],
            ].map(([what, method, path, body]) => ({
                what: `${what} ${JSON.stringify(body)}`, method, path, body, want: bad,
                token: what === 'login' ? null : undefined,
            }));
            await batch(cases);
        });

        it('oversize bodies answer 413', async () => {
            const S = w.sessionId;
            const huge = JSON.stringify({ message: 'x'.repeat(3 * 1024 * 1024) });
            const cases = [
                { what: 'huge send', method: 'POST', path: `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}/send`, body: huge, want: [413] },
                { what: 'huge login', method: 'POST', path: '/api/auth/login', body: huge, token: null, want: [413] },
                { what: 'huge manager', method: 'POST', path: '/api/managers', body: JSON.stringify({ email: 'big@example.test', password: 'p'.repeat(2 * 1024 * 1024) }), want: [413] },
            ];
            await batch(cases);
        });

        it('paging out of range answers 400', async () => {
            const S = w.sessionId;
            const lists = [`/api/whatsapp/sessions/${S}/chats`, `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}/messages`, '/api/audit'];
            const queries = ['limit=100000', 'limit=201', 'limit=0', 'limit=-5', 'page=-1', 'page=0', 'page=abc',
                'limit=1e3', 'limit=50.5', 'page=99999999999999999999', 'limit=', 'limit=%20%2050'];
            const cases = [];
            for (const l of lists) for (const q of queries) cases.push({ what: q, method: 'GET', path: `${l}?${q}` });
            cases.push({ what: 'events after', method: 'GET', path: '/api/events?after=-1' });
            cases.push({ what: 'events after', method: 'GET', path: '/api/events?after=abc' });
            cases.push({ what: 'events limit', method: 'GET', path: '/api/events?after=0&limit=100000' });
            cases.push({ what: 'bool filter', method: 'GET', path: `/api/whatsapp/sessions/${S}/chats?archived=maybe` });
            cases.push({ what: 'bool filter', method: 'GET', path: `/api/whatsapp/sessions/${S}/chats?unread=2` });
            cases.push({ what: 'before cursor', method: 'GET', path: `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}/messages?before=not-an-id` });
            await batch(cases.map((c) => ({ ...c, want: c.what === 'before cursor' ? [400, 404] : [400] })));
            // The largest allowed page is served.
            const r = await w.srv.get(`${lists[1]}?limit=200`, w.tokens.admin);
            assert.equal(r.status, 200, show(r));
        });

        it('invalid UTF-8 answers 400', async () => {
            const S = w.sessionId;
            const bodies = [
                Buffer.concat([Buffer.from('{"message":"'), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('"}')]),
                Buffer.concat([Buffer.from('{"message":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),  // overlong '/'
                Buffer.concat([Buffer.from('{"message":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),  // surrogate
                Buffer.concat([Buffer.from('{"message":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]),  // truncated
            ];
            const cases = [];
            for (const b of bodies) {
                cases.push({ what: 'send', method: 'POST', path: `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}/send`, body: b });
                cases.push({ what: 'manager', method: 'POST', path: '/api/managers', body: Buffer.concat([Buffer.from('{"email":"u8@example.test","password":"a-long-password-1","name":"'), b.subarray(12)]) });
                cases.push({ what: 'patch chat', method: 'PATCH', path: `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}`, body: Buffer.concat([Buffer.from('{"labels":["'), b.subarray(12, -2), Buffer.from('"]}')]) });
                cases.push({ what: 'login', method: 'POST', path: '/api/auth/login', token: null, body: Buffer.concat([Buffer.from('{"email":"'), b.subarray(12, -2), Buffer.from('","password":"x"}')]) });
            }
            cases.push({ what: 'search', method: 'GET', path: `/api/whatsapp/sessions/${S}/chats?search=%FF%FE` });
            cases.push({ what: 'escaped lone surrogate', method: 'POST', path: `/api/whatsapp/sessions/${S}/chats/${w.chats[0].id}/send`, body: '{"message":"\\ud800"}' });
            await batch(cases);
        });

        it('ids of the wrong shape or of nothing answer 404 (or 400)', async () => {
            const S = w.sessionId;
            const C = w.chats[0].id;
            const unknown = '01aaaaaaaaaaaaaaaaaaaaaaaa';
            const wrong = ['abc', "1' OR '1'='1", '..', '%2e%2e', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ', S.toUpperCase(), `${S}x`, unknown];
            const cases = [];
            for (const id of wrong) {
                const e = encodeURIComponent(id);
                cases.push({ what: `session ${id}`, method: 'GET', path: `/api/whatsapp/sessions/${e}` });
                cases.push({ what: `qr ${id}`, method: 'GET', path: `/api/whatsapp/sessions/${e}/qr` });
                cases.push({ what: `chats ${id}`, method: 'GET', path: `/api/whatsapp/sessions/${e}/chats` });
                cases.push({ what: `chat ${id}`, method: 'GET', path: `/api/whatsapp/sessions/${S}/chats/${e}` });
                cases.push({ what: `messages ${id}`, method: 'GET', path: `/api/whatsapp/sessions/${S}/chats/${e}/messages` });
                cases.push({ what: `patch manager ${id}`, method: 'PATCH', path: `/api/managers/${e}`, body: { name: 'x' } });
                cases.push({ what: `delete manager ${id}`, method: 'DELETE', path: `/api/managers/${e}` });
                cases.push({ what: `delete session ${id}`, method: 'DELETE', path: `/api/whatsapp/sessions/${e}` });
                cases.push({ what: `revoke ${id}`, method: 'DELETE', path: `/api/whatsapp/sessions/${S}/access/${e}` });
                cases.push({ what: `grant to ${id}`, method: 'POST', path: `/api/whatsapp/sessions/${S}/access`, body: { managerId: id, canRead: true } });
            }
            // A manager of the other company, and an admin, cannot receive a grant on S.
            cases.push({ what: 'grant to B manager', method: 'POST', path: `/api/whatsapp/sessions/${S}/access`, body: { managerId: w.users.mgrB.userId, canRead: true } });
            cases.push({ what: 'chat of another session', method: 'GET', path: `/api/whatsapp/sessions/${S}/chats/${w.chatsB[0].id}` });
            cases.push({ what: 'messages of B chat', method: 'GET', path: `/api/whatsapp/sessions/${S}/chats/${w.chatsB[0].id}/messages` });
            cases.push({ what: 'before of B message', method: 'GET', path: `/api/whatsapp/sessions/${S}/chats/${C}/messages?before=${w.chatsB[0].messageIds[2]}` });
            await batch(cases.map((c) => ({ ...c, want: c.want ?? [404, 400] })));
        });

        it('unknown routes answer 404 and wrong methods 405, with the envelope', async () => {
            await batch([
                { what: 'unknown', method: 'GET', path: '/api/nothing-here', want: [404] },
                { what: 'unknown', method: 'GET', path: '/api/whatsapp/sessions/x/y/z/w', want: [404] },
                { what: 'method', method: 'PUT', path: '/api/whatsapp/sessions', body: {}, want: [405] },
                { what: 'method', method: 'DELETE', path: '/api/auth/login', want: [405] },
                { what: 'bad escape', method: 'GET', path: '/api/whatsapp/sessions/%zz', want: [400, 404] },
            ]);
        });

        it('SQL metacharacters are stored verbatim or refused, and nothing is lost', async () => {
            const { srv, tokens, sessionId } = w;
            const C = w.chats[1].id;
            const beforeCount = base.managers.length;
            // Names, labels, session names, search: stored and returned byte for byte.
            const m = await srv.post('/api/managers', tokens.admin, { email: `sql-${Date.now()}@example.test`, password: 'a-long-password-1', name: kSqlish });
            assert.ok(m.status === 200 || m.status === 201, show(m));
            const mgr = m.json.data.user ?? m.json.data.manager ?? m.json.data;
            assert.equal(mgr.name, kSqlish);
            const p = await srv.patch(`/api/managers/${mgr.id}`, tokens.admin, { name: kSqlish2 });
            assert.equal(p.status, 200, show(p));
            const sess = await srv.post('/api/whatsapp/sessions', tokens.admin, { name: kSqlish });
            assert.ok(sess.status === 200 || sess.status === 201, show(sess));
            const sid = sess.json.data.sessionId;
            const sget = await srv.get(`/api/whatsapp/sessions/${sid}`, tokens.admin);
            assert.equal((sget.json.data.session ?? sget.json.data).name, kSqlish, show(sget));
            // A password made of metacharacters logs in, and only with itself.
            const pw = `${kSqlish} pw`;
            const m2 = await srv.post('/api/managers', tokens.admin, { email: `sqlpw-${Date.now()}@example.test`, password: pw, name: 'Pw' });
            assert.equal(m2.status, 201, show(m2));
            const m2u = m2.json.data.user ?? m2.json.data;
            await srv.login(m2u.email, pw);
            assert.equal((await srv.post('/api/auth/login', undefined, { email: m2u.email, password: "' OR '1'='1" })).status, 401);
            await srv.del(`/api/managers/${m2u.id}`, tokens.admin);
            // Chat name and labels.
            const named = await srv.patch(`/api/whatsapp/sessions/${sessionId}/chats/${C}`, tokens.admin, { name: kSqlish2 });
            assert.equal(named.status, 200, show(named));
            assert.equal((named.json.data.chat ?? named.json.data).name, kSqlish2);
            const chat = await srv.patch(`/api/whatsapp/sessions/${sessionId}/chats/${C}`, tokens.admin, { labels: [kSqlish, kSqlish2, '%', '_', '\\'] });
            assert.equal(chat.status, 200, show(chat));
            const cget = await srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${C}`, tokens.admin);
            assert.deepEqual((cget.json.data.chat ?? cget.json.data).labels, [kSqlish, kSqlish2, '%', '_', '\\'], show(cget));
            // Search is a literal, case-insensitive substring of name or JID: the renamed chat is
            // found by its name, and wildcard characters match only where they literally occur.
            const hit = await srv.get(`/api/whatsapp/sessions/${sessionId}/chats?search=${encodeURIComponent(kSqlish2)}`, tokens.admin);
            assert.deepEqual(arrayIn(hit.json.data).map((c) => c.id), [C], show(hit));
            const everyChat = arrayIn((await srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=200`, tokens.admin)).json.data);
            for (const q of [kSqlish, kSqlish2, '%', '_', "' OR 1=1 --", '\\', "'", 'wa_chats']) {
                const r = await srv.get(`/api/whatsapp/sessions/${sessionId}/chats?search=${encodeURIComponent(q)}`, tokens.admin);
                assert.equal(r.status, 200, show(r));
                const want = everyChat.filter((c) => `${c.name}\n${c.jid}`.toLowerCase().includes(q.toLowerCase())).map((c) => c.id).sort();
                assert.deepEqual(arrayIn(r.json.data).map((c) => c.id).sort(), want, `search ${q}: ${show(r)}`);
            }
            assert.equal(everyChat.filter((c) => c.name.includes('_')).length, 1, 'the fixture has one literal underscore');
            // Emails: refused (not an address) or stored verbatim; login with them fails cleanly.
            const e = await srv.post('/api/managers', tokens.admin, { email: `${kSqlish}@example.test`, password: 'a-long-password-1' });
            assert.ok([200, 201, 400, 422].includes(e.status) && (e.status >= 400 ? isErrorEnvelope(e) : true), show(e));
            const l = await srv.post('/api/auth/login', undefined, { email: "' OR '1'='1' --", password: "' OR '1'='1" });
            assert.equal(l.status, 401, show(l));
            assert.ok(isErrorEnvelope(l));
            // Everything is still there.
            const list = await srv.get('/api/managers', tokens.admin);
            assert.equal(list.status, 200, show(list));
            assert.ok(arrayIn(list.json.data).length >= beforeCount + 1, show(list));
            assert.equal((await srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=200`, tokens.admin)).json.data !== undefined, true);
            const chats = arrayIn((await srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=200`, tokens.admin)).json.data);
            assert.equal(chats.length, w.chats.length);
            await srv.login(w.users.mgrR.email, w.users.mgrR.password);
            await srv.assertHealthy();
            // Restore the baseline for the other cases of this file.
            await srv.del(`/api/managers/${mgr.id}`, tokens.admin);
            if (e.status < 300) await srv.del(`/api/managers/${(e.json.data.user ?? e.json.data.manager ?? e.json.data).id}`, tokens.admin);
            await srv.del(`/api/whatsapp/sessions/${sid}?purge=true`, tokens.admin);
            await srv.patch(`/api/whatsapp/sessions/${sessionId}/chats/${C}`, tokens.admin, { labels: [], name: w.chats[1].name });
            base = await snapshot(w);
        });

        it('header abuse does not break the server', async () => {
            const big = 'a'.repeat(64 * 1024);
            const r = await fetch(`${w.srv.baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${big}` } }).catch((e) => e);
            if (!(r instanceof Error)) {
                await r.arrayBuffer();
                assert.ok(r.status === 431 || r.status === 400 || r.status === 401, `status ${r.status}`);
            }
            const r2 = await w.srv.get('/api/auth/me', `${w.tokens.admin}\u0000`.replace('\u0000', '%00'));
            assert.equal(r2.status, 401, show(r2));
            await w.srv.assertHealthy();
        });
    });
}
