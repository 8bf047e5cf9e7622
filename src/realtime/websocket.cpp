// The websocket transport: Beast answers the handshake, then the server reads frames from the
// bare socket itself (WsFrameReader) and Connection::Flush writes them (connection.cpp).
#include "realtime/server_internal.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include <array>

#include "core/log.h"

namespace wadesk::realtime {

namespace {

namespace websocket = boost::beast::websocket;
using WsStream = websocket::stream<beast::tcp_stream>;  // the handshake only
constexpr std::size_t kReadChunk = 16384;  // one non-blocking read from a websocket
constexpr int kReadsPerWake = 8;          // then other sockets get their turn

}  // namespace

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

}  // namespace wadesk::realtime
