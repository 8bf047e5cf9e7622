#pragma once
// Socket.IO protocol v5 packets (carried in Engine.IO "4" message packets).
//
// Wire format:
//   packet = type-digit [attachments "-"] [namespace ","] [ack-id] [JSON data]
// The namespace is present only when it is not "/" (it then starts with "/"); the ack id is a
// decimal number; the data must match the type: CONNECT an object (or absent), DISCONNECT none,
// EVENT a non-empty array whose first element is the event name, ACK an array, CONNECT_ERROR an
// object or string. Binary packets (types 5 and 6) are refused: this server speaks text only.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/result.h"

namespace wadesk::realtime {

enum class SioType : int {
    kConnect = 0,
    kDisconnect = 1,
    kEvent = 2,
    kAck = 3,
    kConnectError = 4,
    kBinaryEvent = 5,
    kBinaryAck = 6,
};

struct SioPacket {
    SioType type = SioType::kEvent;
    std::string nsp = "/";
    std::optional<std::uint64_t> id;
    std::optional<boost::json::value> data;  // absent when the packet carries none
};

inline constexpr std::size_t kMaxNamespaceLength = 256;

// Errors (codes): "empty_packet", "unknown_packet_type", "binary_unsupported", "bad_namespace",
// "bad_ack_id", "bad_json", "invalid_payload".
Result<SioPacket> DecodeSioPacket(std::string_view text);
std::string EncodeSioPacket(const SioPacket& packet);

}  // namespace wadesk::realtime
