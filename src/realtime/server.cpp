// The realtime server's lifecycle, its table of Engine.IO sessions and the heartbeat sweep.
// The other parts of the module are listed in server_internal.h.
#include "realtime/server_internal.h"

#include <boost/asio/detached.hpp>

#include "core/log.h"

namespace wadesk::realtime {

void RealtimeServer::Impl::Finalize(const std::shared_ptr<Connection>& conn) {
    bool was_connected = false;
    {
        std::lock_guard lock(conn->mu);
        if (conn->finalized) return;
        conn->finalized = true;
        conn->engine.MarkClosed();
        conn->WakeLocked();
        was_connected = conn->sio_state == SioState::kConnected || conn->connect_pending;
    }
    {
        std::lock_guard lock(sessions_mu);
        auto it = sessions.find(conn->engine.sid());
        if (it != sessions.end() && it->second == conn) sessions.erase(it);
    }
    if (was_connected) Unsubscribe(conn.get(), conn->principal.company_id);
    if (!conn->pid.empty()) {
        std::lock_guard lock(pid_mu);
        auto it = pids.find(conn->pid);
        if (it != pids.end() && it->second.live.lock() == conn) {
            if (conn->kicked || stopped) {
                pids.erase(it);
            } else {
                it->second.expires_at = NowMs() + options.recovery_window_ms;
                it->second.live.reset();
            }
        }
    }
}

void RealtimeServer::Impl::Drop(const std::shared_ptr<Connection>& conn) {
    conn->Abort();
    bool polling;
    {
        std::lock_guard lock(conn->mu);
        polling = conn->engine.transport() == Transport::kPolling;
    }
    // A websocket session is finalized by its writer once the socket is closed.
    if (polling) Finalize(conn);
}

std::shared_ptr<Connection> RealtimeServer::Impl::FindSession(const std::string& sid) {
    std::lock_guard lock(sessions_mu);
    auto it = sessions.find(sid);
    return it == sessions.end() ? nullptr : it->second;
}

std::shared_ptr<Connection> RealtimeServer::Impl::NewSession(Transport transport, const Query& q,
                                                              std::string_view authorization) {
    std::size_t shard = next_shard.fetch_add(1, std::memory_order_relaxed) % shards.size();
    auto conn = std::make_shared<Connection>(*this, shard, NewOpaqueId(), transport, NowMs());
    conn->query_token = q.token;
    conn->authorization = std::string(authorization);
    std::lock_guard lock(sessions_mu);
    sessions.emplace(conn->engine.sid(), conn);
    return conn;
}

net::awaitable<void> RealtimeServer::Impl::Sweep() {
    auto timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor);
    {
        std::lock_guard lock(sessions_mu);
        sweep_timer = timer;
    }
    while (!stopped) {
        timer->expires_after(std::chrono::milliseconds(options.sweep_interval_ms));
        co_await timer->async_wait(net::as_tuple(net::use_awaitable));
        if (stopped) break;
        SweepOnce();
    }
}

void RealtimeServer::Impl::SweepOnce() {
    std::vector<std::shared_ptr<Connection>> all;
    {
        std::lock_guard lock(sessions_mu);
        all.reserve(sessions.size());
        for (auto& [sid, conn] : sessions) all.push_back(conn);
    }
    std::int64_t now = NowMs();
    for (auto& conn : all) {
        bool timed_out = false, inactive = false, connect_expired = false;
        {
            std::lock_guard lock(conn->mu);
            auto tick = conn->engine.OnTick(now);
            if (tick == EngineSession::Tick::kPingQueued) conn->WakeLocked();
            timed_out = tick == EngineSession::Tick::kTimedOut;
            if (conn->sio_state == SioState::kConnected)
                inactive = !access.IsActive(conn->principal.user_id) || !authenticator.StillValid(conn->principal);
            else connect_expired = !conn->connect_pending && now - conn->created_at > options.connect_timeout_ms;
        }
        if (timed_out || connect_expired) {
            Drop(conn);
        } else if (inactive) {
            conn->kicked = true;
            conn->CloseGracefully(true);
        }
        // A polling session that was closed but whose client never came back for the close packet;
        // a websocket whose peer does not close after our close frame.
        bool stale = false, stale_ws = false;
        {
            std::lock_guard lock(conn->mu);
            bool polling = conn->engine.transport() == Transport::kPolling;
            stale = polling && conn->engine.closing() && !conn->poll_active && conn->closing_since != 0 &&
                    now - conn->closing_since > options.engine.ping_timeout_ms;
            stale_ws = !polling && conn->engine.closing() && !conn->engine.closed() && conn->closing_since != 0 &&
                       now - conn->closing_since > kCloseGraceMs;
        }
        if (stale) Finalize(conn);
        if (stale_ws) conn->Abort();
    }
    std::lock_guard lock(pid_mu);
    std::erase_if(pids, [now](const auto& kv) { return kv.second.expires_at != 0 && kv.second.expires_at < now; });
}

// ---------------------------------------------------------------------------------------------
// Socket.IO

RealtimeServer::RealtimeServer(net::any_io_executor io, net::any_io_executor db, const auth::Authenticator& authenticator,
                               const service::AccessView& access, service::EventBus& bus, store::EventRepository* repository,
                               RealtimeOptions options)
    : impl_(std::make_shared<Impl>(std::move(io), std::move(db), authenticator, access, bus, repository, options)) {}

RealtimeServer::~RealtimeServer() { Stop(); }

void RealtimeServer::Start() {
    std::weak_ptr<Impl> weak = impl_;
    impl_->subscription = impl_->bus.Subscribe([weak](const domain::Event& event) {
        if (auto impl = weak.lock()) impl->OnEvent(event);
    });
    net::co_spawn(impl_->sweep_strand, [impl = impl_]() { return impl->Sweep(); }, net::detached);
}

void RealtimeServer::Stop() {
    if (impl_->stopped.exchange(true)) return;
    impl_->subscription = {};
    std::vector<std::shared_ptr<Connection>> all;
    std::shared_ptr<net::steady_timer> timer;
    {
        std::lock_guard lock(impl_->sessions_mu);
        for (auto& [sid, conn] : impl_->sessions) all.push_back(conn);
        timer = impl_->sweep_timer;
    }
    if (timer) net::post(impl_->sweep_strand, [timer] { timer->cancel(); });
    for (auto& conn : all) {
        conn->CloseGracefully(true);
        bool polling;
        {
            std::lock_guard lock(conn->mu);
            polling = conn->engine.transport() == Transport::kPolling;
        }
        if (polling) impl_->Finalize(conn);
    }
    for (auto& shard : impl_->shards) net::post(shard->strand, [s = shard.get()] { s->timer.cancel(); });
    // Whatever still runs holds its connection itself; the server keeps none, so tearing the
    // io_context down later destroys each connection with its last coroutine.
    {
        std::lock_guard lock(impl_->sessions_mu);
        impl_->sessions.clear();
    }
    impl_->hub.Clear();
    std::lock_guard lock(impl_->pid_mu);
    impl_->pids.clear();
}

RealtimeStats RealtimeServer::Stats() const {
    RealtimeStats s;
    {
        std::lock_guard lock(impl_->sessions_mu);
        s.open_sessions = impl_->sessions.size();
    }
    s.connected_sockets = impl_->hub.Count();
    s.events_published = impl_->counters.published.load();
    s.frames_enqueued = impl_->counters.enqueued.load();
    s.slow_disconnects = impl_->counters.slow.load();
    s.protocol_errors = impl_->counters.protocol.load();
    s.recoveries = impl_->counters.recoveries.load();
    s.websocket_writes = impl_->counters.writes.load();
    return s;
}

}  // namespace wadesk::realtime
