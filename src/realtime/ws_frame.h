#pragma once
// RFC 6455 framing for the server side of an accepted websocket, without I/O. The handshake is
// Beast's; after it the server writes frames itself (so every frame queued for a socket goes out
// in one gather write) and reads with WsFrameReader.
//
// Server → client frames are unmasked, never fragmented, no extension. Client → server frames
// must be masked (RFC 6455 §5.1), RSV bits zero (no extension is negotiated), control frames
// final and at most 125 bytes, text messages valid UTF-8; a message over the size limit is
// refused as soon as its header announces it, before any of it is buffered.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/utf8.h"  // IsValidUtf8: text frames and close reasons

namespace wadesk::realtime {

enum class WsOpcode : std::uint8_t {
    kContinuation = 0x0,
    kText = 0x1,
    kBinary = 0x2,
    kClose = 0x8,
    kPing = 0x9,
    kPong = 0xA,
};

// Close codes the server sends (RFC 6455 §7.4.1).
inline constexpr std::uint16_t kWsCloseNormal = 1000;
inline constexpr std::uint16_t kWsCloseProtocolError = 1002;
inline constexpr std::uint16_t kWsCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kWsCloseTooBig = 1009;

inline constexpr std::size_t kWsMaxHeader = 10;

// Writes the header of one final, unmasked server frame carrying `payload_size` bytes into
// `out` (at least kWsMaxHeader bytes); returns the header length (2, 4 or 10).
std::size_t EncodeWsHeader(WsOpcode opcode, std::uint64_t payload_size, std::uint8_t* out);

// A complete server frame (header + payload), for control frames and tests.
std::string EncodeWsFrame(WsOpcode opcode, std::string_view payload);

// A close frame's payload: the code, then an optional reason (truncated to fit 125 bytes).
std::string EncodeWsClosePayload(std::uint16_t code, std::string_view reason = {});

struct WsInbound {
    WsOpcode opcode = WsOpcode::kText;  // kText, kBinary (whole messages), kPing, kPong, kClose
    std::string payload;                // unmasked; for kClose the raw close payload
    std::uint16_t close_code = 0;       // kClose: the peer's code, 1005 when it sent none
};

// Incremental reader of client frames: feed it whatever bytes arrived, get whole messages and
// control frames back, in order. Holds nothing between messages but an unfinished frame.
class WsFrameReader {
public:
    explicit WsFrameReader(std::size_t max_message) : max_message_(max_message) {}

    // Consumes `data`, appending what completed to `out`. Errors (the connection must then be
    // closed with the code of WsCloseCodeFor; do not feed the reader again):
    //   "ws_protocol"     unmasked frame, RSV bits, unknown opcode, bad control frame,
    //                     continuation out of place, data after a close frame, bad close payload
    //   "ws_too_big"      a message over max_message bytes
    //   "ws_invalid_utf8" a text message or close reason that is not UTF-8
    Result<void> Feed(std::string_view data, std::vector<WsInbound>& out);

    // True when no partial frame or message is buffered.
    bool Idle() const { return pending_.empty() && message_.empty() && !in_message_; }

private:
    // Parses one frame from pending_ at `pos`; returns false when it is incomplete.
    Result<bool> ParseOne(std::size_t& pos, std::vector<WsInbound>& out);

    std::size_t max_message_;
    std::string pending_;       // bytes of an unfinished frame
    std::string message_;       // fragments of an unfinished data message
    bool in_message_ = false;
    WsOpcode message_opcode_ = WsOpcode::kText;
    bool closed_ = false;       // a close frame was read: nothing may follow
};

// The close code to send for a reader error.
std::uint16_t WsCloseCodeFor(const Error& error);

}  // namespace wadesk::realtime
