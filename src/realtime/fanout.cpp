// Fan-out: each bus event encoded once and queued to every socket allowed to see it, with one
// wake-up per shard and write coalescing under load (RealtimeOptions::write_coalesce_ms).
#include "realtime/server_internal.h"

#include "core/log.h"

namespace wadesk::realtime {

void RealtimeServer::Impl::OnEvent(const domain::Event& event) {
    counters.published.fetch_add(1, std::memory_order_relaxed);
    std::int64_t seen = high_water.load(std::memory_order_relaxed);
    while (event.id > seen && !high_water.compare_exchange_weak(seen, event.id)) {
    }
    auto recipients = hub.Resolve(access, event);
    for (const auto& group : recipients.inactive) {
        for (const auto& conn : group->subs) {
            conn->kicked = true;  // benign race with the sweep: both only ever set it
            conn->CloseGracefully(true);
        }
    }
    if (recipients.deliver->empty()) return;
    auto frame = EncodeEventFrame(event);
    if (!frame) {
        spdlog::error("[realtime] event {} not delivered: {}", event.id, frame.error().message);
        return;
    }
    // Encoded once; every recipient queues the same immutable buffer.
    SharedText shared = Share(std::move(*frame));
    // Walking ~N/S connections per event is a cache miss per connection: collect them first, then
    // deliver while prefetching a few ahead so that the misses overlap. (The route snapshot in
    // `recipients` keeps every one of them alive meanwhile.)
    const auto& groups = *recipients.deliver;
    thread_local std::vector<Connection*> targets;
    targets.clear();
    constexpr std::size_t kAhead = 4;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (g + kAhead < groups.size()) __builtin_prefetch(groups[g + kAhead].get());
        for (const auto& conn : groups[g]->subs) targets.push_back(conn.get());
    }
    std::uint64_t queued = 0;
    std::vector<FlushBatch> per_shard(shards.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (i + kAhead < targets.size()) {
            Connection* next = targets[i + kAhead];
            __builtin_prefetch(next, 1);  // enable_shared_from_this's weak pointer, at the object's start
            __builtin_prefetch(&next->mu, 1);
            __builtin_prefetch(&next->engine, 1);
            __builtin_prefetch(&next->flush_scheduled, 1);
        }
        queued += targets[i]->Deliver(event.id, shared, per_shard) ? 1 : 0;
    }
    counters.enqueued.fetch_add(queued, std::memory_order_relaxed);
    // One post per shard wakes every writer of that shard that was idle.
    for (std::size_t i = 0; i < per_shard.size(); ++i) {
        if (per_shard[i].empty()) continue;
        Shard& shard = *shards[i];
        net::post(shard.strand, [self = shared_from_this(), &shard, writers = std::move(per_shard[i])]() mutable {
            self->FlushEvents(shard, std::move(writers));
        });
    }
}

// On the shard's strand. Writes now when the shard's last event write is at least
// write_coalesce_ms old (an idle shard's first event goes out at once); otherwise holds the
// writers until that much time has passed since it. Under load each socket thus gets at most
// one write per interval, carrying every frame queued meanwhile: fewer, fuller TCP segments for
// at most write_coalesce_ms of added latency.
void RealtimeServer::Impl::FlushEvents(Shard& shard, FlushBatch writers) {
    const auto interval = std::chrono::milliseconds(options.write_coalesce_ms);
    const auto now = std::chrono::steady_clock::now();
    if (interval.count() <= 0 || stopped || (!shard.holding && now - shard.last_flush >= interval)) {
        shard.last_flush = now;
        FlushAll(writers);
        return;
    }
    if (shard.held.empty()) shard.held = std::move(writers);
    else shard.held.insert(shard.held.end(), std::make_move_iterator(writers.begin()), std::make_move_iterator(writers.end()));
    if (shard.holding) return;
    shard.holding = true;
    shard.timer.expires_at(shard.last_flush + interval);
    // Also runs when Stop() cancels the timer: what is held is written then.
    shard.timer.async_wait([self = shared_from_this(), &shard](boost::system::error_code) { self->FlushHeld(shard); });
}

void RealtimeServer::Impl::FlushHeld(Shard& shard) {
    shard.holding = false;
    shard.last_flush = std::chrono::steady_clock::now();
    FlushBatch held;
    held.swap(shard.held);
    FlushAll(held);
}

// Runs each writer's Flush, prefetching a few writers ahead (their connection and link are
// cold after a round over every other socket).
void RealtimeServer::Impl::FlushAll(const FlushBatch& writers) {
    constexpr std::size_t kAhead = 4;
    for (std::size_t i = 0; i < writers.size(); ++i) {
        if (i + kAhead < writers.size()) {
            __builtin_prefetch(&writers[i + kAhead].first->mu, 1);
            __builtin_prefetch(writers[i + kAhead].second.get(), 1);
        }
        writers[i].first->Flush(writers[i].second);
    }
}

void RealtimeServer::Impl::Subscribe(const std::shared_ptr<Connection>& conn) { hub.Add(conn->principal, conn); }

void RealtimeServer::Impl::Unsubscribe(const Connection* conn, const std::string& company_id) {
    hub.Remove(company_id, conn->principal.user_id, conn);
}


}  // namespace wadesk::realtime
