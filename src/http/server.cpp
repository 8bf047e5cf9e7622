#include "http/server.h"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/log.h"
#include "http/json.h"
#include "http/metrics.h"
#include "http/security_headers.h"
#include "http/socketio_hook.h"

namespace wadesk::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// Admits at most `slots` requests into their handlers at once. A request that finds no free slot
// waits on a timer of its own connection's strand (no thread is held) until a slot is handed to
// it or its wait runs out. Thread-safe.
class HandlerGate {
public:
    explicit HandlerGate(std::size_t slots) : free_(slots) {}

    // Takes a slot when one is free and nobody queues for one.
    bool TryEnter() {
        std::lock_guard lock(mutex_);
        if (free_ == 0 || !waiters_.empty()) return false;
        --free_;
        return true;
    }
    // REQUIRES: runs on a strand (the timer's cancel is posted there). True: the caller holds a
    // slot and must Leave(); false: `wait` passed first.
    net::awaitable<bool> Enter(std::chrono::milliseconds wait) {
        auto waiter = std::make_shared<Waiter>(co_await net::this_coro::executor);
        {
            std::lock_guard lock(mutex_);
            if (free_ > 0 && waiters_.empty()) {
                --free_;
                co_return true;
            }
            waiter->timer.expires_after(wait);
            waiters_.push_back(waiter);
        }
        co_await waiter->timer.async_wait(net::as_tuple(net::use_awaitable));
        std::lock_guard lock(mutex_);
        if (waiter->granted) co_return true;
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
        co_return false;
    }
    // Hands the slot to the oldest waiter, or frees it.
    void Leave() {
        std::shared_ptr<Waiter> next;
        {
            std::lock_guard lock(mutex_);
            if (waiters_.empty()) {
                ++free_;
                return;
            }
            next = std::move(waiters_.front());
            waiters_.pop_front();
            next->granted = true;
        }
        // On the waiter's strand, so it runs after the waiter started waiting.
        net::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
    }

private:
    struct Waiter {
        explicit Waiter(net::any_io_executor executor) : timer(std::move(executor)) {}
        net::steady_timer timer;
        bool granted = false;  // guarded by the gate's mutex_
    };
    std::mutex mutex_;
    std::size_t free_;
    std::deque<std::shared_ptr<Waiter>> waiters_;  // oldest first
};

}  // namespace

struct Server::Impl {
    ServerOptions options;
    Dispatcher dispatcher;
    Metrics* metrics = nullptr;
    UpgradeHandler* upgrade = nullptr;
    // Declared before the executors: a connection's slot (TakeConnectionSlot) may be released
    // while they destroy the coroutines they still hold.
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> open_connections{0};
    std::atomic<bool> accept_waiting{false};
    // `workers` is declared before the io_context so that it is destroyed after it: the pending
    // accept that the io_context destroys holds a socket bound to a strand of `workers`.
    net::thread_pool workers;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    std::atomic<std::size_t> in_flight{0};
    // The acceptor runs on this strand and sleeps on accept_wake while at the connection cap or
    // backing off; a connection that closes cancels the sleep (only while accept_waiting).
    net::strand<net::io_context::executor_type> accept_strand{ioc.get_executor()};
    net::steady_timer accept_wake{accept_strand};
    std::vector<std::function<void()>> on_shutdown;
    unsigned io_threads;
    HandlerGate gate;

    Impl(ServerOptions o, Dispatcher d, Metrics* m)
        : options(std::move(o)),
          dispatcher(std::move(d)),
          metrics(m),
          workers(std::max(1u, options.worker_threads) + 1),  // one more thread than handler slots
          io_threads(options.io_threads ? options.io_threads : std::max(1u, std::thread::hardware_concurrency())),
          gate(std::max(1u, options.worker_threads)) {}

    bool IsInline(std::string_view target) const {
        std::string_view path = target.substr(0, target.find('?'));
        return std::find(options.inline_paths.begin(), options.inline_paths.end(), path) != options.inline_paths.end();
    }

    net::awaitable<void> Accept();
    // Sleeps up to `most`, or until a connection closes.
    net::awaitable<void> AcceptPause(std::chrono::milliseconds most);
    // Counts a connection while it lives (in a Socket.IO websocket once upgraded).
    std::shared_ptr<void> TakeConnectionSlot();
    net::awaitable<void> Connection(tcp::socket socket, std::shared_ptr<void> slot);
    net::awaitable<void> Shutdown();
    net::awaitable<void> WriteError(beast::tcp_stream& stream, HttpErrorCode code, std::string_view message);
    void BeginStop();
};

namespace {

void LogSpawnError(std::exception_ptr e, const char* what) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::warn("[http] {} ended with an error: {}", what, ex.what());
    }
}

bool IsQuietError(const boost::system::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
           ec == beast::error::timeout || ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == bhttp::error::partial_message;
}

// RFC 9112 §6.1, §6.3: a request body is framed by one Content-Length or by exactly
// "Transfer-Encoding: chunked" (HTTP/1.1 only). Any other transfer coding, a repeated
// Transfer-Encoding, or Transfer-Encoding beside Content-Length leaves the end of the body open
// to interpretation (request smuggling), so such a request is refused and its connection closed.
bool HasUnambiguousFraming(const bhttp::request_parser<bhttp::string_body>::value_type& req) {
    auto te = req.equal_range(bhttp::field::transfer_encoding);
    if (te.first == te.second) return true;
    if (std::next(te.first) != te.second || req.version() < 11) return false;
    if (req.find(bhttp::field::content_length) != req.end()) return false;
    std::string_view coding = te.first->value();
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    return beast::iequals(coding, "chunked");
}

// Waits for a deferred response (Response::deferred) without holding a worker thread: the
// awaiting coroutine is resumed on `strand` (its own executor) when `done` is called, from any
// thread. Not a coroutine itself, and the initiation owns copies of all it uses.
net::awaitable<Response> AwaitDeferred(std::function<void(Response::Done)> start, net::any_io_executor strand) {
    return net::async_initiate<const net::use_awaitable_t<>, void(Response)>(
        [start = std::move(start), strand = std::move(strand)](auto handler) mutable {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            start([shared, strand](Response r) {
                net::post(strand, [shared, r = std::move(r)]() mutable { std::move(*shared)(std::move(r)); });
            });
        },
        net::use_awaitable);
}

}  // namespace

net::awaitable<void> Server::Impl::WriteError(beast::tcp_stream& stream, HttpErrorCode code, std::string_view message) {
    const int status = StatusOf(code);
    Response r = ErrorResponse(code, message);
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    for (const auto& [name, value] : SecurityHeaders()) res.set(name, value);
    res.set(bhttp::field::content_type, r.content_type);
    res.set(bhttp::field::connection, "close");
    res.keep_alive(false);
    res.body() = std::move(r.body);
    res.prepare_payload();
    stream.expires_after(options.read_timeout);
    co_await bhttp::async_write(stream, res, net::as_tuple(net::use_awaitable));
    if (metrics) metrics->Record("-", "unmatched", status, 0);
    // Lingering close: the client may still be sending the body we refused. Closing now would
    // make the kernel answer with a reset that can destroy the response before the client reads
    // it, so stop sending, then discard what arrives until EOF, 2 s or 16 MiB.
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    stream.expires_after(std::chrono::seconds(2));
    std::size_t discarded = 0;
    std::array<char, 16384> sink;
    while (discarded < (16u << 20)) {
        auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), net::as_tuple(net::use_awaitable));
        if (rec) break;
        discarded += n;
    }
}

net::awaitable<void> Server::Impl::Connection(tcp::socket socket, std::shared_ptr<void> slot) {
    std::string remote_ip;
    {
        boost::system::error_code ec;
        auto ep = socket.remote_endpoint(ec);
        if (!ec) remote_ip = ep.address().to_string();
    }
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    bool first = true;
    while (!stopping) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
        // The declared length is checked against this request's own limit once its target is known.
        parser.body_limit(boost::none);
        stream.expires_after(first ? options.read_timeout : options.idle_timeout);
        first = false;
        auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, net::as_tuple(net::use_awaitable));
        if (hec == bhttp::error::header_limit) {
            co_await WriteError(stream, HttpErrorCode::kHeadersTooLarge, "request headers exceed the limit");
            break;
        }
        if (hec == bhttp::error::body_limit) {  // a declared Content-Length over the limit
            co_await WriteError(stream, HttpErrorCode::kPayloadTooLarge,
                                "request body exceeds " + std::to_string(options.body_limit) + " bytes");
            break;
        }
        if (hec) {
            if (!IsQuietError(hec)) co_await WriteError(stream, HttpErrorCode::kBadRequest, "malformed HTTP request");
            break;
        }
        if (!HasUnambiguousFraming(parser.get())) {
            co_await WriteError(
                stream, HttpErrorCode::kBadRequest,
                "a request body must be framed by Content-Length or by Transfer-Encoding: chunked alone");
            break;
        }
        std::size_t body_limit = options.body_limit;
        if (options.body_limit_for) {
            body_limit = std::max(body_limit, options.body_limit_for(std::string_view(parser.get().method_string()),
                                                                     std::string_view(parser.get().target())));
        }
        parser.body_limit(body_limit);
        auto content_length = parser.content_length();
        if (content_length && *content_length > body_limit) {
            co_await WriteError(stream, HttpErrorCode::kPayloadTooLarge,
                                "request body exceeds " + std::to_string(body_limit) + " bytes");
            break;
        }
        if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
            bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
            co_await bhttp::async_write(stream, cont, net::as_tuple(net::use_awaitable));
        }
        stream.expires_after(options.read_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
        if (bec == bhttp::error::body_limit) {
            co_await WriteError(stream, HttpErrorCode::kPayloadTooLarge,
                                "request body exceeds " + std::to_string(body_limit) + " bytes");
            break;
        }
        if (bec) {
            if (!IsQuietError(bec)) co_await WriteError(stream, HttpErrorCode::kBadRequest, "malformed HTTP request");
            break;
        }
        bhttp::request<bhttp::string_body> breq = parser.release();
        stream.expires_never();

        std::string_view target = breq.target();
        if (upgrade && target.starts_with("/socket.io/")) {
            // The handler answered with the request's own keep-alive (Connection: close, HTTP/1.0):
            // a connection that asked to close is closed here, as for any other route.
            const bool wants_more = breq.keep_alive();
            bool took_over = co_await upgrade->HandleSocketIo(stream, buffer, std::move(breq), slot);
            if (took_over) co_return;
            if (!wants_more) break;
            continue;
        }

        Request req;
        req.method = std::string(breq.method_string());
        req.target = std::string(target);
        req.remote_ip = remote_ip;
        for (const auto& field : breq) req.AddHeader(field.name_string(), field.value());
        req.body = std::move(breq.body());
        bool keep_alive = breq.keep_alive();
        unsigned version = breq.version();

        Response resp;
        const bool needs_slot = !IsInline(req.target);
        bool admitted = !needs_slot || gate.TryEnter() || co_await gate.Enter(options.handler_wait);
        if (admitted) {
            ++in_flight;
            try {  // on a worker thread already: handlers may block on the database
                resp = dispatcher(req);
            } catch (const std::exception& e) {
                spdlog::error("[http] unhandled error for {} {}: {}", req.method, req.path, e.what());
                resp = ErrorResponse(HttpErrorCode::kInternalError, "internal server error");
            }
            --in_flight;
            if (needs_slot) gate.Leave();
            // A deferred response (a login waiting for its password check) waits holding neither
            // a handler slot nor a worker thread.
            if (resp.deferred) {
                try {
                    resp = co_await AwaitDeferred(std::move(resp.deferred), stream.get_executor());
                } catch (const std::exception& e) {
                    spdlog::error("[http] unhandled error for {} {}: {}", req.method, req.path, e.what());
                    resp = ErrorResponse(HttpErrorCode::kInternalError, "internal server error");
                }
            }
        } else {
            resp = ErrorResponse(HttpErrorCode::kDatabaseUnavailable,
                                 "no handler became free within " + std::to_string(options.handler_wait.count()) +
                                     " ms: every one is waiting on the database; try again");
            resp.headers.emplace_back("Retry-After", "1");
            if (metrics) metrics->Record(req.method, "unmatched", 503, 0);
        }

        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(resp.status), version};
        res.set(bhttp::field::server, "wadesk");
        for (const auto& [name, value] : SecurityHeaders()) res.set(name, value);
        res.set(bhttp::field::content_type, resp.content_type);
        for (auto& [name, value] : resp.headers) res.set(name, value);
        if (req.method == "HEAD") {
            res.content_length(resp.body.size());
        } else {
            res.body() = std::move(resp.body);
            res.prepare_payload();
        }
        keep_alive = keep_alive && !stopping;
        res.keep_alive(keep_alive);
        stream.expires_after(options.read_timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream, res, net::as_tuple(net::use_awaitable));
        if (wec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

std::shared_ptr<void> Server::Impl::TakeConnectionSlot() {
    ++open_connections;
    return std::shared_ptr<void>(nullptr, [this](void*) {
        --open_connections;
        if (accept_waiting && !stopping) net::post(accept_strand, [this] { accept_wake.cancel(); });
    });
}

net::awaitable<void> Server::Impl::AcceptPause(std::chrono::milliseconds most) {
    accept_wake.expires_after(most);
    accept_waiting = true;
    co_await accept_wake.async_wait(net::as_tuple(net::use_awaitable));
    accept_waiting = false;
}

namespace {

// The acceptor's complaints: the first at once, then one summary per interval, so a failure
// that repeats thousands of times a second costs one line per interval.
class AcceptLog {
public:
    explicit AcceptLog(std::chrono::seconds interval) : interval_(interval) {}
    template <class... Args>
    void Warn(fmt::format_string<Args...> format, Args&&... args) {
        const auto now = std::chrono::steady_clock::now();
        if (now < next_) {
            ++suppressed_;
            return;
        }
        std::string line = fmt::format(format, std::forward<Args>(args)...);
        if (suppressed_ > 0) line += fmt::format(" ({} more like it in the last {} s)", suppressed_, interval_.count());
        spdlog::warn("[http] {}", line);
        suppressed_ = 0;
        next_ = now + interval_;
    }

private:
    std::chrono::seconds interval_;
    std::chrono::steady_clock::time_point next_{};
    std::size_t suppressed_ = 0;
};

bool IsDescriptorShortage(const boost::system::error_code& ec) {
    return ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
           ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

}  // namespace

net::awaitable<void> Server::Impl::Accept() {
    AcceptLog log(options.accept_log_interval);
    std::chrono::milliseconds backoff{0};
    const std::size_t cap = std::max<std::size_t>(1, options.max_connections);
    for (;;) {
        if (stopping) co_return;
        if (open_connections >= cap) {
            log.Warn("{} connections open (WADESK_MAX_CONNECTIONS): new ones wait until one closes",
                     open_connections.load());
            co_await AcceptPause(std::chrono::milliseconds(250));
            continue;
        }
        // A connection lives on a strand of the worker pool: it reads, dispatches (handlers block
        // on the database there) and writes without a hand-off between threads per request,
        // which costs more than parsing on this kind of machine. A Socket.IO upgrade moves its
        // socket onto the io_context (realtime::RealtimeServer).
        auto [ec, socket] = co_await acceptor.async_accept(net::make_strand(workers), net::as_tuple(net::use_awaitable));
        if (ec) {
            if (ec == net::error::operation_aborted || stopping) co_return;
            if (IsDescriptorShortage(ec)) {
                // The pending connection stays in the backlog and the listener stays readable:
                // retrying at once would spin. Wait, longer each time, or until one closes.
                backoff = std::clamp(backoff * 2, options.accept_backoff_min, options.accept_backoff_max);
                log.Warn("accept failed: {} with {} connections open; retrying in up to {} ms", ec.message(),
                         open_connections.load(), backoff.count());
                co_await AcceptPause(backoff);
            } else {
                log.Warn("accept failed: {}", ec.message());
            }
            continue;
        }
        backoff = std::chrono::milliseconds{0};
        auto executor = socket.get_executor();
        net::co_spawn(executor, Connection(std::move(socket), TakeConnectionSlot()),
                      [](std::exception_ptr e) { LogSpawnError(e, "connection"); });
    }
}

void Server::Impl::BeginStop() {
    if (stopping.exchange(true)) return;
    net::co_spawn(ioc, Shutdown(), [](std::exception_ptr e) { LogSpawnError(e, "shutdown"); });
}

net::awaitable<void> Server::Impl::Shutdown() {
    spdlog::info("shutting down: no new connections, waiting for {} in-flight request(s)", in_flight.load());
    boost::system::error_code ignored;
    acceptor.close(ignored);
    signals.cancel(ignored);
    net::post(accept_strand, [this] { accept_wake.cancel(); });
    for (auto& callback : on_shutdown) {
        try {
            callback();
        } catch (const std::exception& e) {
            spdlog::warn("[http] shutdown callback failed: {}", e.what());
        }
    }
    auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    net::steady_timer timer(ioc);
    while (in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(50));
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
    ioc.stop();
    workers.stop();  // idle keep-alive connections wait on the pool; their reads are abandoned
}

Server::Server(ServerOptions options, Dispatcher dispatcher, Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(dispatcher), metrics)) {}

Server::~Server() {
    impl_->workers.join();
}

unsigned short Server::Listen() {
    auto& o = impl_->options;
    boost::system::error_code ec;
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive, ec);
    if (ec || results.empty())
        throw std::runtime_error("cannot resolve listen address '" + o.host + "': " + ec.message());
    tcp::endpoint endpoint = results.begin()->endpoint();
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
    return acceptor.local_endpoint().port();
}

void Server::SetUpgradeHandler(UpgradeHandler* handler) { impl_->upgrade = handler; }

void Server::Run() {
    auto* impl = impl_.get();
    impl->signals.async_wait([impl](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        spdlog::info("received signal {}", signo);
        impl->BeginStop();
    });
    net::co_spawn(impl->accept_strand, impl->Accept(), [](std::exception_ptr e) { LogSpawnError(e, "acceptor"); });
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < impl->io_threads; ++i) threads.emplace_back([impl] { impl->ioc.run(); });
    impl->ioc.run();
    for (auto& t : threads) t.join();
}

void Server::OnShutdown(std::function<void()> callback) { impl_->on_shutdown.push_back(std::move(callback)); }

void Server::Stop() {
    auto* impl = impl_.get();
    net::post(impl->ioc, [impl] { impl->BeginStop(); });
}

net::io_context& Server::IoContext() { return impl_->ioc; }
net::thread_pool& Server::WorkerPool() { return impl_->workers; }
std::size_t Server::InFlight() const { return impl_->in_flight.load(); }
std::size_t Server::OpenConnections() const { return impl_->open_connections.load(); }
unsigned Server::WorkerThreads() const { return std::max(1u, impl_->options.worker_threads); }

}  // namespace wadesk::http
