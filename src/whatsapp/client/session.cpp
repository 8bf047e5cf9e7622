// The only Beast/Asio translation unit of the client: websocket transport (ws:// and wss://),
// the per-connection reader / writer / timer coroutines, and the reconnect loop.
// Over the ~600 lines a file should keep to, on purpose: each Beast/Asio translation unit costs
// about 1 GB of compiler memory and 12 s of build, so the client keeps exactly one.
#include "whatsapp/client/session.h"
#include "whatsapp/client/tls.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>

#include <deque>
#include <mutex>
#include <random>
#include <utility>

#include "core/log.h"
#include "whatsapp/client/receive.h"

namespace wadesk::wa {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

std::string_view SessionStatusName(SessionStatus status) {
    switch (status) {
        case SessionStatus::kInitializing: return "initializing";
        case SessionStatus::kQr: return "qr";
        case SessionStatus::kConnected: return "connected";
        case SessionStatus::kReconnecting: return "reconnecting";
        case SessionStatus::kDisconnected: return "disconnected";
        case SessionStatus::kLoggedOut: return "logged_out";
        case SessionStatus::kFailed: return "failed";
    }
    return "unknown";
}

std::chrono::milliseconds ReconnectDelay(const ClientConfig& config, int attempt) {
    const auto base = config.reconnect_base.count();
    const auto cap = config.reconnect_max.count();
    std::int64_t delay = base;
    for (int i = 0; i < attempt && delay < cap; ++i) delay *= 2;
    delay = std::min<std::int64_t>(delay, cap);
    Bytes r = RandomBytes(2);
    const double unit = ((r[0] << 8) | r[1]) / 65535.0;  // [0, 1]
    const double jitter = 0.8 + 0.4 * unit;              // +/-20 %
    return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(delay) * jitter));
}

namespace {

struct Endpoint {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;
};

Result<Endpoint> ParseEndpoint(const std::string& url) {
    auto u = boost::urls::parse_uri(url);
    if (!u) return MakeError("bad_url", "cannot parse " + url);
    Endpoint e;
    const auto scheme = u->scheme();
    if (scheme == "wss") {
        e.tls = true;
    } else if (scheme != "ws") {
        return MakeError("bad_url", "URL scheme must be ws or wss");
    }
    e.host = std::string(u->host());
    if (e.host.empty()) return MakeError("bad_url", "URL has no host");
    e.port = u->has_port() ? std::string(u->port()) : (e.tls ? "443" : "80");
    e.target = std::string(u->encoded_path());
    if (e.target.empty()) e.target = "/";
    if (u->has_query()) e.target += "?" + std::string(u->encoded_query());
    return e;
}

// What one live connection needs, shared by its reader, writer and timer coroutines.
struct Link : ConnectionSink {
    explicit Link(const net::any_io_executor& ex) : wake(ex), tick(ex), resume(ex) {}

    std::deque<Bytes> out;
    net::steady_timer wake;    // the writer's "queue changed" signal
    net::steady_timer tick;    // the Connection's next deadline
    net::steady_timer resume;  // the reader's "the receive lane has room again" signal
    std::optional<CloseInfo> closed;
    std::atomic<bool> open{true};   // !closed, readable from the receive lane
    std::atomic<int> in_lane{0};    // this connection's stanzas in the receive lane
    std::unique_ptr<Connection> conn;

    void SendBytes(Bytes data) override {
        out.push_back(std::move(data));
        wake.cancel();
    }
    void Close(const CloseInfo& info) override {
        if (!closed) closed = info;
        open = false;
        wake.cancel();
        tick.cancel();
        resume.cancel();
    }
    // After any call into conn: the deadline may have moved.
    void Rearm() { tick.cancel(); }
};

template <class Ws>
struct WsLink : Link {
    template <class... Args>
    WsLink(const net::any_io_executor& ex, Args&&... args) : Link(ex), ws(std::forward<Args>(args)...) {}
    Ws ws;
};

template <class Ws>
net::awaitable<void> ReadLoop(std::shared_ptr<WsLink<Ws>> link) {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await link->ws.async_read(buffer, net::as_tuple(net::use_awaitable));
        if (ec) {
            if (!link->closed) link->conn->OnTransportClosed("transport: " + ec.message());
            co_return;
        }
        auto data = buffer.cdata();
        link->conn->OnData(BytesView(static_cast<const std::uint8_t*>(data.data()), data.size()), Clock::now());
        buffer.consume(buffer.size());
        link->Rearm();
        // Backpressure: a full receive lane stops the reading (the lane wakes us, or we look again).
        while (link->in_lane.load() >= Session::kMaxLaneDepth && !link->closed) {
            link->resume.expires_after(std::chrono::milliseconds(50));
            co_await link->resume.async_wait(net::as_tuple(net::use_awaitable));
        }
        if (link->closed) co_return;
    }
}

net::awaitable<void> TickLoop(std::shared_ptr<Link> link) {
    for (;;) {
        if (link->closed) co_return;
        auto deadline = link->conn->NextDeadline();
        link->tick.expires_at(deadline ? *deadline : TimePoint::max());
        auto [ec] = co_await link->tick.async_wait(net::as_tuple(net::use_awaitable));
        if (link->closed) co_return;
        if (!ec) link->conn->OnTick(Clock::now());
    }
}

template <class Ws>
net::awaitable<CloseInfo> WriteLoop(std::shared_ptr<WsLink<Ws>> link) {
    for (;;) {
        while (!link->out.empty()) {
            Bytes data = std::move(link->out.front());
            link->out.pop_front();
            auto [ec, n] = co_await link->ws.async_write(net::buffer(data), net::as_tuple(net::use_awaitable));
            if (ec) {
                if (!link->closed) link->conn->OnTransportClosed("transport: " + ec.message());
                link->out.clear();
                break;
            }
        }
        if (link->closed) break;
        link->wake.expires_at(TimePoint::max());
        co_await link->wake.async_wait(net::as_tuple(net::use_awaitable));
    }
    // Polite close with a short bound, then drop the socket (ends the reader).
    beast::get_lowest_layer(link->ws).expires_after(std::chrono::seconds(2));
    co_await link->ws.async_close(websocket::close_code::normal, net::as_tuple(net::use_awaitable));
    beast::get_lowest_layer(link->ws).close();
    co_return *link->closed;
}

}  // namespace

// ---- Impl --------------------------------------------------------------------------------------

struct Session::Impl : ClientEvents {
    Impl(net::io_context& io_, ClientConfig config_, CredentialStore& store_, SessionEvents& events_,
         net::thread_pool* pool, ReceiveLaneStats* stats_)
        : io(io_),
          strand(net::make_strand(io_)),
          config(std::move(config_)),
          store(store_),
          batching(store_),
          events(events_),
          backoff(strand),
          lane_executor(pool ? net::any_io_executor(pool->get_executor()) : net::any_io_executor(io_.get_executor())),
          lane_retry(lane_executor),
          stats(stats_ ? stats_ : &own_stats) {}

    net::io_context& io;
    net::strand<net::io_context::executor_type> strand;
    ClientConfig config;
    CredentialStore& store;
    BatchingCredentialStore batching;  // what the Signal state and the connection write through
    SessionEvents& events;
    net::steady_timer backoff;
    std::weak_ptr<Session> self;

    Credentials creds;
    std::shared_ptr<SignalManager> signal;
    std::optional<MediaConn> media_conn;  // the last media_conn answer (strand only)

    // The receive lane: stanzas taken from the connection, processed in order off the strand.
    struct LaneJob {
        std::shared_ptr<Link> link;
        Node stanza;
        Clock::time_point arrived;
    };
    net::any_io_executor lane_executor;
    net::steady_timer lane_retry;     // backoff after a failed commit (used by the lane only)
    std::mutex lane_mutex;            // guards lane and lane_active
    std::deque<LaneJob> lane;
    bool lane_active = false;         // a drain is scheduled or running
    int lane_failures = 0;            // consecutive failed commits (lane only)
    RetryCounter lane_retries;        // lane only
    ReceiveLaneStats own_stats;
    ReceiveLaneStats* stats;
    bool running = false;
    bool start_after_stop = false;  // a start that came while a stop was still under way
    bool stop_requested = false;
    bool logout_requested = false;
    int attempt = 0;
    std::shared_ptr<Link> link;
    std::optional<SessionStatus> status;
    std::string status_reason;

    void SetStatus(SessionStatus s, const std::string& reason) {
        if (status == s && status_reason == reason) return;
        status = s;
        status_reason = reason;
        events.OnStatus(s, reason);
    }

    // ClientEvents relay.
    void OnQr(const std::string& text, std::chrono::seconds ttl) override {
        SetStatus(SessionStatus::kQr, "");
        events.OnQr(text, ttl);
    }
    void OnPaired(const Me& me) override { events.OnPaired(me); }
    void OnConnected(const Me& me) override {
        attempt = 0;
        SetStatus(SessionStatus::kConnected, "");
        events.OnConnected(me);
    }
    bool OnMessage(const IncomingMessage& m, const CredentialWrites& writes) override {
        return events.OnMessage(m, writes);
    }

    // On the strand: queue the stanza for the receive lane.
    bool TakeMessage(const Node& stanza) override {
        if (!link) return false;
        link->in_lane.fetch_add(1);
        stats->queued.fetch_add(1);
        std::lock_guard guard(lane_mutex);
        lane.push_back(LaneJob{link, stanza, Clock::now()});
        if (!lane_active) {
            lane_active = true;
            net::post(lane_executor, [keep = self.lock(), this] { DrainLane(); });
        }
        return true;
    }

    // On the lane: processes queued stanzas in order until the lane is empty or a commit fails
    // (then it comes back after a backoff and tries the same stanza again).
    void DrainLane() {
        for (;;) {
            LaneJob* job = nullptr;
            {
                std::lock_guard guard(lane_mutex);
                if (lane.empty()) {
                    lane_active = false;
                    return;
                }
                job = &lane.front();  // only this drain pops, so the reference stays valid
            }
            std::shared_ptr<Link> l = job->link;
            if (l->open) {
                std::optional<MessageOutcome> outcome;
                std::shared_ptr<SignalManager> sig = signal;
                try {
                    auto hold = sig->Lock();
                    ReceiveContext ctx{creds, *sig, &batching, batching, *this, lane_retries};
                    outcome = ReceiveMessage(ctx, job->stanza);
                } catch (const std::exception& e) {
                    spdlog::error("wa: receiving a message failed: {}", e.what());
                }
                if (!outcome || outcome->reply == MessageOutcome::Reply::kNone) {
                    sig->lid_map().ClearCache();  // pairs learned in the rolled-back unit are not stored
                    if (l->open) {
                        stats->commit_failures.fetch_add(1);
                        const int shift = std::min(lane_failures++, 6);
                        lane_retry.expires_after(std::chrono::milliseconds(100) * (1 << shift));
                        lane_retry.async_wait([keep = self.lock(), this](boost::system::error_code) { DrainLane(); });
                        return;
                    }
                    // The connection is gone: WhatsApp redelivers what was not receipted.
                } else {
                    lane_failures = 0;
                    stats->committed.fetch_add(1);
                    if (outcome->reply == MessageOutcome::Reply::kRetry) stats->undecryptable.fetch_add(1);
                    stats->RecordLatency(
                        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job->arrived));
                    net::post(strand, [l, stanza = std::move(job->stanza), out = *outcome] {
                        if (l->closed || !l->conn) return;
                        l->conn->CompleteMessage(stanza, out);
                        l->Rearm();
                    });
                }
            }
            {
                std::lock_guard guard(lane_mutex);
                lane.pop_front();
            }
            stats->queued.fetch_sub(1);
            if (l->in_lane.fetch_sub(1) == kMaxLaneDepth) net::post(strand, [l] { l->resume.cancel(); });
        }
    }
    void OnReceipt(const ReceiptEvent& r) override { events.OnReceipt(r); }
    void OnGroup(const GroupEvent& g) override { events.OnGroup(g); }
    void OnSendAck(const std::string& id, int error) override { events.OnSendAck(id, error); }
    void OnSendFailed(const std::string& id, const std::string& reason) override { events.OnSendFailed(id, reason); }

    Result<void> LoadCredentials() {
        if (auto blob = store.Get(store_keys::kCredentials)) {
            auto decoded = DecodeCredentials(*blob);
            if (!decoded) return decoded.error();
            creds = std::move(*decoded);
        } else {
            creds = GenerateCredentials();
            store.Put(store_keys::kCredentials, EncodeCredentials(creds));
        }
        auto manager = SignalManager::Create(batching, creds);
        if (!manager) return manager.error();
        signal = std::shared_ptr<SignalManager>(std::move(*manager));
        return {};
    }

    void ForgetCredentials() {
        store.Delete(store_keys::kCredentials);
        signal.reset();
    }

    template <class Ws>
    net::awaitable<CloseInfo> Drive(std::shared_ptr<WsLink<Ws>> l, const Endpoint& ep) {
        l->ws.set_option(websocket::stream_base::decorator([origin = config.origin](websocket::request_type& req) {
            req.set(beast::http::field::origin, origin);
            req.set(beast::http::field::user_agent, "wadesk");
        }));
        const std::string host = ep.host + ":" + ep.port;
        auto [hec] = co_await l->ws.async_handshake(host, ep.target, net::as_tuple(net::use_awaitable));
        if (hec) co_return CloseInfo{CloseKind::kTransient, 0, "websocket_handshake: " + hec.message()};
        beast::get_lowest_layer(l->ws).expires_never();
        l->ws.binary(true);
        l->ws.read_message_max(16u << 20);

        l->conn = std::make_unique<Connection>(config, creds, batching, *signal, *l, *this);
        link = l;
        if (stop_requested) l->conn->Stop();
        else l->conn->Start(Clock::now());
        auto on_done = [](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("wa session coroutine failed: {}", ex.what());
                }
            }
        };
        net::co_spawn(strand, ReadLoop<Ws>(l), on_done);
        net::co_spawn(strand, TickLoop(l), on_done);
        CloseInfo info = co_await WriteLoop<Ws>(l);
        link.reset();
        co_return info;
    }

    net::awaitable<CloseInfo> RunOnce() {
        auto ep = ParseEndpoint(config.url);
        if (!ep) co_return CloseInfo{CloseKind::kFatal, 0, ep.error().code};
        tcp::resolver resolver(strand);
        auto [rec, results] =
            co_await resolver.async_resolve(ep->host, ep->port, net::as_tuple(net::use_awaitable));
        if (rec) co_return CloseInfo{CloseKind::kTransient, 0, "resolve: " + rec.message()};

        if (!ep->tls) {
            using Ws = websocket::stream<beast::tcp_stream>;
            auto l = std::make_shared<WsLink<Ws>>(strand, strand);
            beast::get_lowest_layer(l->ws).expires_after(config.handshake_timeout);
            auto [cec, endpoint] =
                co_await beast::get_lowest_layer(l->ws).async_connect(results, net::as_tuple(net::use_awaitable));
            if (cec) co_return CloseInfo{CloseKind::kTransient, 0, "connect: " + cec.message()};
            co_return co_await Drive<Ws>(l, *ep);
        }
        using Ws = websocket::stream<ssl::stream<beast::tcp_stream>>;
        auto l = std::make_shared<WsLink<Ws>>(strand, strand, WaTlsContext());
        beast::get_lowest_layer(l->ws).expires_after(config.handshake_timeout);
        auto [cec, endpoint] =
            co_await beast::get_lowest_layer(l->ws).async_connect(results, net::as_tuple(net::use_awaitable));
        if (cec) co_return CloseInfo{CloseKind::kTransient, 0, "connect: " + cec.message()};
        if (!SSL_set_tlsext_host_name(l->ws.next_layer().native_handle(), ep->host.c_str()))
            co_return CloseInfo{CloseKind::kTransient, 0, "tls: cannot set SNI"};
        l->ws.next_layer().set_verify_callback(ssl::host_name_verification(ep->host));
        auto [tec] = co_await l->ws.next_layer().async_handshake(ssl::stream_base::client,
                                                                 net::as_tuple(net::use_awaitable));
        if (tec) co_return CloseInfo{CloseKind::kTransient, 0, "tls: " + tec.message()};
        co_return co_await Drive<Ws>(l, *ep);
    }

    net::awaitable<void> Run() {
        SetStatus(SessionStatus::kInitializing, "");
        CloseInfo last;
        while (!stop_requested) {
            last = co_await RunOnce();
            if (stop_requested && last.kind != CloseKind::kLoggedOut) last = CloseInfo{CloseKind::kStopped, 0, "stopped"};
            if (last.kind == CloseKind::kRestartRequired) {
                attempt = 0;
                continue;
            }
            if (last.kind != CloseKind::kTransient) break;
            SetStatus(SessionStatus::kReconnecting, last.reason);
            backoff.expires_after(ReconnectDelay(config, attempt++));
            co_await backoff.async_wait(net::as_tuple(net::use_awaitable));
        }
        if (stop_requested && last.kind == CloseKind::kTransient) last = CloseInfo{CloseKind::kStopped, 0, "stopped"};
        running = false;
        if (logout_requested || last.kind == CloseKind::kLoggedOut) {
            ForgetCredentials();
            SetStatus(SessionStatus::kLoggedOut, logout_requested ? "logout" : last.reason);
            co_return;
        }
        switch (last.kind) {
            case CloseKind::kQrTimeout: SetStatus(SessionStatus::kDisconnected, "qr_timeout"); break;
            case CloseKind::kReplaced: SetStatus(SessionStatus::kDisconnected, "replaced"); break;
            case CloseKind::kFatal: SetStatus(SessionStatus::kFailed, last.reason); break;
            default: SetStatus(SessionStatus::kDisconnected, "stopped"); break;
        }
    }
};

// ---- Session ---------------------------------------------------------------------------------------

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

std::shared_ptr<Session> Session::Create(net::io_context& io, ClientConfig config, CredentialStore& store,
                                         SessionEvents& events, net::thread_pool* lane_pool,
                                         ReceiveLaneStats* stats) {
    auto session = std::shared_ptr<Session>(
        new Session(std::make_unique<Impl>(io, std::move(config), store, events, lane_pool, stats)));
    session->impl_->self = session;
    return session;
}

void ReceiveLaneStats::RecordLatency(std::chrono::microseconds latency) {
    const double ms = static_cast<double>(latency.count()) / 1000.0;
    std::size_t i = 0;
    while (i < kBucketsMs.size() && ms > kBucketsMs[i]) ++i;
    latency_buckets[i].fetch_add(1);
    latency_sum_us.fetch_add(latency.count());
}

void Session::Start() {
    net::post(impl_->strand, [self = shared_from_this()] {
        Impl& s = *self->impl_;
        if (s.running) {
            // Still stopping (an admin's stop, then start at once): start again once it has.
            if (s.stop_requested && !s.logout_requested) s.start_after_stop = true;
            return;
        }
        s.stop_requested = false;
        s.logout_requested = false;
        // The store may refuse (a session deleted while its start was queued: its credentials
        // no longer have a session to belong to); that fails this start, not the process.
        Result<void> loaded;
        try {
            loaded = s.LoadCredentials();
        } catch (const std::exception& e) {
            spdlog::warn("wa: the session's credentials cannot be loaded or created: {}", e.what());
            loaded = MakeError("credentials_unavailable", e.what());
        }
        if (!loaded) {
            s.SetStatus(SessionStatus::kFailed, loaded.error().code);
            return;
        }
        s.running = true;
        net::co_spawn(s.strand, [self]() -> net::awaitable<void> { co_await self->impl_->Run(); },
                      [self](std::exception_ptr e) {
                          if (e) {
                              try {
                                  std::rethrow_exception(e);
                              } catch (const std::exception& ex) {
                                  spdlog::error("wa session failed: {}", ex.what());
                              }
                          }
                          if (std::exchange(self->impl_->start_after_stop, false)) self->Start();
                      });
    });
}

void Session::Stop() {
    net::post(impl_->strand, [self = shared_from_this()] {
        Impl& s = *self->impl_;
        s.stop_requested = true;
        s.start_after_stop = false;
        s.backoff.cancel();
        if (s.link && s.link->conn) {
            s.link->conn->Stop();
            s.link->Rearm();
        }
    });
}

void Session::Logout() {
    net::post(impl_->strand, [self = shared_from_this()] {
        Impl& s = *self->impl_;
        s.logout_requested = true;
        s.stop_requested = true;
        s.start_after_stop = false;
        s.backoff.cancel();
        if (s.link && s.link->conn) {
            s.link->conn->Logout();
            s.link->Rearm();
        } else if (!s.running) {
            s.ForgetCredentials();
            s.SetStatus(SessionStatus::kLoggedOut, "logout");
        }
    });
}

void Session::SendText(std::string to_jid, std::string text, std::function<void(Result<std::string>)> done) {
    net::post(impl_->strand, [self = shared_from_this(), to = std::move(to_jid), text = std::move(text),
                              done = std::move(done)] {
        Impl& s = *self->impl_;
        if (!s.link || !s.link->conn) {
            if (done) done(MakeError("not_connected", "session is not connected"));
            return;
        }
        Result<std::string> r = MakeError("store_unavailable", "the send could not be prepared");
        try {
            r = s.link->conn->SendText(to, text);
        } catch (const std::exception& e) {  // the credential store failed (its database is down)
            r = MakeError("store_unavailable", e.what());
        }
        s.link->Rearm();
        if (done) done(std::move(r));
    });
}

void Session::Send(OutgoingText message, std::function<void(Result<std::string>)> done) {
    net::post(impl_->strand, [self = shared_from_this(), message = std::move(message), done = std::move(done)] {
        Impl& s = *self->impl_;
        if (!s.link || !s.link->conn || s.link->closed) {
            if (done) done(MakeError("not_connected", "session is not connected"));
            return;
        }
        Result<std::string> r = MakeError("store_unavailable", "the send could not be prepared");
        try {
            r = s.link->conn->Send(message);
        } catch (const std::exception& e) {  // the credential store failed (its database is down)
            r = MakeError("store_unavailable", e.what());
        }
        s.link->Rearm();
        if (done) done(std::move(r));
    });
}

void Session::RequestPairingCode(std::string phone_digits, std::function<void(Result<std::string>)> done) {
    net::post(impl_->strand, [self = shared_from_this(), phone = std::move(phone_digits), done = std::move(done)] {
        Impl& s = *self->impl_;
        if (!s.link || !s.link->conn || s.link->closed) {
            done(MakeError("session_not_pairing", "the session is not connected to WhatsApp"));
            return;
        }
        s.link->conn->RequestPairingCode(phone, done);
        s.link->Rearm();
    });
}

void Session::FetchMediaConn(bool refresh, std::function<void(Result<MediaConn>)> done) {
    net::post(impl_->strand, [self = shared_from_this(), refresh, done = std::move(done)]() mutable {
        Impl& s = *self->impl_;
        const auto now = std::chrono::steady_clock::now();
        if (!refresh && s.media_conn && s.media_conn->Fresh(now)) return done(*s.media_conn);
        if (!s.link || !s.link->conn || s.link->closed) {
            return done(MakeError("not_connected", "the session is not connected to WhatsApp"));
        }
        s.link->conn->SendIq(MediaConnIq(), [self, done = std::move(done)](const Node* reply) {
            auto conn = ParseMediaConn(reply, std::chrono::steady_clock::now());
            if (conn) self->impl_->media_conn = *conn;
            done(std::move(conn));
        });
        s.link->Rearm();
    });
}

void Session::RequestMediaRetry(MediaRetryRequest request, std::chrono::seconds wait,
                                std::function<void(Result<std::string>)> done) {
    net::post(impl_->strand, [self = shared_from_this(), request = std::move(request), wait, done = std::move(done)]() mutable {
        Impl& s = *self->impl_;
        if (!s.link || !s.link->conn || s.link->closed) {
            return done(MakeError("not_connected", "the session is not connected to WhatsApp"));
        }
        s.link->conn->RequestMediaRetry(std::move(request), wait, std::move(done));
        s.link->Rearm();
    });
}

void Session::ManageGroup(GroupAction action, std::function<void(Result<GroupActionResult>)> done) {
    net::post(impl_->strand, [self = shared_from_this(), action = std::move(action), done = std::move(done)] {
        Impl& s = *self->impl_;
        if (!s.link || !s.link->conn || s.link->closed) {
            done(MakeError("not_connected", "the session is not connected to WhatsApp"));
            return;
        }
        s.link->conn->ManageGroup(action, done);
        s.link->Rearm();
    });
}

void Session::QueryGroup(std::string group_jid) {
    net::post(impl_->strand, [self = shared_from_this(), group = std::move(group_jid)] {
        Impl& s = *self->impl_;
        if (!s.link || !s.link->conn || s.link->closed) return;
        s.link->conn->QueryGroup(group);
        s.link->Rearm();
    });
}

void Session::MarkRead(std::string chat_jid, std::string sender_jid, std::vector<std::string> ids) {
    net::post(impl_->strand, [self = shared_from_this(), chat = std::move(chat_jid), sender = std::move(sender_jid),
                              ids = std::move(ids)] {
        Impl& s = *self->impl_;
        if (!s.link || !s.link->conn) return;
        (void)s.link->conn->MarkRead(chat, sender, ids);
        s.link->Rearm();
    });
}

void Session::LearnLidPairs(std::vector<std::pair<std::string, std::string>> pairs) {
    net::post(impl_->strand, [self = shared_from_this(), pairs = std::move(pairs)] {
        Impl& s = *self->impl_;
        std::shared_ptr<SignalManager> sig = s.signal;
        if (!sig) return;  // not started: the pairs are learned again from the next chunk
        std::size_t learned = 0;
        try {
            auto hold = sig->Lock();
            for (const auto& [pn, lid] : pairs) learned += sig->lid_map().LearnJids(pn, lid) ? 1 : 0;
        } catch (const std::exception& e) {
            sig->lid_map().ClearCache();
            spdlog::error("wa: storing PN<->LID pairs from history failed: {}", e.what());
            return;
        }
        if (learned) spdlog::info("wa: learned {} PN<->LID pair(s) from history", learned);
    });
}

}  // namespace wadesk::wa
