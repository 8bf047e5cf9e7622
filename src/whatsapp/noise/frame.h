#pragma once
// WhatsApp Web transport framing (runs inside WebSocket binary messages, which may split or merge
// frames arbitrarily).
//
//   client stream:  ["ED" 00 01 len(3 BE) routing_info]  57 41 06 03  frame frame ...
//   server stream:  frame frame ...
//   frame:          length(3 bytes BE) payload(length bytes)
//
// The 4-byte WA header is sent once, by the client, before its first frame. The optional edge
// routing prefix ("ED") precedes it on reconnects of clients that were given routing info; it is
// skipped and is not part of the Noise prologue.
#include <array>
#include <cstdint>
#include <deque>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::wa::noise {

inline constexpr std::array<std::uint8_t, 4> kWaHeader = {0x57, 0x41, 0x06, 0x03};
inline constexpr std::size_t kMaxFramePayload = (1u << 24) - 1;  // what 3 length bytes can express

// Length prefix + payload; with `intro` the WA header goes first. Error "frame_too_large".
enum class Intro { kNone, kWaHeader };
Result<Bytes> EncodeFrame(BytesView payload, Intro intro = Intro::kNone);

// Reassembles frames from arbitrarily chunked input.
// With Intro::kWaHeader (server side reading a client) the stream must start with the WA header,
// optionally preceded by the edge-routing prefix. Any error is sticky: the stream is unusable
// after it. Error codes: bad_intro, frame_too_large.
class FrameReader {
public:
    explicit FrameReader(Intro expect = Intro::kNone, std::size_t max_payload = kMaxFramePayload)
        : expect_intro_(expect == Intro::kWaHeader), max_payload_(max_payload) {}

    // Consumes bytes; complete frames become available through Next().
    Result<void> Feed(BytesView chunk);
    // The next complete frame payload, if any.
    bool Next(Bytes& out);
    std::size_t Pending() const { return frames_.size(); }
    // Routing info from an "ED" prefix, empty when none was sent.
    const Bytes& RoutingInfo() const { return routing_info_; }

private:
    Result<void> Parse();

    bool expect_intro_;
    bool routing_checked_ = false;  // the optional routing prefix was consumed or ruled out
    std::size_t max_payload_;
    Bytes buffer_;
    std::size_t offset_ = 0;
    std::deque<Bytes> frames_;
    Bytes routing_info_;
    bool failed_ = false;
    Error error_;
};

}  // namespace wadesk::wa::noise
