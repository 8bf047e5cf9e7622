#pragma once
// The seam between the HTTP server and the Socket.IO server (src/realtime/). The HTTP session
// hands every request whose target starts with "/socket.io/" to the installed handler, after
// reading the full request (header and body, same limits as REST).
//
// Contract:
// - Called on the connection's I/O coroutine; the handler may co_await anything but must not
//   block the thread.
// - Return true: the handler took over the connection (e.g. upgraded to a websocket) and owns
//   `stream` from now on; the HTTP session returns without touching it again.
// - Return false: the handler wrote exactly one complete HTTP response on `stream` (e.g. an
//   Engine.IO long-polling answer); the HTTP session continues its keep-alive loop, reading the
//   next request with `buffer` (which may hold bytes already received).
// - `connection_slot` counts the connection against the server's connection cap
//   (WADESK_MAX_CONNECTIONS): a handler that takes the socket over keeps it until the socket
//   closes.
// - Exceptions escaping the handler close the connection (logged by the session).
// - When no handler is installed, "/socket.io/" answers 404 not_found like any unknown route.
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace wadesk::http {

class UpgradeHandler {
public:
    virtual ~UpgradeHandler() = default;
    virtual boost::asio::awaitable<bool> HandleSocketIo(boost::beast::tcp_stream& stream,
                                                        boost::beast::flat_buffer& buffer,
                                                        boost::beast::http::request<boost::beast::http::string_body> req,
                                                        std::shared_ptr<void> connection_slot) = 0;
};

}  // namespace wadesk::http
