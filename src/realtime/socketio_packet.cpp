#include "realtime/socketio_packet.h"

#include <array>

#include <boost/json.hpp>

namespace wadesk::realtime {
namespace {

constexpr std::array<std::string_view, 6> kReservedEvents = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool PayloadValid(SioType type, const boost::json::value& v) {
    switch (type) {
        case SioType::kConnect: return v.is_object();
        case SioType::kDisconnect: return false;
        case SioType::kConnectError: return v.is_object() || v.is_string();
        case SioType::kAck: return v.is_array();
        case SioType::kEvent: {
            if (!v.is_array() || v.as_array().empty()) return false;
            const auto& name = v.as_array().front();
            if (name.is_number()) return true;
            if (!name.is_string()) return false;
            std::string_view s = name.as_string();
            for (auto r : kReservedEvents)
                if (s == r) return false;
            return true;
        }
        default: return false;
    }
}

}  // namespace

Result<SioPacket> DecodeSioPacket(std::string_view text) {
    if (text.empty()) return MakeError("empty_packet", "empty Socket.IO packet");
    if (!IsDigit(text[0]) || text[0] > '6') return MakeError("unknown_packet_type", "unknown Socket.IO packet type");
    SioPacket packet;
    packet.type = static_cast<SioType>(text[0] - '0');
    if (packet.type == SioType::kBinaryEvent || packet.type == SioType::kBinaryAck)
        return MakeError("binary_unsupported", "binary Socket.IO packets are not supported");
    std::size_t i = 1;
    if (i < text.size() && text[i] == '/') {
        std::size_t comma = text.find(',', i);
        std::size_t end = comma == std::string_view::npos ? text.size() : comma;
        if (end - i > kMaxNamespaceLength) return MakeError("bad_namespace", "namespace too long");
        packet.nsp = std::string(text.substr(i, end - i));
        i = comma == std::string_view::npos ? text.size() : comma + 1;
    }
    if (i < text.size() && IsDigit(text[i])) {
        std::uint64_t id = 0;
        std::size_t digits = 0;
        while (i < text.size() && IsDigit(text[i])) {
            if (++digits > 15) return MakeError("bad_ack_id", "ack id too long");
            id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
            ++i;
        }
        packet.id = id;
    }
    if (i < text.size()) {
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(text.substr(i), ec);
        if (ec) return MakeError("bad_json", "Socket.IO packet data is not valid JSON");
        if (!PayloadValid(packet.type, v)) return MakeError("invalid_payload", "Socket.IO packet data does not fit its type");
        packet.data = std::move(v);
    }
    if (packet.type == SioType::kEvent && !packet.data)
        return MakeError("invalid_payload", "Socket.IO EVENT without data");
    if (packet.type == SioType::kAck && !packet.id) return MakeError("invalid_payload", "Socket.IO ACK without id");
    return packet;
}

std::string EncodeSioPacket(const SioPacket& packet) {
    std::string out;
    out.push_back(static_cast<char>('0' + static_cast<int>(packet.type)));
    if (!packet.nsp.empty() && packet.nsp != "/") {
        out.append(packet.nsp);
        out.push_back(',');
    }
    if (packet.id) out.append(std::to_string(*packet.id));
    if (packet.data) out.append(boost::json::serialize(*packet.data));
    return out;
}

}  // namespace wadesk::realtime
