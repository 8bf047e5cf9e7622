#include "whatsapp/client/media_http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "whatsapp/client/tls.h"

namespace wadesk::wa {
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

std::pair<std::string, std::string> SplitHost(std::string_view host) {
    if (!host.empty() && host.front() == '[') {  // [v6]:port
        const auto close = host.find(']');
        const std::string name(host.substr(1, close - 1));
        if (close + 1 < host.size() && host[close + 1] == ':') return {name, std::string(host.substr(close + 2))};
        return {name, "443"};
    }
    const auto colon = host.rfind(':');
    if (colon == std::string_view::npos) return {std::string(host), "443"};
    return {std::string(host.substr(0, colon)), std::string(host.substr(colon + 1))};
}

}  // namespace

Result<HttpsResult> HttpsRequest(const HttpsRequestSpec& spec) {
    const auto [name, port] = SplitHost(spec.host);
    try {
        net::io_context io;
        beast::ssl_stream<beast::tcp_stream> stream(io, WaTlsContext());
        beast::get_lowest_layer(stream).expires_after(spec.timeout);
        if (!SSL_set_tlsext_host_name(stream.native_handle(), name.c_str())) {
            return MakeError("network_error", "tls: cannot set SNI");
        }
        stream.set_verify_callback(ssl::host_name_verification(name));
        tcp::resolver resolver(io);
        beast::error_code ec;
        auto endpoints = resolver.resolve(name, port, ec);
        if (ec) return MakeError("network_error", "resolve " + name + ": " + ec.message());
        beast::get_lowest_layer(stream).connect(endpoints, ec);
        if (ec) return MakeError("network_error", "connect " + std::string(spec.host) + ": " + ec.message());
        stream.handshake(ssl::stream_base::client, ec);
        if (ec) return MakeError("network_error", "tls " + std::string(spec.host) + ": " + ec.message());

        http::request<http::vector_body<std::uint8_t>> req{http::string_to_verb(spec.method), spec.target, 11};
        req.set(http::field::host, spec.host);
        req.set(http::field::origin, "https://web.whatsapp.com");
        req.set(http::field::referer, "https://web.whatsapp.com/");
        if (!spec.body.empty() || spec.method == "POST") {
            req.set(http::field::content_type, "application/octet-stream");
            req.body().assign(spec.body.begin(), spec.body.end());
        }
        req.keep_alive(false);
        req.prepare_payload();
        http::write(stream, req, ec);
        if (ec) return MakeError("network_error", "write: " + ec.message());

        beast::flat_buffer buffer;
        http::response_parser<http::vector_body<std::uint8_t>> parser;
        parser.body_limit(spec.max_body);
        http::read(stream, buffer, parser, ec);
        if (ec == http::error::body_limit) return MakeError("too_large", "the answer exceeds the size limit");
        if (ec) return MakeError("network_error", "read: " + ec.message());
        HttpsResult out{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
        stream.shutdown(ec);  // the peer may just close; the answer is complete either way
        return out;
    } catch (const std::exception& e) {
        return MakeError("network_error", e.what());
    }
}

}  // namespace wadesk::wa
