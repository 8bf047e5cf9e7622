// The only Beast translation unit of the realtime module: transports, connections, fan-out.
#include "realtime/server.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <charconv>
#include <chrono>
#include <map>
#include <thread>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/log.h"
#include "realtime/protocol.h"
#include "realtime/recipient_index.h"
#include "realtime/ws_frame.h"

namespace wadesk::realtime {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using WsStream = websocket::stream<beast::tcp_stream>;  // the handshake only

namespace {

constexpr std::size_t kMaxPacketsPerPost = 256;
constexpr auto kWriteTimeout = std::chrono::seconds(10);
constexpr std::int64_t kCloseGraceMs = 5000;    // a closing websocket's peer gets this long to close
constexpr std::size_t kReadChunk = 16384;       // one non-blocking read from a websocket
constexpr int kReadsPerWake = 8;                // then other sockets get their turn

std::string NewOpaqueId() { return Base64UrlEncode(RandomBytes(15)); }

SharedText Share(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

struct Query {
    std::string eio, transport, sid, token;
    bool ok = false;
};

Query ParseQuery(std::string_view target) {
    Query q;
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return q;
    auto path = url->path();
    if (path != "/socket.io/" && path != "/socket.io") return q;
    for (auto param : url->params()) {
        if (param.key == "EIO") q.eio = param.value;
        else if (param.key == "transport") q.transport = param.value;
        else if (param.key == "sid") q.sid = param.value;
        else if (param.key == "token") q.token = param.value;
    }
    q.ok = true;
    return q;
}

}  // namespace

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

struct RealtimeServer::Impl : std::enable_shared_from_this<RealtimeServer::Impl> {
    Impl(net::any_io_executor io_ex, net::any_io_executor db_ex, const auth::Authenticator& authn,
         const service::AccessView& acc, service::EventBus& b, store::Repository* repo, RealtimeOptions opts)
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
    store::Repository* repository;
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

    void OnEvent(const store::Event& event);
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
    void CloseGracefully(bool notify) {
        std::lock_guard lock(mu);
        if (engine.closing()) return;
        if (notify) engine.Push(Share(EncodeServerDisconnect()));
        engine.BeginClose();
        closing_since = NowMs();
        WakeLocked();
    }

    // Drops the connection now, discarding what is queued.
    void Abort() {
        std::shared_ptr<WsLink> link;
        {
            std::lock_guard lock(mu);
            if (engine.closed()) return;
            engine.MarkClosed();
            (void)engine.TakeOutbound();
            ws_control.clear();
            if (closing_since == 0) closing_since = NowMs();
            link = ws;
            WakeLocked();
        }
        if (link) {
            net::post(strand, [link, self = shared_from_this()] {
                boost::system::error_code ec;
                link->socket.close(ec);  // the reader sees it and finalizes
            });
        }
    }

    // An event frame from the bus (producer thread). Never blocks beyond the connection mutex.
    // False when the client overflowed and was dropped, or is closing.
    bool Deliver(std::int64_t id, const SharedText& frame, std::vector<FlushBatch>& per_shard) {
        bool overflow = false;
        {
            std::lock_guard lock(mu);
            if (engine.closing()) return false;
            if (id <= replayed_through) return true;
            if (replaying) {
                if (stash.size() >= server.options.engine.max_queue_packets) overflow = true;
                else stash.emplace_back(id, frame);
            } else {
                overflow = !PushLocked(frame, &per_shard[shard]);
            }
        }
        if (!overflow) return true;
        server.counters.slow.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("[realtime] dropping slow client {} (outbound queue full)", principal.user_id);
        Abort();
        return false;
    }

    // The websocket writer (on the strand): writes every queued frame with as few non-blocking
    // gather writes as the socket accepts, waits for writability when the kernel buffer is
    // full, and after a graceful close writes the close frame and shuts the send side.
    void Flush(const std::shared_ptr<WsLink>& link) {
        for (;;) {
            if (!link->Writing()) {
                link->ResetWriteBuffers();
                if (link->shut) {
                    std::lock_guard lock(mu);
                    flush_scheduled = false;
                    return;
                }
                bool send_close = false;
                {
                    std::lock_guard lock(mu);
                    if (ws != link || engine.closed()) {
                        flush_scheduled = false;
                        return;
                    }
                    link->control.swap(ws_control);
                    engine.TakeOutbound(link->out);
                    if (link->control.empty() && link->out.empty()) {
                        if (!engine.closing() || link->close_sent) {
                            flush_scheduled = false;
                            return;
                        }
                        send_close = true;
                    }
                }
                if (send_close) {
                    link->control = EncodeWsFrame(WsOpcode::kClose, EncodeWsClosePayload(kWsCloseNormal));
                    link->close_sent = true;
                }
                BuildIov(*link);
                server.counters.writes.fetch_add(1, std::memory_order_relaxed);
            }
            boost::system::error_code ec;
            if (!WriteSome(*link, ec)) {
                if (ec == net::error::would_block || ec == net::error::try_again) {
                    link->socket.async_wait(tcp::socket::wait_write,
                                            [self = shared_from_this(), link](boost::system::error_code wec) {
                                                if (!wec) return self->Flush(link);
                                                std::lock_guard lock(self->mu);
                                                self->flush_scheduled = false;
                                            });
                    return;
                }
                {
                    std::lock_guard lock(mu);
                    flush_scheduled = false;
                }
                Abort();
                return;
            }
            if (!link->Writing() && link->close_sent && !link->shut) {
                link->shut = true;
                link->socket.shutdown(tcp::socket::shutdown_send, ec);  // the reader waits for the peer
            }
        }
    }

private:
    static void BuildIov(WsLink& link) {
        link.iov.clear();
        link.iov_done = 0;
        link.iov.reserve(1 + 2 * link.out.size());
        link.headers.resize(kWsMaxHeader * link.out.size());  // never reallocated below
        if (!link.control.empty()) link.iov.push_back(iovec{link.control.data(), link.control.size()});
        std::uint8_t* h = link.headers.data();
        for (const auto& frame : link.out) {
            std::size_t n = EncodeWsHeader(WsOpcode::kText, frame->size(), h);
            link.iov.push_back(iovec{h, n});
            link.iov.push_back(iovec{const_cast<char*>(frame->data()), frame->size()});
            h += n;
        }
    }

    // Non-blocking gather writes until everything taken is written (true) or the socket
    // refuses more (false with would_block) or fails (false with the error).
    static bool WriteSome(WsLink& link, boost::system::error_code& ec) {
        while (link.Writing()) {
            msghdr msg{};
            msg.msg_iov = link.iov.data() + link.iov_done;
            msg.msg_iovlen = std::min<std::size_t>(link.iov.size() - link.iov_done, IOV_MAX);
            ssize_t n = ::sendmsg(link.socket.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR) continue;
                ec = boost::system::error_code(errno, boost::system::system_category());
                return false;
            }
            auto left = static_cast<std::size_t>(n);
            while (left > 0 && link.Writing()) {
                iovec& v = link.iov[link.iov_done];
                if (left >= v.iov_len) {
                    left -= v.iov_len;
                    ++link.iov_done;
                } else {
                    v.iov_base = static_cast<char*>(v.iov_base) + left;
                    v.iov_len -= left;
                    left = 0;
                }
            }
            while (link.Writing() && link.iov[link.iov_done].iov_len == 0) ++link.iov_done;
        }
        return true;
    }
};

// ---------------------------------------------------------------------------------------------
// Fan-out

void RealtimeServer::Impl::OnEvent(const store::Event& event) {
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

// Removes a finished connection everywhere; records its pid for recovery. Idempotent.
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

net::awaitable<void> RealtimeServer::Impl::ProcessInbound(std::shared_ptr<Connection> conn,
                                                          std::vector<EioPacket> packets, Channel channel) {
    for (auto& packet : packets) {
        Result<EngineSession::Inbound> in = MakeError("closed", "closed");
        SioState state;
        {
            std::lock_guard lock(conn->mu);
            if (conn->engine.closed()) co_return;
            in = conn->engine.OnPacket(packet, channel, NowMs());
            state = conn->sio_state;
        }
        if (!in) {
            counters.protocol.fetch_add(1, std::memory_order_relaxed);
            spdlog::info("[realtime] closing session {}: {}", conn->engine.sid(), in.error().message);
            conn->kicked = true;
            Drop(conn);
            co_return;
        }
        if (in->close) {
            Drop(conn);
            co_return;
        }
        for (auto& text : in->messages) {
            SioAction action = InterpretSioMessage(text, state);
            switch (action.kind) {
                case SioAction::Kind::kConnect: {
                    bool pending;
                    {
                        std::lock_guard lock(conn->mu);
                        pending = conn->connect_pending;
                    }
                    if (pending) {
                        action = SioAction{};
                        action.error = MakeError("connect_pending", "a CONNECT is already being processed");
                        action.reply = EncodeConnectError("connect already in progress", "connect_pending");
                        break;
                    }
                    HandleConnect(conn, action.auth);
                    std::lock_guard lock(conn->mu);
                    state = conn->sio_state;
                    continue;
                }
                case SioAction::Kind::kDisconnect:
                    conn->kicked = true;  // an explicit leave: nothing to recover
                    conn->CloseGracefully(false);
                    co_return;
                case SioAction::Kind::kClientEvent:
                    if (action.ack_id) {
                        std::lock_guard lock(conn->mu);
                        conn->PushLocked(Share(EncodeAck(
                            *action.ack_id,
                            R"([{"success":false,"error":{"code":"unknown_event","message":"this server accepts no client events"}}])")));
                    }
                    continue;
                case SioAction::Kind::kClientAck:
                    continue;
                case SioAction::Kind::kProtocolError:
                    break;
            }
            // Protocol error: tell the client why, then close after the reply is flushed.
            counters.protocol.fetch_add(1, std::memory_order_relaxed);
            spdlog::info("[realtime] closing session {}: {}", conn->engine.sid(), action.error.message);
            {
                std::lock_guard lock(conn->mu);
                if (!action.reply.empty()) conn->engine.Push(Share(action.reply));
            }
            conn->kicked = true;
            conn->CloseGracefully(false);
            co_return;
        }
    }
}

void RealtimeServer::Impl::HandleConnect(const std::shared_ptr<Connection>& conn, const ConnectAuth& auth) {
    std::string token = PickToken(auth, conn->query_token, conn->authorization);
    Result<auth::Principal> who = token.empty() ? Result<auth::Principal>(MakeError("missing_token", "authentication token required"))
                                                : authenticator.Authenticate(token);
    if (who && !access.IsActive(who->user_id)) who = MakeError("user_disabled", "user is disabled");
    if (!who) {
        std::lock_guard lock(conn->mu);
        conn->PushLocked(Share(EncodeConnectError(who.error().message, who.error().code)));
        return;  // the client may try CONNECT again until the connect timeout
    }

    // Recovery: a pid we issued to this same user, still within its window.
    std::optional<std::int64_t> recover_after;
    std::string pid;
    if (options.connection_state_recovery) {
        std::shared_ptr<Connection> previous;
        if (auth.pid) {
            std::lock_guard lock(pid_mu);
            auto it = pids.find(*auth.pid);
            if (it != pids.end() && it->second.user_id == who->user_id && it->second.company_id == who->company_id) {
                previous = it->second.live.lock();
                std::int64_t after = it->second.baseline;
                bool offset_ok = true;
                if (auth.offset) {
                    std::int64_t parsed = 0;
                    auto [p, ec] = std::from_chars(auth.offset->data(), auth.offset->data() + auth.offset->size(), parsed);
                    offset_ok = ec == std::errc() && p == auth.offset->data() + auth.offset->size() && parsed >= 0;
                    if (offset_ok) after = std::max(after, parsed);
                }
                if (offset_ok) {
                    recover_after = after;
                    pid = *auth.pid;
                    it->second.baseline = after;
                    it->second.expires_at = 0;
                    it->second.live = conn;
                }
            }
        }
        if (previous && previous != conn) {
            // The client came back before we noticed its old transport died: retire that one.
            previous->kicked = true;
            previous->Abort();
            Finalize(previous);
        }
        if (pid.empty()) {
            pid = NewOpaqueId();
            std::lock_guard lock(pid_mu);
            pids[pid] = PidRecord{who->user_id, who->company_id, 0, 0, conn};
        }
    }

    {
        std::lock_guard lock(conn->mu);
        if (conn->engine.closing()) return;
        conn->principal = std::move(*who);
        conn->pid = pid;
        conn->baseline = recover_after ? *recover_after : high_water.load();
        if (recover_after) {
            conn->connect_pending = true;
            conn->replaying = true;
        } else {
            conn->sio_state = SioState::kConnected;
            conn->PushLocked(Share(EncodeConnectOk(NewOpaqueId(), pid)));
        }
    }
    if (!pid.empty() && !recover_after) {
        std::lock_guard lock(pid_mu);
        if (auto it = pids.find(pid); it != pids.end()) it->second.baseline = conn->baseline;
    }
    Subscribe(conn);
    spdlog::debug("[realtime] socket connected: user {} session {}", conn->principal.user_id, conn->engine.sid());
    if (recover_after) {
        net::co_spawn(conn->strand, CompleteRecovery(conn, pid, *recover_after), [](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("[realtime] recovery failed: {}", ex.what());
                }
            }
        });
    }
}

net::awaitable<void> RealtimeServer::Impl::CompleteRecovery(std::shared_ptr<Connection> conn, std::string pid,
                                                            std::int64_t after) {
    // Replay from the durable log on the database executor, then answer CONNECT with the same
    // pid (the client then reports socket.recovered), the missed events, and what arrived live
    // meanwhile (minus what the replay already covered).
    // The blocking read runs as its own coroutine on the database executor. It copies what it
    // needs, and every operand below is a named local: no temporaries live across a co_await.
    using Loaded = std::pair<std::vector<store::Event>, bool>;
    struct Load {
        store::Repository* repo;
        std::string company;
        std::int64_t after;
        std::size_t cap;
        net::awaitable<Loaded> operator()() const {
            Loaded out{{}, false};
            std::int64_t cursor = after;
            constexpr int kPage = 500;
            while (out.first.size() <= cap) {
                std::vector<store::Event> page = repo->ListEvents(company, cursor, kPage);
                for (auto& e : page) out.first.push_back(std::move(e));
                if (page.size() < static_cast<std::size_t>(kPage)) {
                    out.second = true;
                    break;
                }
                cursor = out.first.back().id;
            }
            co_return out;
        }
    };
    Loaded loaded{{}, false};
    try {
        Load load{repository, conn->principal.company_id, after, options.max_replay_events};
        auto task = net::co_spawn(db, load, net::use_awaitable);
        loaded = co_await std::move(task);
    } catch (const std::exception& e) {
        spdlog::warn("[realtime] replay for user {} failed: {}", conn->principal.user_id, e.what());
        loaded.second = false;
    }
    std::vector<store::Event>& missed = loaded.first;
    bool complete = loaded.second;
    std::int64_t max_replayed = after;
    std::vector<SharedText> frames;
    if (complete) {
        for (const auto& e : missed) {
            max_replayed = std::max(max_replayed, e.id);
            if (!MayReceive(access, conn->principal, e)) continue;
            auto frame = EncodeEventFrame(e);
            if (frame) frames.push_back(Share(std::move(*frame)));
        }
        counters.recoveries.fetch_add(1, std::memory_order_relaxed);
    } else {
        std::lock_guard lock(pid_mu);
        pids.erase(pid);
        pid = NewOpaqueId();
        pids[pid] = PidRecord{conn->principal.user_id, conn->principal.company_id, high_water.load(), 0, conn};
    }
    bool overflow = false;
    {
        std::lock_guard lock(conn->mu);
        conn->connect_pending = false;
        conn->replaying = false;
        if (conn->engine.closing()) co_return;
        conn->pid = pid;
        conn->sio_state = SioState::kConnected;
        conn->PushLocked(Share(EncodeConnectOk(NewOpaqueId(), pid)));
        for (auto& f : frames) overflow = overflow || !conn->PushLocked(std::move(f));
        for (auto& [id, f] : conn->stash)
            if (id > max_replayed || !complete) overflow = overflow || !conn->PushLocked(f);
        conn->stash.clear();
        conn->stash.shrink_to_fit();
        if (complete) conn->replayed_through = max_replayed;
    }
    if (overflow) {
        counters.slow.fetch_add(1, std::memory_order_relaxed);
        conn->Abort();
    }
}

// ---------------------------------------------------------------------------------------------
// Transports

namespace {

net::awaitable<void> WriteHttp(beast::tcp_stream& stream, const bhttp::request<bhttp::string_body>& req,
                               bhttp::status status, std::string_view content_type, std::string body) {
    bhttp::response<bhttp::string_body> res{status, req.version()};
    res.set(bhttp::field::server, "wadesk");
    res.set(bhttp::field::content_type, content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    stream.expires_after(kWriteTimeout);
    co_await bhttp::async_write(stream, res, net::use_awaitable);  // throws: the session closes
    stream.expires_never();
}

net::awaitable<void> WriteEioError(beast::tcp_stream& stream, const bhttp::request<bhttp::string_body>& req,
                                   EioHttpError code, bhttp::status status = bhttp::status::bad_request) {
    co_await WriteHttp(stream, req, status, "application/json", EioHttpErrorBody(code));
}

// Waits on the connection's strand until there is something to answer a poll with.
net::awaitable<std::string> WaitPollBody(std::shared_ptr<Connection> conn) {
    auto timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor);
    for (;;) {
        {
            std::lock_guard lock(conn->mu);
            if (conn->poll_waiter == timer) conn->poll_waiter.reset();
            if (conn->engine.closed() && !conn->engine.HasOutbound()) co_return EncodeEioPacket(EioType::kClose);
            if (conn->engine.transport() != Transport::kPolling) co_return EncodeEioPacket(EioType::kNoop);
            std::string body = conn->engine.TakePollBody();
            if (!body.empty()) co_return body;
            conn->poll_waiter = timer;
            timer->expires_after(std::chrono::milliseconds(conn->engine.options().ping_interval_ms +
                                                           conn->engine.options().ping_timeout_ms));
        }
        co_await timer->async_wait(net::as_tuple(net::use_awaitable));
    }
}

}  // namespace

net::awaitable<bool> RealtimeServer::Impl::HandlePolling(beast::tcp_stream& stream,
                                                         bhttp::request<bhttp::string_body>& req, const Query& q) {
    if (q.sid.empty()) {
        if (req.method() != bhttp::verb::get) {
            co_await WriteEioError(stream, req, EioHttpError::kBadHandshakeMethod);
            co_return false;
        }
        auto conn = NewSession(Transport::kPolling, q, req[bhttp::field::authorization]);
        co_await WriteHttp(stream, req, bhttp::status::ok, "text/plain; charset=UTF-8", conn->engine.OpenPacket());
        co_return false;
    }
    auto conn = FindSession(q.sid);
    if (!conn) {
        co_await WriteEioError(stream, req, EioHttpError::kUnknownSid);
        co_return false;
    }
    if (req.method() == bhttp::verb::get) {
        bool overlap = false, stale = false;
        {
            std::lock_guard lock(conn->mu);
            if (conn->engine.transport() != Transport::kPolling) stale = true;
            else if (conn->poll_active) overlap = true;
            else conn->poll_active = true;
        }
        if (stale) {
            co_await WriteEioError(stream, req, EioHttpError::kBadRequest);
            co_return false;
        }
        if (overlap) {
            counters.protocol.fetch_add(1, std::memory_order_relaxed);
            conn->Abort();
            Finalize(conn);
            co_await WriteEioError(stream, req, EioHttpError::kBadRequest);
            co_return false;
        }
        auto wait = net::co_spawn(conn->strand, WaitPollBody(conn), net::use_awaitable);
        std::string body = co_await std::move(wait);
        bool done = false;
        {
            std::lock_guard lock(conn->mu);
            conn->poll_active = false;
            done = conn->engine.closing() && !conn->engine.HasOutbound() &&
                   conn->engine.transport() == Transport::kPolling;
        }
        if (done) Finalize(conn);
        co_await WriteHttp(stream, req, bhttp::status::ok, "text/plain; charset=UTF-8", std::move(body));
        co_return false;
    }
    if (req.method() == bhttp::verb::post) {
        if (req.body().size() > options.engine.max_payload) {
            counters.protocol.fetch_add(1, std::memory_order_relaxed);
            conn->Abort();
            Finalize(conn);
            co_await WriteHttp(stream, req, bhttp::status::payload_too_large, "application/json",
                               EioHttpErrorBody(EioHttpError::kBadRequest));
            co_return false;
        }
        auto packets = DecodePollingPayload(req.body(), kMaxPacketsPerPost);
        if (!packets) {
            counters.protocol.fetch_add(1, std::memory_order_relaxed);
            spdlog::info("[realtime] closing session {}: {}", conn->engine.sid(), packets.error().message);
            conn->Abort();
            Finalize(conn);
            co_await WriteEioError(stream, req, EioHttpError::kBadRequest);
            co_return false;
        }
        bool upgraded;
        {
            std::lock_guard lock(conn->mu);
            upgraded = conn->engine.transport() != Transport::kPolling;
        }
        if (upgraded) {  // packets after the upgrade belong on the websocket
            co_await WriteEioError(stream, req, EioHttpError::kBadRequest);
            co_return false;
        }
        co_await ProcessInbound(conn, std::move(*packets), Channel::kPrimary);
        co_await WriteHttp(stream, req, bhttp::status::ok, "text/html", "ok");
        co_return false;
    }
    co_await WriteEioError(stream, req, EioHttpError::kBadRequest);
    co_return false;
}

net::awaitable<bool> RealtimeServer::Impl::HandleWebsocket(beast::tcp_stream& stream,
                                                           bhttp::request<bhttp::string_body>& req, const Query& q,
                                                           beast::flat_buffer& buffer,
                                                           std::shared_ptr<void> connection_slot) {
    if (!websocket::is_upgrade(req)) {
        co_await WriteEioError(stream, req, EioHttpError::kBadRequest);
        co_return false;
    }
    std::shared_ptr<Connection> conn;
    if (!q.sid.empty()) {
        conn = FindSession(q.sid);
        Result<void> begun = MakeError("unknown_sid", "unknown sid");
        if (conn) {
            std::lock_guard lock(conn->mu);
            begun = conn->engine.BeginUpgrade();
        }
        if (!begun) {
            co_await WriteEioError(stream, req, conn ? EioHttpError::kBadRequest : EioHttpError::kUnknownSid);
            co_return false;
        }
    } else {
        conn = NewSession(Transport::kWebsocket, q, req[bhttp::field::authorization]);
    }

    // Move the socket onto the connection's strand: every operation of the connection then runs
    // there. Bytes the client sent after its upgrade request are handed to the frame reader.
    std::string early = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    boost::system::error_code ec;
    auto protocol = stream.socket().local_endpoint(ec).protocol();
    if (ec) {
        Finalize(conn);
        co_return true;
    }
    auto fd = stream.socket().release(ec);
    if (ec) {
        Finalize(conn);
        co_return true;
    }
    tcp::socket socket(conn->strand);
    socket.assign(protocol, fd, ec);
    if (ec) {
        Finalize(conn);
        co_return true;
    }
    socket.set_option(tcp::no_delay(true), ec);  // event frames are small: never wait for Nagle
    Channel channel = q.sid.empty() ? Channel::kPrimary : Channel::kProbe;
    auto self = shared_from_this();
    // The coroutine holds `slot` (the HTTP server's count of open connections) while it runs.
    net::co_spawn(
        conn->strand,
        [self, conn, channel, early = std::move(early), socket = std::move(socket), slot = std::move(connection_slot),
         r = std::make_shared<bhttp::request<bhttp::string_body>>(std::move(req))]() mutable -> net::awaitable<void> {
            // Beast answers the handshake (101, or 400 for a bad upgrade request); then the
            // server reads and writes frames on the bare socket itself.
            std::shared_ptr<WsLink> link;
            {
                WsStream ws(std::move(socket));
                ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(10), websocket::stream_base::none(),
                                                              false});
                ws.set_option(websocket::stream_base::decorator(
                    [](websocket::response_type& res) { res.set(bhttp::field::server, "wadesk"); }));
                auto [aec] = co_await ws.async_accept(*r, net::as_tuple(net::use_awaitable));
                r.reset();  // the handshake request is not kept for the life of the socket
                if (!aec) {
                    link = std::make_shared<WsLink>(ws.next_layer().release_socket(), self->options.engine.max_payload);
                    link->socket.non_blocking(true, aec);
                }
                if (aec) {
                    if (channel == Channel::kProbe) {
                        std::lock_guard lock(conn->mu);
                        conn->engine.AbortUpgrade();
                    } else {
                        self->Finalize(conn);
                    }
                    co_return;
                }
            }
            co_await self->RunWebsocket(conn, link, channel, std::move(early));
        },
        [](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::warn("[realtime] websocket ended with an error: {}", ex.what());
                }
            }
        });
    co_return true;
}

namespace {
// Writes one frame on a websocket that has no writer yet (the upgrade probe), best effort.
net::awaitable<bool> WriteProbeFrame(WsLink& link, WsOpcode opcode, std::string_view payload) {
    std::string frame = EncodeWsFrame(opcode, payload);
    auto [ec, n] = co_await net::async_write(link.socket, net::buffer(frame), net::as_tuple(net::use_awaitable));
    co_return !ec;
}

// Sends a close frame now when nothing else is half-written on the socket (best effort: the
// connection is being dropped for a protocol error or answers the peer's close).
void SendCloseNow(WsLink& link, std::uint16_t code) {
    if (link.close_sent || link.Writing()) return;
    link.close_sent = true;
    std::string frame = EncodeWsFrame(WsOpcode::kClose, EncodeWsClosePayload(code));
    (void)::send(link.socket.native_handle(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}
}  // namespace

net::awaitable<void> RealtimeServer::Impl::RunWebsocket(std::shared_ptr<Connection> conn, std::shared_ptr<WsLink> link,
                                                        Channel channel, std::string early) {
    bool primary = channel == Channel::kPrimary;
    if (primary) {
        std::lock_guard lock(conn->mu);
        conn->ws = link;
        conn->engine.Push(Share(conn->engine.OpenPacket()));
        conn->WakeLocked();
    }
    // How the socket ends: kDrop closes it now; kGraceful lets the writer flush what is queued
    // and send a close frame, then keeps reading until the peer closes (or the sweep gives up).
    enum class End { kNone, kDrop, kGraceful };
    End end = End::kNone;
    bool draining = false;  // a graceful close is under way: inbound messages are ignored
    std::vector<WsInbound> inbound;
    std::string pending_input = std::move(early);
    for (;;) {
        if (pending_input.empty()) {
            auto [wec] = co_await link->socket.async_wait(tcp::socket::wait_read, net::as_tuple(net::use_awaitable));
            if (wec) {
                end = End::kDrop;
                break;
            }
        }
        // Read what is there (a bounded number of chunks per wake-up) into the reader.
        thread_local std::array<char, kReadChunk> chunk;
        Result<void> fed;
        bool eof = false;
        if (!pending_input.empty()) {
            fed = link->reader.Feed(pending_input, inbound);
            std::string().swap(pending_input);
        }
        for (int i = 0; fed && i < kReadsPerWake; ++i) {
            boost::system::error_code rec;
            std::size_t n = link->socket.read_some(net::buffer(chunk), rec);
            if (rec == net::error::would_block || rec == net::error::try_again) break;
            if (rec) {
                eof = true;
                break;
            }
            fed = link->reader.Feed(std::string_view(chunk.data(), n), inbound);
            if (n < chunk.size()) break;
        }
        if (!fed) {
            counters.protocol.fetch_add(1, std::memory_order_relaxed);
            spdlog::info("[realtime] closing session {}: {}", conn->engine.sid(), fed.error().message);
            if (fed.error().code == "ws_too_big") {
                spdlog::info("[realtime] closing session {}: frame over {} bytes", conn->engine.sid(),
                             options.engine.max_payload);
            }
            SendCloseNow(*link, WsCloseCodeFor(fed.error()));
            end = End::kDrop;
        }
        // Whatever completed before an error or the end of the stream is still handled.
        for (auto& in : inbound) {
            if (end == End::kDrop) break;
            if (in.opcode == WsOpcode::kClose) {
                SendCloseNow(*link, in.close_code == 1005 ? kWsCloseNormal : in.close_code);
                end = End::kDrop;
                break;
            }
            if (in.opcode == WsOpcode::kPong) continue;
            if (in.opcode == WsOpcode::kPing) {
                if (!primary) {
                    if (!co_await WriteProbeFrame(*link, WsOpcode::kPong, in.payload)) end = End::kDrop;
                    continue;
                }
                std::lock_guard lock(conn->mu);
                conn->ws_control += EncodeWsFrame(WsOpcode::kPong, in.payload);
                conn->WakeLocked();
                continue;
            }
            if (draining) continue;
            if (in.opcode == WsOpcode::kBinary) {
                counters.protocol.fetch_add(1, std::memory_order_relaxed);
                spdlog::info("[realtime] closing session {}: binary frame", conn->engine.sid());
                if (!primary) {
                    end = End::kDrop;
                    break;
                }
                {
                    std::lock_guard lock(conn->mu);
                    conn->engine.Push(Share(EncodeConnectError("binary frames are not supported", "binary_unsupported")));
                }
                conn->kicked = true;
                end = End::kGraceful;
                break;
            }
            auto packet = DecodeEioPacket(in.payload);
            if (!packet) {
                counters.protocol.fetch_add(1, std::memory_order_relaxed);
                spdlog::info("[realtime] closing session {}: {}", conn->engine.sid(), packet.error().message);
                conn->kicked = true;
                end = primary ? End::kGraceful : End::kDrop;
                break;
            }
            if (!primary) {
                Result<EngineSession::Inbound> result = MakeError("closed", "closed");
                {
                    std::lock_guard lock(conn->mu);
                    result = conn->engine.OnPacket(*packet, Channel::kProbe, NowMs());
                }
                if (!result) {
                    counters.protocol.fetch_add(1, std::memory_order_relaxed);
                    end = End::kDrop;  // only the probe fails; the polling session goes on
                    break;
                }
                if (result->probe_reply) {
                    if (!co_await WriteProbeFrame(*link, WsOpcode::kText, *result->probe_reply)) {
                        end = End::kDrop;
                        break;
                    }
                    std::lock_guard lock(conn->mu);
                    conn->WakeLocked();  // the pending poll answers with a noop
                }
                if (result->upgraded) {
                    primary = true;
                    std::lock_guard lock(conn->mu);
                    conn->ws = link;  // what is queued moves to the websocket
                    conn->WakeLocked();
                }
                continue;
            }
            std::vector<EioPacket> one;
            one.push_back(std::move(*packet));
            co_await ProcessInbound(conn, std::move(one), Channel::kPrimary);
            std::lock_guard lock(conn->mu);
            if (conn->engine.closed()) {
                end = End::kDrop;
                break;
            }
            if (conn->engine.closing()) draining = true;
        }
        inbound.clear();
        if (end == End::kGraceful) {
            conn->CloseGracefully(false);
            draining = true;
            end = End::kNone;
        }
        if (end == End::kDrop) break;
        if (eof) {
            end = End::kDrop;
            break;
        }
        if (draining) {
            std::lock_guard lock(conn->mu);
            if (conn->engine.closed()) break;
        }
    }
    if (!primary) {
        std::lock_guard lock(conn->mu);
        conn->engine.AbortUpgrade();
        boost::system::error_code ec;
        link->socket.close(ec);
        co_return;
    }
    conn->Abort();  // discards what is still queued; a no-op when the session is already closed
    boost::system::error_code ec;
    link->socket.close(ec);
    Finalize(conn);
}

// ---------------------------------------------------------------------------------------------

RealtimeServer::RealtimeServer(net::any_io_executor io, net::any_io_executor db, const auth::Authenticator& authenticator,
                               const service::AccessView& access, service::EventBus& bus, store::Repository* repository,
                               RealtimeOptions options)
    : impl_(std::make_shared<Impl>(std::move(io), std::move(db), authenticator, access, bus, repository, options)) {}

RealtimeServer::~RealtimeServer() { Stop(); }

void RealtimeServer::Start() {
    std::weak_ptr<Impl> weak = impl_;
    impl_->subscription = impl_->bus.Subscribe([weak](const store::Event& event) {
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

net::awaitable<bool> RealtimeServer::HandleSocketIo(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                    bhttp::request<bhttp::string_body> req,
                                                    std::shared_ptr<void> connection_slot) {
    auto impl = impl_;
    Query q = ParseQuery(req.target());
    if (!q.ok) {
        co_await WriteHttp(stream, req, bhttp::status::not_found, "application/json",
                           R"({"success":false,"error":{"code":"not_found","message":"no such route"}})");
        co_return false;
    }
    if (impl->stopped) {
        co_await WriteEioError(stream, req, EioHttpError::kForbidden, bhttp::status::service_unavailable);
        co_return false;
    }
    if (q.eio != "4") {
        co_await WriteEioError(stream, req, EioHttpError::kUnsupportedProtocolVersion);
        co_return false;
    }
    // Two Authorization headers: which one a proxy or we would honour is not for the client to
    // find out. Refused, as the REST API refuses them.
    if (req.count(bhttp::field::authorization) > 1) {
        co_await WriteEioError(stream, req, EioHttpError::kBadRequest);
        co_return false;
    }
    if (q.transport == "polling") co_return co_await impl->HandlePolling(stream, req, q);
    if (q.transport == "websocket") co_return co_await impl->HandleWebsocket(stream, req, q, buffer, std::move(connection_slot));
    co_await WriteEioError(stream, req, EioHttpError::kUnknownTransport);
    co_return false;
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
