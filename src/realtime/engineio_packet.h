#pragma once
// Engine.IO protocol v4 packets (the transport layer under Socket.IO).
//
// Wire format (text only; this server refuses binary payloads):
//   packet          = type-digit [data]          e.g. "2" ping, "3probe", "4" + Socket.IO packet
//   polling payload = packet *( %x1E packet )     packets joined by the record separator
//   a polling record starting with 'b' is a base64 binary packet: refused as binary_unsupported.
// The open packet is "0" + JSON {sid, upgrades, pingInterval, pingTimeout, maxPayload}.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace wadesk::realtime {

enum class EioType : char {
    kOpen = '0',
    kClose = '1',
    kPing = '2',
    kPong = '3',
    kMessage = '4',
    kUpgrade = '5',
    kNoop = '6',
};

struct EioPacket {
    EioType type = EioType::kNoop;
    std::string data;

    bool operator==(const EioPacket&) const = default;
};

inline constexpr char kRecordSeparator = '\x1e';

// One packet: a websocket text frame or one polling record. Errors: "empty_packet",
// "unknown_packet_type", "binary_unsupported".
Result<EioPacket> DecodeEioPacket(std::string_view text);
std::string EncodeEioPacket(EioType type, std::string_view data = {});

// A polling request body. Errors: those of DecodeEioPacket, and "too_many_packets" past
// `max_packets`.
Result<std::vector<EioPacket>> DecodePollingPayload(std::string_view body, std::size_t max_packets);
// Joins already-encoded packets with the record separator.
std::string JoinPollingPayload(const std::vector<std::string_view>& encoded);

struct OpenInfo {
    std::string sid;
    bool offer_websocket_upgrade = true;
    std::int64_t ping_interval_ms = 25000;
    std::int64_t ping_timeout_ms = 20000;
    std::int64_t max_payload = 1000000;
};
std::string EncodeOpenPacket(const OpenInfo& info);

// Engine.IO HTTP error codes (the JSON body {"code":N,"message":"..."} of a 400/403 answer).
enum class EioHttpError : int {
    kUnknownTransport = 0,
    kUnknownSid = 1,
    kBadHandshakeMethod = 2,
    kBadRequest = 3,
    kForbidden = 4,
    kUnsupportedProtocolVersion = 5,
};
std::string EioHttpErrorBody(EioHttpError code);

}  // namespace wadesk::realtime
