// Signing out one token (POST /api/auth/logout), through the real server on both backends: the
// token of the call is refused from then on (REST and a live Socket.IO socket made with it), the
// same user's other tokens keep working, a restart does not bring the token back, and the
// sign-out is audited.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { backends, TestServer } from './lib/server.mjs';
import { connect, waitFor } from './lib/realtime-world.mjs';

for (const backend of backends()) describe(`POST /api/auth/logout [${backend}]`, () => {
    let srv;
    let company;

    before(async () => {
        srv = new TestServer({ backend });
        company = await srv.createCompany({ name: `Logout ${backend}` });
        await srv.start();
    });

    after(async () => { await srv?.stop(); });

    it('signs out the token of the call only, for good', async () => {
        const first = await srv.login(company.adminEmail, company.adminPassword);
        const second = await srv.login(company.adminEmail, company.adminPassword);
        assert.notEqual(first, second);
        const socket = await connect(srv.baseUrl, { auth: { token: first }, transports: ['websocket'] });
        let reason = null;
        socket.on('disconnect', (r) => { reason = r; });

        const out = await srv.post('/api/auth/logout', first);
        assert.equal(out.status, 200, JSON.stringify(out.json));
        assert.deepEqual(out.json, { success: true, data: { loggedOut: true } });
        const refused = await srv.get('/api/auth/me', first);
        assert.equal(refused.status, 401);
        assert.equal(refused.json.error.code, 'token_revoked');
        assert.equal((await srv.post('/api/auth/logout', first)).status, 401, 'a signed-out token cannot sign out again');
        assert.equal((await srv.get('/api/auth/me', second)).status, 200, 'the other token still works');
        await waitFor(() => reason !== null, 'the signed-out token\'s socket to be closed', 8000);
        assert.equal(reason, 'io server disconnect');
        await assert.rejects(connect(srv.baseUrl, { auth: { token: first }, transports: ['websocket'] }));

        await srv.restart();
        const after = await srv.get('/api/auth/me', first);
        assert.equal(after.status, 401, 'still signed out after a restart');
        assert.equal(after.json.error.code, 'token_revoked');
        assert.equal((await srv.get('/api/auth/me', second)).status, 200);
        const audit = (await srv.ok(srv.get('/api/audit', second), 'audit')).items;
        assert.equal(audit.filter((a) => a.action === 'auth.logout').length, 1);
        assert.equal((await srv.post('/api/auth/logout')).status, 401, 'no token, nothing to sign out');
    });
});
