#include "realtime/engine_session.h"

namespace wadesk::realtime {
namespace {
const SharedText& PingPacket() {
    static const SharedText ping = std::make_shared<const std::string>(EncodeEioPacket(EioType::kPing));
    return ping;
}
const SharedText& ClosePacket() {
    static const SharedText close = std::make_shared<const std::string>(EncodeEioPacket(EioType::kClose));
    return close;
}
}  // namespace

EngineSession::EngineSession(std::string sid, Transport transport, EngineOptions options, std::int64_t now_ms)
    : sid_(std::move(sid)), transport_(transport), options_(options), next_ping_at_(now_ms + options.ping_interval_ms) {}

std::string EngineSession::OpenPacket() const {
    OpenInfo info;
    info.sid = sid_;
    info.offer_websocket_upgrade = transport_ == Transport::kPolling;
    info.ping_interval_ms = options_.ping_interval_ms;
    info.ping_timeout_ms = options_.ping_timeout_ms;
    info.max_payload = static_cast<std::int64_t>(options_.max_payload);
    return EncodeOpenPacket(info);
}

EngineSession::PushResult EngineSession::Push(SharedText packet) {
    if (closing_) return PushResult::kClosed;
    if (queue_.size() >= options_.max_queue_packets || queued_bytes_ + packet->size() > options_.max_queue_bytes)
        return PushResult::kOverflow;
    queued_bytes_ += packet->size();
    queue_.push_back(std::move(packet));
    return PushResult::kQueued;
}

std::vector<SharedText> EngineSession::TakeOutbound() {
    std::vector<SharedText> out;
    TakeOutbound(out);
    return out;
}

void EngineSession::TakeOutbound(std::vector<SharedText>& into) {
    into.swap(queue_);
    queued_bytes_ = 0;
}

std::string EngineSession::TakePollBody() {
    if (queue_.empty()) return upgrading_ ? EncodeEioPacket(EioType::kNoop) : std::string();
    std::size_t n = 0;
    std::size_t bytes = 0;
    while (n < queue_.size()) {
        std::size_t next = bytes + queue_[n]->size() + (n ? 1 : 0);
        if (n > 0 && next > options_.max_payload) break;
        bytes = next;
        ++n;
    }
    std::vector<std::string_view> parts;
    parts.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        parts.emplace_back(*queue_[i]);
        queued_bytes_ -= queue_[i]->size();
    }
    std::string body = JoinPollingPayload(parts);
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    return body;
}

Result<EngineSession::Inbound> EngineSession::OnPacket(const EioPacket& packet, Channel channel, std::int64_t now_ms) {
    Inbound in;
    if (channel == Channel::kProbe) {
        if (!upgrading_) return MakeError("unexpected_packet", "packet on a websocket that is not upgrading");
        if (packet.type == EioType::kPing && packet.data == "probe") {
            probed_ = true;
            in.probe_reply = EncodeEioPacket(EioType::kPong, "probe");
            return in;
        }
        if (packet.type == EioType::kUpgrade && probed_) {
            upgrading_ = false;
            transport_ = Transport::kWebsocket;
            in.upgraded = true;
            return in;
        }
        if (packet.type == EioType::kPong && pong_deadline_ != 0) {
            // A pong may arrive on the new transport before the upgrade packet.
            pong_deadline_ = 0;
            next_ping_at_ = now_ms + options_.ping_interval_ms;
            return in;
        }
        return MakeError("bad_probe", "unexpected packet while probing the websocket upgrade");
    }
    switch (packet.type) {
        case EioType::kPong:
            pong_deadline_ = 0;
            next_ping_at_ = now_ms + options_.ping_interval_ms;
            return in;
        case EioType::kMessage:
            in.messages.push_back(packet.data);
            return in;
        case EioType::kClose:
            in.close = true;
            return in;
        case EioType::kPing:
            // Not part of v4 from a client (only "2probe" on the probe channel); tolerated.
            return in;
        default:
            return MakeError("unexpected_packet", "unexpected Engine.IO packet type from the client");
    }
}

EngineSession::Tick EngineSession::OnTick(std::int64_t now_ms) {
    if (closed_) return Tick::kNothing;
    if (pong_deadline_ != 0) return now_ms >= pong_deadline_ ? Tick::kTimedOut : Tick::kNothing;
    if (now_ms < next_ping_at_ || closing_) return Tick::kNothing;
    // The heartbeat is exempt from the queue bounds: it is tiny and is what detects a dead peer.
    queued_bytes_ += PingPacket()->size();
    queue_.push_back(PingPacket());
    pong_deadline_ = now_ms + options_.ping_timeout_ms;
    return Tick::kPingQueued;
}

Result<void> EngineSession::BeginUpgrade() {
    if (transport_ != Transport::kPolling || upgrading_ || closing_)
        return MakeError("upgrade_refused", "the session cannot be upgraded now");
    upgrading_ = true;
    probed_ = false;
    return {};
}

void EngineSession::BeginClose() {
    if (closing_) return;
    closing_ = true;
    if (transport_ == Transport::kPolling) {
        queued_bytes_ += ClosePacket()->size();
        queue_.push_back(ClosePacket());
    }
}

}  // namespace wadesk::realtime
