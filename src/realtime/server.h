#pragma once
// The Socket.IO v4 server (Engine.IO v4 + Socket.IO protocol v5) behind the HTTP server's
// /socket.io/ hook: websocket and long-polling transports, polling → websocket upgrade, token
// authentication at CONNECT, permission-filtered fan-out of the service layer's events, and
// connection-state recovery replayed from the durable events table.
//
// Threads: connections are spread over `io_shards` strands of the I/O executor; the event
// producer (EventBus publisher) only encodes each event once, appends it to bounded
// per-connection queues and posts one wake-up per shard, so it never waits for a client; a
// client whose queue overflows is disconnected. Websocket frames are written by the server
// itself after Beast's handshake: everything queued for a socket goes out in one non-blocking
// gather write, coalesced under load (RealtimeOptions::write_coalesce_ms). Blocking store
// calls (recovery replay) run on the `db` executor.
//
// Lifetime: construct, Start(), install as the HTTP server's UpgradeHandler; Stop() before the
// io_context is torn down. The authenticator, access view, bus and repository must outlive it.
#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "auth/authenticator.h"
#include "http/socketio_hook.h"
#include "realtime/engine_session.h"
#include "service/access_view.h"
#include "service/event_bus.h"
#include "store/event_repository.h"

namespace wadesk::realtime {

struct RealtimeOptions {
    EngineOptions engine;
    // Connection-state recovery (needs a repository): a client that reconnects within the
    // window with the pid we issued gets the events it missed, then `socket.recovered`.
    bool connection_state_recovery = true;
    std::int64_t recovery_window_ms = 120000;
    std::size_t max_replay_events = 1000;   // more missed than this: not recovered (use /api/events)
    std::int64_t connect_timeout_ms = 45000;  // Engine.IO open but no Socket.IO CONNECT accepted
    std::int64_t sweep_interval_ms = 250;     // heartbeat / inactive-user sweep period
    // Connections are spread over this many strands of the I/O executor (0: one per hardware
    // thread); give the executor at least as many threads to use them all.
    std::size_t io_shards = 0;
    // Event write coalescing: a shard that wrote event frames less than this many ms ago holds
    // further event writes until this long after that write, then writes every socket once with
    // all it has queued. Under load: at most one write per socket per interval; when idle: the
    // first event goes out at once. 0: every event is written at once. Control frames (pong,
    // CONNECT answers, close) are never held back by themselves.
    std::int64_t write_coalesce_ms = 10;
};

struct RealtimeStats {
    std::uint64_t open_sessions = 0;        // Engine.IO sessions
    std::uint64_t connected_sockets = 0;    // authenticated Socket.IO sockets
    std::uint64_t events_published = 0;     // events seen on the bus
    std::uint64_t frames_enqueued = 0;      // event frames queued to sockets
    std::uint64_t slow_disconnects = 0;     // clients dropped for queue overflow
    std::uint64_t protocol_errors = 0;      // connections closed for bad packets
    std::uint64_t recoveries = 0;           // successful connection-state recoveries
    std::uint64_t websocket_writes = 0;     // gather writes of queued frames (each ends in one or more sendmsg)
};

class RealtimeServer final : public http::UpgradeHandler {
public:
    // `repository` may be null: recovery is then off (no pid is issued).
    RealtimeServer(boost::asio::any_io_executor io, boost::asio::any_io_executor db,
                   const auth::Authenticator& authenticator, const service::AccessView& access,
                   service::EventBus& bus, store::EventRepository* repository, RealtimeOptions options = {});
    ~RealtimeServer() override;
    RealtimeServer(const RealtimeServer&) = delete;
    RealtimeServer& operator=(const RealtimeServer&) = delete;

    // Subscribes to the bus and starts the heartbeat sweep.
    void Start();
    // Unsubscribes, closes every connection, stops the sweep. Thread-safe, idempotent.
    void Stop();

    boost::asio::awaitable<bool> HandleSocketIo(
        boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
        boost::beast::http::request<boost::beast::http::string_body> req,
        std::shared_ptr<void> connection_slot) override;

    RealtimeStats Stats() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace wadesk::realtime
