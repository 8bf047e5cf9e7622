#include "sim/net.h"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>

#include "sim/control.h"
#include "sim/server.h"
#include "sim/tls_ca.h"

namespace wadesk::sim {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
constexpr auto kAwait = net::as_tuple(net::use_awaitable);

namespace {

Result<tcp::endpoint> ParseEndpoint(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return MakeError("bad_address", "expected HOST:PORT, got " + address);
    boost::system::error_code ec;
    auto ip = net::ip::make_address(address.substr(0, colon), ec);
    if (ec) return MakeError("bad_address", "bad IP address in " + address);
    unsigned long port = 0;
    try {
        port = std::stoul(address.substr(colon + 1));
    } catch (...) {
        return MakeError("bad_address", "bad port in " + address);
    }
    if (port > 65535) return MakeError("bad_address", "bad port in " + address);
    return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

// One WebSocket client: reads binary messages into its SimConnection; one writer drains the queue.
class WsSession : public std::enable_shared_from_this<WsSession>, public ConnectionSink {
public:
    WsSession(tcp::socket socket, SimServer& server) : ws_(std::move(socket)), server_(server) {}

    void Send(Bytes message) override {
        if (closed_) return;
        queue_.push_back(std::move(message));
        StartWriter();
    }
    void Close() override {
        close_requested_ = true;
        StartWriter();
    }

    net::awaitable<void> Run(http::request<http::string_body> req) {
        auto self = shared_from_this();
        websocket::stream_base::timeout opt = websocket::stream_base::timeout::suggested(beast::role_type::server);
        opt.handshake_timeout = std::chrono::seconds(10);
        ws_.set_option(opt);
        ws_.binary(true);
        ws_.read_message_max(wa::noise::kMaxFramePayload + 4096);
        auto [ec] = co_await ws_.async_accept(req, kAwait);
        if (ec) co_return;
        conn_ = std::make_unique<SimConnection>(server_, *this);
        beast::flat_buffer buffer;
        while (true) {
            auto [rec, n] = co_await ws_.async_read(buffer, kAwait);
            if (rec) break;
            const auto data = buffer.cdata();
            if (conn_ && !conn_->closed()) {
                conn_->OnMessage(BytesView(static_cast<const std::uint8_t*>(data.data()), data.size()));
            }
            buffer.consume(buffer.size());
        }
        closed_ = true;
        if (conn_) conn_->OnClosed();
        conn_.reset();
    }

private:
    void StartWriter() {
        if (writing_) return;
        writing_ = true;
        net::co_spawn(ws_.get_executor(), Writer(shared_from_this()), [](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("[sim] websocket writer failed: {}", ex.what());
                }
            }
        });
    }

    net::awaitable<void> Writer(std::shared_ptr<WsSession> /*keeps the session alive*/) {
        while (!queue_.empty() && !closed_) {
            Bytes m = std::move(queue_.front());
            queue_.pop_front();
            auto [ec, n] = co_await ws_.async_write(net::buffer(m), kAwait);
            if (ec) {
                closed_ = true;
                break;
            }
        }
        if (close_requested_ && !closed_ && !close_sent_) {
            close_sent_ = true;
            auto [ec] = co_await ws_.async_close(websocket::close_code::normal, kAwait);
            (void)ec;
        }
        writing_ = false;
        if (!queue_.empty() && !closed_) StartWriter();
    }

    websocket::stream<beast::tcp_stream> ws_;
    SimServer& server_;
    std::unique_ptr<SimConnection> conn_;
    std::deque<Bytes> queue_;
    bool writing_ = false;
    bool close_requested_ = false;
    bool close_sent_ = false;
    bool closed_ = false;
};

void LogDone(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::warn("[sim] connection task ended: {}", ex.what());
    }
}

net::awaitable<void> ServeWebSocket(tcp::socket socket, SimServer& server) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(10));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, kAwait);
    if (ec) co_return;
    stream.expires_never();
    const std::string_view target = req.target();
    if (!websocket::is_upgrade(req) || target.substr(0, target.find('?')) != "/ws/chat") {
        http::response<http::string_body> res{http::status::not_found, req.version()};
        res.set(http::field::content_type, "text/plain");
        res.body() = "the WhatsApp endpoint is ws://HOST:PORT/ws/chat\n";
        res.prepare_payload();
        co_await http::async_write(stream, res, kAwait);
        co_return;
    }
    auto session = std::make_shared<WsSession>(stream.release_socket(), server);
    co_await session->Run(std::move(req));
}

net::awaitable<void> ServeControl(tcp::socket socket, SimServer& server) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (true) {
        stream.expires_after(std::chrono::seconds(30));
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(stream, buffer, req, kAwait);
        if (ec) co_return;
        const ControlResponse r = HandleControl(server, req.method_string(), req.target(), req.body());
        http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
        res.set(http::field::content_type, "application/json");
        res.keep_alive(req.keep_alive());
        res.body() = r.body;
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
        if (wec || !req.keep_alive()) co_return;
    }
}

// The media host over HTTPS (media_host.h holds what it answers).
net::awaitable<void> ServeMedia(tcp::socket socket, SimServer& server, ssl::context& tls) {
    ssl::stream<beast::tcp_stream> stream(std::move(socket), tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kAwait);
    if (hec) co_return;
    beast::flat_buffer buffer;
    while (true) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
        http::request_parser<http::vector_body<std::uint8_t>> parser;
        parser.body_limit(MediaHost::kMaxUpload);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, kAwait);
        if (ec == http::error::body_limit) {
            http::response<http::string_body> res{http::status::payload_too_large, 11};
            res.set(http::field::content_type, "application/json");
            res.body() = R"({"error":"too_large"})";
            res.prepare_payload();
            co_await http::async_write(stream, res, kAwait);
            co_return;
        }
        if (ec) co_return;
        auto& req = parser.get();
        const MediaHttpResponse r = server.media().Handle(
            {req.method_string(), req.target(), req[http::field::range], BytesView(req.body().data(), req.body().size())},
            server.now());
        http::response<http::vector_body<std::uint8_t>> res{static_cast<http::status>(r.status), req.version()};
        res.set(http::field::content_type, r.content_type);
        res.set(http::field::accept_ranges, "bytes");
        if (!r.content_range.empty()) res.set(http::field::content_range, r.content_range);
        res.keep_alive(req.keep_alive());
        res.body() = std::move(r.body);
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(stream, res, kAwait);
        if (wec || !req.keep_alive()) break;
    }
    auto [sec] = co_await stream.async_shutdown(kAwait);
    (void)sec;
}

template <class Handler>
net::awaitable<void> Accept(tcp::acceptor& acceptor, SimServer& server, Handler handler) {
    while (true) {
        auto [ec, socket] = co_await acceptor.async_accept(kAwait);
        if (ec) {
            if (ec == net::error::operation_aborted) co_return;
            continue;
        }
        net::co_spawn(acceptor.get_executor(), handler(std::move(socket), server), LogDone);
    }
}

// Drives the bench load: a tick every few milliseconds while a load runs, so each tick sends a
// small slice and the sockets are served between slices.
net::awaitable<void> RunLoadTicks(SimServer& server) {
    net::steady_timer timer(co_await net::this_coro::executor);
    while (true) {
        const bool running = server.LoadRunning();
        timer.expires_after(running ? std::chrono::milliseconds(2) : std::chrono::milliseconds(20));
        auto [ec] = co_await timer.async_wait(kAwait);
        if (ec) co_return;
        server.LoadTick();
    }
}

}  // namespace

int Serve(const ServeOptions& options) {
    // One descriptor per connected device: lift the soft open-file limit to the hard one.
    if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &limit);
    }
    auto server = SimServer::Open(options.state_dir);
    if (!server) {
        std::cerr << "wadesk-sim: " << server.error().message << "\n";
        return 1;
    }
    auto ws_ep = ParseEndpoint(options.listen);
    auto ctl_ep = ParseEndpoint(options.control);
    auto media_ep = ParseEndpoint(options.media);
    if (!ws_ep || !ctl_ep || !media_ep) {
        std::cerr << "wadesk-sim: "
                  << (!ws_ep ? ws_ep.error().message : !ctl_ep ? ctl_ep.error().message : media_ep.error().message)
                  << "\n";
        return 2;
    }
    // The media host's CA, new at every start, written where clients can be told to trust it.
    auto pki = MakeTestPki();
    if (!pki) {
        std::cerr << "wadesk-sim: " << pki.error().message << "\n";
        return 1;
    }
    const std::string ca_file = options.media_ca_file.empty() ? options.state_dir + "/media-ca.pem" : options.media_ca_file;
    {
        std::ofstream out(ca_file, std::ios::trunc);
        out << pki->ca_pem;
        if (!out.flush()) {
            std::cerr << "wadesk-sim: cannot write the media CA to " << ca_file << "\n";
            return 1;
        }
    }
    ssl::context media_tls(ssl::context::tls_server);
    try {
        media_tls.use_certificate_chain(net::buffer(pki->cert_pem + pki->ca_pem));
        media_tls.use_private_key(net::buffer(pki->key_pem), ssl::context::pem);
    } catch (const std::exception& e) {
        std::cerr << "wadesk-sim: media TLS: " << e.what() << "\n";
        return 1;
    }
    net::io_context io;
    tcp::acceptor ws_acceptor(io), ctl_acceptor(io), media_acceptor(io);
    try {
        for (auto [acc, ep] : {std::pair{&ws_acceptor, *ws_ep}, std::pair{&ctl_acceptor, *ctl_ep},
                               std::pair{&media_acceptor, *media_ep}}) {
            acc->open(ep.protocol());
            acc->set_option(net::socket_base::reuse_address(true));
            acc->bind(ep);
            acc->listen();
        }
    } catch (const std::exception& e) {
        std::cerr << "wadesk-sim: cannot listen: " << e.what() << "\n";
        return 1;
    }
    const auto ws_local = ws_acceptor.local_endpoint();
    const auto ctl_local = ctl_acceptor.local_endpoint();
    const auto media_local = media_acceptor.local_endpoint();
    (*server)->media().hostname = media_local.address().to_string() + ":" + std::to_string(media_local.port());
    std::cout << "root-key " << ToHex(BytesView((*server)->RootKey().data(), 32)) << "\n"
              << "listening on ws://" << ws_local.address().to_string() << ":" << ws_local.port() << "/ws/chat\n"
              << "control on http://" << ctl_local.address().to_string() << ":" << ctl_local.port() << "\n"
              << "media on https://" << (*server)->media().hostname << " ca " << ca_file << std::endl;

    net::co_spawn(io, Accept(ws_acceptor, **server, ServeWebSocket), LogDone);
    net::co_spawn(io, Accept(ctl_acceptor, **server, ServeControl), LogDone);
    net::co_spawn(io,
                  Accept(media_acceptor, **server,
                         [&media_tls](tcp::socket s, SimServer& sv) { return ServeMedia(std::move(s), sv, media_tls); }),
                  LogDone);
    net::co_spawn(io, RunLoadTicks(**server), LogDone);
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    io.run();
    spdlog::info("[sim] stopped");
    return 0;
}

Result<HttpResult> ControlRequest(const std::string& address, std::string_view method, std::string_view target,
                                  std::string_view body) {
    auto ep = ParseEndpoint(address);
    if (!ep) return ep.error();
    try {
        net::io_context io;
        beast::tcp_stream stream(io);
        stream.expires_after(std::chrono::seconds(30));
        boost::system::error_code ec;
        stream.connect(*ep, ec);
        if (ec) return MakeError("connect_failed", "cannot reach the sim control endpoint at " + address);
        http::request<http::string_body> req{http::string_to_verb(method), target, 11};
        req.set(http::field::host, address);
        req.set(http::field::content_type, "application/json");
        req.body() = std::string(body);
        req.prepare_payload();
        http::write(stream, req);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        return HttpResult{static_cast<int>(res.result_int()), res.body()};
    } catch (const std::exception& e) {
        return MakeError("connect_failed", e.what());
    }
}

}  // namespace wadesk::sim
