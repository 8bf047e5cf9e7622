// The Socket.IO layer over Engine.IO: inbound packets, CONNECT with its authentication, and
// connection-state recovery replayed from the durable events table.
#include "realtime/server_internal.h"

#include <charconv>
#include <optional>

#include "core/log.h"

namespace wadesk::realtime {

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
    using Loaded = std::pair<std::vector<domain::Event>, bool>;
    struct Load {
        store::EventRepository* repo;
        std::string company;
        std::int64_t after;
        std::size_t cap;
        net::awaitable<Loaded> operator()() const {
            Loaded out{{}, false};
            std::int64_t cursor = after;
            constexpr int kPage = 500;
            while (out.first.size() <= cap) {
                std::vector<domain::Event> page = repo->ListEvents(company, cursor, kPage);
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
    std::vector<domain::Event>& missed = loaded.first;
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

}  // namespace wadesk::realtime
