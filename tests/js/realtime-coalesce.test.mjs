// Event write coalescing (WADESK_SIO_WRITE_COALESCE_MS) against the real server with the
// official socket.io-client: the first event after a quiet spell goes out at once, events right
// behind it are held until the interval has passed since that write and then arrive together,
// in order, none lost; with 0 nothing is held. The interval is the largest allowed (1 s) so that the
// assertions have wide margins on a loaded machine.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { buildRealtimeWorld, connect, newMark, produce, record, waitFor, withMark } from './lib/realtime-world.mjs';

const kHoldMs = 1000;  // the largest interval the setting accepts

// Connects an admin socket; returns its event log and, per chat name carried by a
// whatsapp:chat_updated, when that event arrived.
async function harness(world, track) {
    const socket = track(await connect(world.srv.baseUrl, { auth: { token: world.tokens.admin }, transports: ['websocket'] }));
    const log = record(socket);
    const arrivals = new Map();
    socket.onAny((name, data) => {
        if (name === 'whatsapp:chat_updated' && !arrivals.has(data?.chat?.name)) arrivals.set(data.chat.name, Date.now());
    });
    return { log, arrivals };
}

describe('realtime write coalescing', () => {
    const open = [];
    const track = (s) => { open.push(s); return s; };
    let held;
    let direct;

    before(async () => {
        held = await buildRealtimeWorld('sqlite', { WADESK_SIO_WRITE_COALESCE_MS: String(kHoldMs) });
        direct = await buildRealtimeWorld('sqlite', { WADESK_SIO_WRITE_COALESCE_MS: '0' });
    });
    after(async () => {
        for (const s of open) s.close();
        await held?.srv.stop();
        await direct?.srv.stop();
    });

    it('writes the first event at once and holds the ones right behind it for the interval', async () => {
        const { S1 } = held.sessions;
        const { log, arrivals } = await harness(held, track);
        // Quiet spell: longer than the interval since anything was written.
        await new Promise((r) => setTimeout(r, kHoldMs + 200));
        const first = newMark('first');
        const sent = Date.now();
        await produce(held, S1, first);
        const behind = [newMark('b1'), newMark('b2'), newMark('b3')];
        for (const m of behind) await produce(held, S1, m);
        await waitFor(() => behind.every((m) => arrivals.has(m)), 'the held events', kHoldMs * 4);

        const tFirst = arrivals.get(first);
        assert.ok(tFirst - sent < kHoldMs / 2, `first event after ${tFirst - sent} ms: it must not be held`);
        for (const m of behind) {
            const wait = arrivals.get(m) - tFirst;
            assert.ok(wait >= kHoldMs - 300, `${m} arrived ${wait} ms after the first: it must be held ~${kHoldMs} ms`);
        }
        const spread = Math.max(...behind.map((m) => arrivals.get(m))) - Math.min(...behind.map((m) => arrivals.get(m)));
        assert.ok(spread < kHoldMs / 3, `held events arrive together (spread ${spread} ms)`);
        // Order kept, nothing lost or doubled.
        const names = log.filter((e) => e.name === 'whatsapp:chat_updated').map((e) => e.data.chat.name);
        assert.deepEqual(names.filter((n) => [first, ...behind].includes(n)), [first, ...behind]);
        for (const m of [first, ...behind]) assert.equal(withMark(log, m).length, 1);
    });

    it('holds nothing with WADESK_SIO_WRITE_COALESCE_MS=0', async () => {
        const { S1 } = direct.sessions;
        const { arrivals } = await harness(direct, track);
        const first = newMark('first');
        await produce(direct, S1, first);
        const behind = [newMark('b1'), newMark('b2')];
        for (const m of behind) await produce(direct, S1, m);
        await waitFor(() => [first, ...behind].every((m) => arrivals.has(m)), 'every event', 5000);
        for (const m of behind) {
            const wait = arrivals.get(m) - arrivals.get(first);
            assert.ok(wait < kHoldMs - 300, `${m} arrived ${wait} ms after the first: nothing may be held`);
        }
    });
});
