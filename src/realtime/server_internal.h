#pragma once
// The realtime module's internals, shared by its translation units (not a public header):
// RealtimeServer::Impl, one Engine.IO session (Connection) and its websocket link (WsLink).
// Which file holds what: server.cpp (lifecycle, session table, heartbeat sweep),
// fanout.cpp (bus events to sockets, write coalescing), connection.cpp (a session's queue and
// its websocket writer), socketio.cpp (Socket.IO packets, CONNECT, connection-state recovery),
// polling.cpp (the HTTP entry point and long-polling), websocket.cpp (the websocket transport).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/uio.h>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "realtime/protocol.h"
#include "realtime/recipient_index.h"
#include "realtime/server.h"
#include "realtime/ws_frame.h"

namespace wadesk::realtime {
namespace net = boost::asio;
using tcp = net::ip::tcp;

inline constexpr auto kWriteTimeout = std::chrono::seconds(10);
inline constexpr std::int64_t kCloseGraceMs = 5000;  // a closing websocket's peer gets this long to close

inline std::string NewOpaqueId() { return Base64UrlEncode(RandomBytes(15)); }

inline SharedText Share(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// The query of a /socket.io/ request.
struct Query {
    std::string eio, transport, sid, token;
    bool ok = false;
};
Query ParseQuery(std::string_view target);

class Connection;
struct WsLink;
// Websocket writers to schedule, gathered by the fan-out while it queues one event (one batch
// per shard).
using FlushBatch = std::vector<std::pair<std::shared_ptr<Connection>, std::shared_ptr<WsLink>>>;

struct PidRecord {
    std::string user_id;
    std::string company_id;
    std::int64_t baseline = 0;          // replay from here when the client sends no offset
    std::int64_t expires_at = 0;        // 0 while the connection that owns it is alive
    std::weak_ptr<Connection> live;
};

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct RealtimeServer::Impl : std::enable_shared_from_this<RealtimeServer::Impl> {
    Impl(net::any_io_executor io_ex, net::any_io_executor db_ex, const auth::Authenticator& authn,
         const service::AccessView& acc, service::EventBus& b, store::EventRepository* repo, RealtimeOptions opts)
        : io(std::move(io_ex)), db(std::move(db_ex)), authenticator(authn), access(acc), bus(b), repository(repo),
          options(opts), sweep_strand(net::make_strand(io)) {
        if (!repository) options.connection_state_recovery = false;
        std::size_t n = options.io_shards ? options.io_shards : std::max(1u, std::thread::hardware_concurrency());
        for (std::size_t i = 0; i < n; ++i) shards.push_back(std::make_unique<Shard>(io));
    }

    net::any_io_executor io;
    net::any_io_executor db;
    const auth::Authenticator& authenticator;
    const service::AccessView& access;
    service::EventBus& bus;
    store::EventRepository* repository;
    RealtimeOptions options;
    net::strand<net::any_io_executor> sweep_strand;
    // Connections are spread round-robin over shards; each shard's strand serialises the I/O of
    // its connections, so N shards keep up to N I/O threads busy. The event writes a shard holds
    // back to coalesce them (RealtimeOptions::write_coalesce_ms) are touched only on its strand.
    struct Shard {
        explicit Shard(const net::any_io_executor& io) : strand(net::make_strand(io)), timer(strand) {}
        net::strand<net::any_io_executor> strand;
        net::steady_timer timer;                            // ends the hold
        FlushBatch held;                                    // writers waiting for the timer
        std::chrono::steady_clock::time_point last_flush{};  // when event frames last went out
        bool holding = false;                               // the timer is armed
    };
    std::vector<std::unique_ptr<Shard>> shards;
    std::atomic<std::size_t> next_shard{0};
    std::shared_ptr<net::steady_timer> sweep_timer;
    service::EventBus::Subscription subscription;
    std::atomic<bool> stopped{false};

    // Engine.IO sessions by sid.
    std::mutex sessions_mu;
    std::unordered_map<std::string, std::shared_ptr<Connection>> sessions;

    // Authenticated sockets by company → user, with the per-session routes cached (see
    // recipient_index.h): routing costs scale with recipients, not with sockets.
    RecipientIndex<Connection> hub;
    std::atomic<std::int64_t> high_water{0};  // the newest event id seen on the bus

    std::mutex pid_mu;
    std::unordered_map<std::string, PidRecord> pids;

    struct Counters {
        std::atomic<std::uint64_t> published{0}, enqueued{0}, slow{0}, protocol{0}, recoveries{0}, writes{0};
    } counters;

    void OnEvent(const domain::Event& event);
    void FlushEvents(Shard& shard, FlushBatch writers);
    void FlushHeld(Shard& shard);
    static void FlushAll(const FlushBatch& writers);
    void Subscribe(const std::shared_ptr<Connection>& conn);
    void Unsubscribe(const Connection* conn, const std::string& company_id);
    void Finalize(const std::shared_ptr<Connection>& conn);
    void Drop(const std::shared_ptr<Connection>& conn);  // Abort, and Finalize a polling session
    std::shared_ptr<Connection> FindSession(const std::string& sid);
    std::shared_ptr<Connection> NewSession(Transport transport, const Query& q, std::string_view authorization);
    net::awaitable<void> Sweep();
    void SweepOnce();

    net::awaitable<void> ProcessInbound(std::shared_ptr<Connection> conn, std::vector<EioPacket> packets, Channel channel);
    void HandleConnect(const std::shared_ptr<Connection>& conn, const ConnectAuth& auth);
    net::awaitable<void> CompleteRecovery(std::shared_ptr<Connection> conn, std::string pid, std::int64_t after);

    net::awaitable<bool> HandlePolling(beast::tcp_stream& stream, bhttp::request<bhttp::string_body>& req,
                                       const Query& q);
    net::awaitable<bool> HandleWebsocket(beast::tcp_stream& stream, bhttp::request<bhttp::string_body>& req,
                                         const Query& q, beast::flat_buffer& buffer, std::shared_ptr<void> connection_slot);
    net::awaitable<void> RunWebsocket(std::shared_ptr<Connection> conn, std::shared_ptr<WsLink> link, Channel channel,
                                      std::string early);
};

// The websocket transport after Beast's handshake: the raw socket, read with WsFrameReader and
// written by Connection::Flush with one gather write of every frame queued (ws_frame.h). Only
// touched on the connection's strand.
struct WsLink {
    WsLink(tcp::socket s, std::size_t max_message) : socket(std::move(s)), reader(max_message) {}
    tcp::socket socket;
    WsFrameReader reader;
    // Writer state: frames taken from the queue and not yet fully written. The iovecs point
    // into `out` (the shared frames, never copied), `headers` and `control`.
    std::vector<SharedText> out;
    std::vector<std::uint8_t> headers;
    std::string control;
    std::vector<iovec> iov;
    std::size_t iov_done = 0;
    bool close_sent = false;  // our close frame is written (or being written)
    bool shut = false;        // the send side is shut down after our close frame

    bool Writing() const { return iov_done < iov.size(); }
    // After a complete write: drops the frames written and keeps the buffers for the next write,
    // unless a burst made them large (an idle socket holds a few hundred bytes at most).
    void ResetWriteBuffers() {
        constexpr std::size_t kKeepFrames = 16;
        if (out.capacity() > kKeepFrames) {
            out = {};
            headers = {};
            iov = {};
        } else {
            out.clear();
            headers.clear();
            iov.clear();
        }
        control = {};
        iov_done = 0;
    }
};

// One Engine.IO session plus its Socket.IO socket on the default namespace. State is guarded
// by `mu`; a long poll waits on a timer woken by posting a cancel to its executor; the websocket
// writer is a Flush posted to the strand when the first frame is queued.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(RealtimeServer::Impl& srv, std::size_t shard_index, std::string sid, Transport transport,
               std::int64_t now)
        : server(srv), shard(shard_index), strand(srv.shards[shard_index]->strand), engine(std::move(sid), transport, srv.options.engine, now),
          created_at(now) {}

    RealtimeServer::Impl& server;
    std::size_t shard;                          // index into server.shards
    net::strand<net::any_io_executor> strand;  // the shard's: every I/O of the connection runs here

    std::mutex mu;
    EngineSession engine;
    SioState sio_state = SioState::kAwaitingConnect;
    bool connect_pending = false;          // CONNECT accepted, recovery replay under way
    bool finalized = false;
    bool poll_active = false;              // a polling GET is waiting or writing
    std::atomic<bool> kicked{false};       // server-side or explicit disconnect: no recovery record
    std::int64_t closing_since = 0;        // when a close began (0: open)
    std::shared_ptr<net::steady_timer> poll_waiter;
    std::shared_ptr<WsLink> ws;            // the websocket transport once it is current
    bool flush_scheduled = false;          // a Flush is posted or waits for the socket to drain
    std::string ws_control;                // websocket control frames (pong) to write first
    std::int64_t created_at;
    std::string query_token, authorization;

    // Set once before the socket joins the hub, immutable after.
    auth::Principal principal;
    std::string pid;
    std::int64_t baseline = 0;

    // Recovery: live events that arrive while the replay runs wait here; live events up to
    // replayed_through were part of the replay and are not queued again.
    bool replaying = false;
    std::vector<std::pair<std::int64_t, SharedText>> stash;
    std::int64_t replayed_through = 0;

    // REQUIRES: mu held. Wakes the waiting poll, or schedules the websocket writer, once: a burst
    // of pushes before the writer runs costs one wake-up (the writer takes everything under mu).
    // With `batch`, the writer is not posted but appended there, for the caller to post one
    // handler per shard (the fan-out path: one post per shard per event, not one per socket).
    void WakeLocked(FlushBatch* batch = nullptr) {
        if (auto t = std::exchange(poll_waiter, nullptr)) net::post(t->get_executor(), [t] { t->cancel(); });
        if (ws && !flush_scheduled) {
            flush_scheduled = true;
            if (batch) batch->emplace_back(shared_from_this(), ws);
            else net::post(strand, [self = shared_from_this(), link = ws] { self->Flush(link); });
        }
    }

    // REQUIRES: mu held. Queues a packet for the client; false when it overflowed (the caller
    // drops the client).
    bool PushLocked(SharedText packet, FlushBatch* batch = nullptr) {
        auto r = engine.Push(std::move(packet));
        if (r == EngineSession::PushResult::kOverflow) return false;
        if (r == EngineSession::PushResult::kQueued) WakeLocked(batch);
        return true;
    }

    // Closes after flushing what is queued (Socket.IO DISCONNECT first when `notify`).
    void CloseGracefully(bool notify);

    // Drops the connection now, discarding what is queued.
    void Abort();

    // An event frame from the bus (producer thread). Never blocks beyond the connection mutex.
    // False when the client overflowed and was dropped, or is closing.
    bool Deliver(std::int64_t id, const SharedText& frame, std::vector<FlushBatch>& per_shard);

    // The websocket writer (on the strand): writes every queued frame with as few non-blocking
    // gather writes as the socket accepts, waits for writability when the kernel buffer is
    // full, and after a graceful close writes the close frame and shuts the send side.
    void Flush(const std::shared_ptr<WsLink>& link);

private:
    static void BuildIov(WsLink& link);

    // Non-blocking gather writes until everything taken is written (true) or the socket
    // refuses more (false with would_block) or fails (false with the error).
    static bool WriteSome(WsLink& link, boost::system::error_code& ec);
};

// The Engine.IO error answer of a refused HTTP request (polling.cpp).
net::awaitable<void> WriteEioError(beast::tcp_stream& stream, const bhttp::request<bhttp::string_body>& req,
                                   EioHttpError code, bhttp::status status = bhttp::status::bad_request);

}  // namespace wadesk::realtime
