// The HTTP entry point of /socket.io/ and the long-polling transport.
#include "realtime/server_internal.h"

#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "core/log.h"

namespace wadesk::realtime {

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

namespace {

constexpr std::size_t kMaxPacketsPerPost = 256;

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

}  // namespace

net::awaitable<void> WriteEioError(beast::tcp_stream& stream, const bhttp::request<bhttp::string_body>& req,
                                   EioHttpError code, bhttp::status status) {
    co_await WriteHttp(stream, req, status, "application/json", EioHttpErrorBody(code));
}

namespace {

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

}  // namespace wadesk::realtime
