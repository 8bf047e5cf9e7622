// libFuzzer target: what a Socket.IO client posts on the polling transport (and sends as websocket
// text frames): the Engine.IO payload, each packet through the session state machine, and each
// message through the Socket.IO decoder and the server's interpretation of it.
// Invariants: the packets of a payload re-encode and re-join to the payload's exact bytes; a
// decoded Socket.IO packet re-encodes to text that decodes to the same packet (numbers within
// Boost.JSON's rounding; none that overflowed to infinity: json_equal.h).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "json_equal.h"
#include "realtime/engine_session.h"
#include "realtime/engineio_packet.h"
#include "realtime/protocol.h"
#include "realtime/socketio_packet.h"

using namespace wadesk;
using namespace wadesk::realtime;

namespace {

void CheckSioRoundTrip(std::string_view text) {
    auto packet = DecodeSioPacket(text);
    if (!packet || (packet->data && HasNonFiniteNumber(*packet->data))) return;
    const std::string encoded = EncodeSioPacket(*packet);
    auto again = DecodeSioPacket(encoded);
    FUZZ_CHECK(again, "a re-encoded Socket.IO packet does not decode");
    FUZZ_CHECK(again->type == packet->type && again->nsp == packet->nsp && again->id == packet->id &&
                   again->data.has_value() == packet->data.has_value() &&
                   (!packet->data || JsonEqualUpToRounding(*again->data, *packet->data)),
               "a re-encoded Socket.IO packet decodes to another packet");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto packets = DecodePollingPayload(body, 16);
    if (!packets) {
        CheckSioRoundTrip(body);  // a websocket text frame's data is one Socket.IO packet too
        return 0;
    }
    std::vector<std::string> encoded;
    for (const EioPacket& p : *packets) encoded.push_back(EncodeEioPacket(p.type, p.data));
    FUZZ_CHECK(JoinPollingPayload({encoded.begin(), encoded.end()}) == body, "a polling payload does not round-trip");

    EngineSession session("sid", Transport::kPolling, EngineOptions{}, 0);
    SioState state = SioState::kAwaitingConnect;
    std::int64_t now = 0;
    for (const EioPacket& p : *packets) {
        auto inbound = session.OnPacket(p, Channel::kPrimary, now += 10);
        if (!inbound) break;
        for (const std::string& message : inbound->messages) {
            CheckSioRoundTrip(message);
            const SioAction action = InterpretSioMessage(message, state);
            if (action.kind == SioAction::Kind::kConnect) state = SioState::kConnected;
            if (action.kind == SioAction::Kind::kProtocolError || action.kind == SioAction::Kind::kDisconnect) break;
        }
        if (inbound->close) break;
    }
    return 0;
}
