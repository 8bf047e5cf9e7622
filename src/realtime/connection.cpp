// A session's outbound side: closing, aborting, queueing bus events, and the websocket writer.
#include "realtime/server_internal.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "core/log.h"

namespace wadesk::realtime {

void Connection::CloseGracefully(bool notify) {
    std::lock_guard lock(mu);
    if (engine.closing()) return;
    if (notify) engine.Push(Share(EncodeServerDisconnect()));
    engine.BeginClose();
    closing_since = NowMs();
    WakeLocked();
}

void Connection::Abort() {
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

bool Connection::Deliver(std::int64_t id, const SharedText& frame, std::vector<FlushBatch>& per_shard) {
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

void Connection::Flush(const std::shared_ptr<WsLink>& link) {
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

void Connection::BuildIov(WsLink& link) {
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

bool Connection::WriteSome(WsLink& link, boost::system::error_code& ec) {
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

}  // namespace wadesk::realtime
