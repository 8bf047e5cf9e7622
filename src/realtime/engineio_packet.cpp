#include "realtime/engineio_packet.h"

#include <boost/json.hpp>

namespace wadesk::realtime {

Result<EioPacket> DecodeEioPacket(std::string_view text) {
    if (text.empty()) return MakeError("empty_packet", "empty Engine.IO packet");
    char t = text.front();
    if (t == 'b') return MakeError("binary_unsupported", "binary Engine.IO packets are not supported");
    if (t < '0' || t > '6') return MakeError("unknown_packet_type", "unknown Engine.IO packet type");
    return EioPacket{static_cast<EioType>(t), std::string(text.substr(1))};
}

std::string EncodeEioPacket(EioType type, std::string_view data) {
    std::string out;
    out.reserve(1 + data.size());
    out.push_back(static_cast<char>(type));
    out.append(data);
    return out;
}

Result<std::vector<EioPacket>> DecodePollingPayload(std::string_view body, std::size_t max_packets) {
    std::vector<EioPacket> out;
    std::size_t pos = 0;
    while (true) {
        std::size_t end = body.find(kRecordSeparator, pos);
        std::string_view record = body.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (out.size() >= max_packets) return MakeError("too_many_packets", "too many packets in one polling payload");
        auto packet = DecodeEioPacket(record);
        if (!packet) return packet.error();
        out.push_back(std::move(*packet));
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return out;
}

std::string JoinPollingPayload(const std::vector<std::string_view>& encoded) {
    std::size_t total = encoded.empty() ? 0 : encoded.size() - 1;
    for (auto p : encoded) total += p.size();
    std::string out;
    out.reserve(total);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (i) out.push_back(kRecordSeparator);
        out.append(encoded[i]);
    }
    return out;
}

std::string EncodeOpenPacket(const OpenInfo& info) {
    boost::json::object o;
    o["sid"] = info.sid;
    boost::json::array upgrades;
    if (info.offer_websocket_upgrade) upgrades.emplace_back("websocket");
    o["upgrades"] = std::move(upgrades);
    o["pingInterval"] = info.ping_interval_ms;
    o["pingTimeout"] = info.ping_timeout_ms;
    o["maxPayload"] = info.max_payload;
    return EncodeEioPacket(EioType::kOpen, boost::json::serialize(o));
}

std::string EioHttpErrorBody(EioHttpError code) {
    const char* message = "Bad request";
    switch (code) {
        case EioHttpError::kUnknownTransport: message = "Transport unknown"; break;
        case EioHttpError::kUnknownSid: message = "Session ID unknown"; break;
        case EioHttpError::kBadHandshakeMethod: message = "Bad handshake method"; break;
        case EioHttpError::kBadRequest: message = "Bad request"; break;
        case EioHttpError::kForbidden: message = "Forbidden"; break;
        case EioHttpError::kUnsupportedProtocolVersion: message = "Unsupported protocol version"; break;
    }
    boost::json::object o;
    o["code"] = static_cast<int>(code);
    o["message"] = message;
    return boost::json::serialize(o);
}

}  // namespace wadesk::realtime
