// How much history a session asks for, and a history that cannot be read, through the real
// wadesk server (native engine) and the emulator (docs/sim.md "History"). A session set to
// `full` registers with DeviceProps.requireFullSync and the emulated phone pushes it a FULL chunk
// with every seeded message; a `recent` one (the default) does not ask and gets the phone's
// INITIAL_BOOTSTRAP with the newest 50 messages of each chat. A chunk whose payload does not
// inflate is reported as whatsapp:history_progress phase "failed", stores nothing, stays kept and
// fails again after a restart. The emulator refuses seeds it cannot push.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, backends, until } from './lib/server.mjs';
import { linkSession, startSim } from './lib/client-harness.mjs';

const T0 = Math.floor(Date.now() / 1000) - 20 * 86400;
const PER_CHAT = 80;
const RECENT_CUT = 50;  // kRecentHistoryMessages in src/sim/server.h

function seedChats(tag) {
    return [0, 1].map((c) => ({
        with: String(15557880000 + c),
        name: `${tag} customer ${c}`,
        messages: Array.from({ length: PER_CHAT }, (_, i) => ({
            id: `${tag}-C${c}-M${String(i).padStart(3, '0')}`, fromMe: i % 2 === 1, text: `message ${i}`, t: T0 + c * 10000 + i * 60, status: 'read',
        })),
    }));
}

async function storedIds(srv, token, sessionId) {
    const ids = [];
    const chats = (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats?limit=100`, token), 'chats')).items;
    for (const chat of chats) {
        for (let page = 1; ; page++) {
            const r = await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}/chats/${chat.id}/messages?limit=200&page=${page}`, token), 'messages');
            ids.push(...r.items.map((m) => m.waMessageId));
            if (r.items.length < 200) break;
        }
    }
    return ids.sort();
}

const progressOf = async (srv, token, sessionId) =>
    (await srv.allEvents(token)).filter((e) => e.name === 'whatsapp:history_progress' && e.data.sessionId === sessionId);

describe('history modes', () => {
    const backend = backends()[0];
    const RECENT = '15557880101';
    const FULL = '15557880102';
    const BROKEN = '15557880103';
    let sim;
    let srv;
    let company;
    let token;

    before(async () => {
        sim = await startSim();
        for (const [phone, name] of [[RECENT, 'Recent shop'], [FULL, 'Full shop'], [BROKEN, 'Broken shop']]) {
            assert.equal((await sim.control('POST', '/accounts', { phone, name })).status, 201);
        }
        for (const [phone, tag] of [[RECENT, 'R'], [FULL, 'F']]) {
            const r = await sim.control('PUT', `/accounts/${phone}/history`, { chats: seedChats(tag) });
            assert.equal(r.status, 200, JSON.stringify(r.body));
        }
        const broken = await sim.control('PUT', `/accounts/${BROKEN}/history`, { chats: seedChats('B'), corrupt: true });
        assert.equal(broken.status, 200, JSON.stringify(broken.body));
        srv = new TestServer({
            backend,
            env: { WADESK_WA_ENGINE: 'native', WADESK_WA_URL: sim.wsUrl, WADESK_WA_TRUST_ROOT: sim.rootKey },
        });
        company = await srv.createCompany({ name: `History modes ${backend}` });
        await srv.start();
        token = await srv.login(company.adminEmail, company.adminPassword);
    });

    after(async () => {
        await srv?.stop();
        await sim?.close();
    });

    test('full asks the phone for everything, recent takes the phone\'s newest messages', async () => {
        const recent = await linkSession(srv, sim, token, RECENT, 'recent', { history: 'recent' });
        const full = await linkSession(srv, sim, token, FULL, 'full', { history: 'full' });
        // What the emulated phone saw in each companion's registration.
        const deviceOf = async (phone) => (await sim.control('GET', `/accounts/${phone}/devices`)).body.devices.find((d) => d.id !== 0);
        assert.equal((await deviceOf(RECENT)).require_full_sync, false);
        assert.equal((await deviceOf(FULL)).require_full_sync, true);

        for (const s of [recent, full]) {
            await until('the import done', async () => (await progressOf(srv, token, s.sessionId)).some((e) => e.data.phase === 'done'), 30000);
        }
        const fullIds = await storedIds(srv, token, full.sessionId);
        const expectedFull = seedChats('F').flatMap((c) => c.messages.map((m) => m.id)).sort();
        assert.deepEqual(fullIds, expectedFull, 'every seeded message');
        const recentIds = await storedIds(srv, token, recent.sessionId);
        const expectedRecent = seedChats('R').flatMap((c) => c.messages.slice(-RECENT_CUT).map((m) => m.id)).sort();
        assert.deepEqual(recentIds, expectedRecent, 'the newest 50 of each chat');

        const [fullDone] = (await progressOf(srv, token, full.sessionId)).filter((e) => e.data.phase === 'done');
        assert.equal(fullDone.data.syncType, 'full');
        assert.equal(fullDone.data.messages, 2 * PER_CHAT);
        const [recentDone] = (await progressOf(srv, token, recent.sessionId)).filter((e) => e.data.phase === 'done');
        assert.equal(recentDone.data.syncType, 'initial_bootstrap');
        assert.equal(recentDone.data.messages, 2 * RECENT_CUT);
    });

    test('a payload that does not inflate is reported failed, stores nothing and stays failed', async () => {
        const { sessionId } = await linkSession(srv, sim, token, BROKEN, 'broken');
        const failed = await until('the failed import', async () =>
            (await progressOf(srv, token, sessionId)).find((e) => e.data.phase === 'failed'), 30000);
        assert.equal(failed.data.reason, 'inflate_failed');
        assert.equal(failed.data.syncType, 'initial_bootstrap');
        const phases = (await progressOf(srv, token, sessionId)).map((e) => e.data.phase);
        assert.ok(!phases.includes('started') && !phases.includes('done'), JSON.stringify(phases));
        assert.equal((await storedIds(srv, token, sessionId)).length, 0);

        // The chunk is kept: the next start tries it again, and it fails again.
        const failedBefore = (await progressOf(srv, token, sessionId)).filter((e) => e.data.phase === 'failed').length;
        await srv.restart();
        token = await srv.login(company.adminEmail, company.adminPassword);
        await until('failed again after the restart', async () =>
            (await progressOf(srv, token, sessionId)).filter((e) => e.data.phase === 'failed').length > failedBefore, 30000);
        assert.equal((await storedIds(srv, token, sessionId)).length, 0);
        // A history that cannot be read does not stop the session.
        await until('connected again', async () =>
            (await srv.ok(srv.get(`/api/whatsapp/sessions/${sessionId}`, token), 'session')).status === 'connected', 30000);
    });

    test('the emulator refuses seeds it cannot push', async () => {
        // More chats than the emulated phone keeps (kMaxHistoryChats in src/sim/server.h); 20 or more
        // travel as a blob from the media host (history-blob.test).
        const tooMany = Array.from({ length: 5001 }, (_, i) => ({ with: String(15557890000 + i), messages: [] }));
        const refusals = [
            [{ chats: tooMany }, 'bad_request'],
            [{ chats: [{ with: 'not-a-number', messages: [] }] }, 'bad_request'],
            [{ chats: [{ with: '120363000000@g.us', messages: [] }] }, 'bad_request'],
            [{ chats: [{ with: '15557890001', messages: [{ text: 'no id', t: T0 }] }] }, 'bad_request'],
            [{ chats: [{ with: '15557890001', messages: [{ id: 'X', text: 'no time' }] }] }, 'bad_request'],
            [{}, 'bad_request'],
        ];
        for (const [body, code] of refusals) {
            const r = await sim.control('PUT', `/accounts/${RECENT}/history`, body);
            assert.equal(r.status, 400, JSON.stringify(body));
            assert.equal(r.body.error.code, code, JSON.stringify(r.body));
        }
        const unknown = await sim.control('PUT', '/accounts/15550000000/history', { chats: [] });
        assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
        assert.equal((await sim.control('GET', `/accounts/${RECENT}/history`)).status, 405);
    });
});
