// libFuzzer target: the websocket frames a Socket.IO client sends (WsFrameReader).
// Input: byte 0 picks the chunk size, the rest is the byte stream after the handshake.
// Invariants: feeding the stream whole or in chunks gives the same messages and the same error;
// text messages and close reasons are UTF-8; no message exceeds the limit; control payloads fit
// 125 bytes; a close code is 1005 exactly when the close payload is empty.
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "realtime/ws_frame.h"

using namespace wadesk;
using namespace wadesk::realtime;

namespace {

constexpr std::size_t kMaxMessage = 4096;

struct Outcome {
    std::vector<WsInbound> messages;
    std::string error;  // "" when the stream was accepted
};

Outcome Read(std::string_view stream, std::size_t chunk) {
    WsFrameReader reader(kMaxMessage);
    Outcome out;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
        auto r = reader.Feed(stream.substr(pos, chunk), out.messages);
        if (!r) {
            out.error = r.error().code;
            break;
        }
    }
    return out;
}

bool Same(const std::vector<WsInbound>& a, const std::vector<WsInbound>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].opcode != b[i].opcode || a[i].payload != b[i].payload || a[i].close_code != b[i].close_code)
            return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Outcome whole = Read(stream, stream.size() + 1);
    const Outcome chunked = Read(stream, 1 + data[0] % 64);
    FUZZ_CHECK(whole.error == chunked.error, "chunking changes the outcome");
    FUZZ_CHECK(Same(whole.messages, chunked.messages), "chunking changes the messages");
    for (const WsInbound& m : whole.messages) {
        FUZZ_CHECK(m.payload.size() <= kMaxMessage, "a message exceeds the limit");
        switch (m.opcode) {
            case WsOpcode::kText:
                FUZZ_CHECK(IsValidUtf8(m.payload), "a text message is not UTF-8");
                break;
            case WsOpcode::kBinary:
                break;
            case WsOpcode::kPing:
            case WsOpcode::kPong:
                FUZZ_CHECK(m.payload.size() <= 125, "a control payload exceeds 125 bytes");
                break;
            case WsOpcode::kClose:
                FUZZ_CHECK(m.payload.size() <= 125, "a close payload exceeds 125 bytes");
                FUZZ_CHECK((m.close_code == 1005) == m.payload.empty(), "close code 1005 without an empty payload");
                FUZZ_CHECK(m.payload.size() < 2 || IsValidUtf8(std::string_view(m.payload).substr(2)),
                           "a close reason is not UTF-8");
                break;
            default:
                FUZZ_CHECK(false, "a continuation frame is handed out");
        }
    }
    return 0;
}
