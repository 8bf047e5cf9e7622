#include "realtime/ws_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wadesk::realtime {
namespace {

// A client frame as a browser would send it: masked with `key`.
std::string ClientFrame(std::uint8_t first_byte, std::string_view payload, bool masked = true,
                        std::uint32_t key = 0xA1B2C3D4) {
    std::string out;
    out.push_back(static_cast<char>(first_byte));
    std::uint8_t mask_bit = masked ? 0x80 : 0;
    if (payload.size() < 126) {
        out.push_back(static_cast<char>(mask_bit | payload.size()));
    } else if (payload.size() <= 0xFFFF) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>(payload.size() >> 8));
        out.push_back(static_cast<char>(payload.size() & 0xFF));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(std::uint64_t{payload.size()} >> (56 - 8 * i)));
    }
    unsigned char mask[4] = {static_cast<unsigned char>(key >> 24), static_cast<unsigned char>(key >> 16),
                             static_cast<unsigned char>(key >> 8), static_cast<unsigned char>(key)};
    if (masked) out.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(masked ? static_cast<char>(payload[i] ^ mask[i & 3]) : payload[i]);
    return out;
}

TEST(WsFrame, ServerHeaderLengths) {
    std::uint8_t h[kWsMaxHeader];
    ASSERT_EQ(EncodeWsHeader(WsOpcode::kText, 5, h), 2u);
    EXPECT_EQ(h[0], 0x81);
    EXPECT_EQ(h[1], 5);
    ASSERT_EQ(EncodeWsHeader(WsOpcode::kText, 125, h), 2u);
    EXPECT_EQ(h[1], 125);
    ASSERT_EQ(EncodeWsHeader(WsOpcode::kText, 126, h), 4u);
    EXPECT_EQ(h[1], 126);
    EXPECT_EQ(h[2], 0);
    EXPECT_EQ(h[3], 126);
    ASSERT_EQ(EncodeWsHeader(WsOpcode::kBinary, 65535, h), 4u);
    EXPECT_EQ(h[0], 0x82);
    EXPECT_EQ(h[2], 0xFF);
    EXPECT_EQ(h[3], 0xFF);
    ASSERT_EQ(EncodeWsHeader(WsOpcode::kText, 65536, h), 10u);
    EXPECT_EQ(h[1], 127);
    EXPECT_EQ(h[7], 1);
    EXPECT_EQ(h[8], 0);
    EXPECT_EQ(h[9], 0);
    EXPECT_EQ(EncodeWsFrame(WsOpcode::kPong, "hi"), std::string("\x8A\x02hi", 4));
    EXPECT_EQ(EncodeWsClosePayload(1000, "bye"), std::string("\x03\xE8" "bye", 5));
}

TEST(WsFrame, ClosePayloadReasonIsTruncatedOnACharacterBoundary) {
    std::string reason(122, 'a');
    reason += "\xC3\xA9";  // a two-byte character crossing the 123-byte limit
    std::string p = EncodeWsClosePayload(1002, reason);
    EXPECT_EQ(p.size(), 2u + 122u);
    EXPECT_TRUE(IsValidUtf8(p.substr(2)));
}

TEST(WsFrame, Utf8Validation) {
    EXPECT_TRUE(IsValidUtf8(""));
    EXPECT_TRUE(IsValidUtf8("plain ascii text, longer than eight bytes"));
    EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
    EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(IsValidUtf8("abc\xE2\x82"));       // truncated
    EXPECT_FALSE(IsValidUtf8("\xFF"));
    EXPECT_FALSE(IsValidUtf8("\x80"));
}

TEST(WsFrameReader, ReadsMaskedTextAndControlFrames) {
    WsFrameReader r(1000);
    std::vector<WsInbound> out;
    std::string bytes = ClientFrame(0x81, "40{\"token\":\"t\"}") + ClientFrame(0x89, "p") + ClientFrame(0x8A, "") +
                        ClientFrame(0x81, "3");
    ASSERT_TRUE(r.Feed(bytes, out));
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].opcode, WsOpcode::kText);
    EXPECT_EQ(out[0].payload, "40{\"token\":\"t\"}");
    EXPECT_EQ(out[1].opcode, WsOpcode::kPing);
    EXPECT_EQ(out[1].payload, "p");
    EXPECT_EQ(out[2].opcode, WsOpcode::kPong);
    EXPECT_EQ(out[3].payload, "3");
    EXPECT_TRUE(r.Idle());
}

TEST(WsFrameReader, ByteByByteAndLongLengths) {
    std::string medium(300, 'x');
    std::string large(70000, 'y');
    std::string bytes = ClientFrame(0x81, medium) + ClientFrame(0x82, large);
    WsFrameReader r(100000);
    std::vector<WsInbound> out;
    for (char c : bytes) ASSERT_TRUE(r.Feed(std::string_view(&c, 1), out));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].payload, medium);
    EXPECT_EQ(out[1].opcode, WsOpcode::kBinary);
    EXPECT_EQ(out[1].payload, large);
    EXPECT_TRUE(r.Idle());
}

TEST(WsFrameReader, ReassemblesFragmentsAroundInterleavedControlFrames) {
    WsFrameReader r(1000);
    std::vector<WsInbound> out;
    std::string bytes = ClientFrame(0x01, "42[\"a\",") + ClientFrame(0x89, "") + ClientFrame(0x00, "1") +
                        ClientFrame(0x80, "]");
    ASSERT_TRUE(r.Feed(bytes.substr(0, 7), out));
    EXPECT_FALSE(r.Idle());
    ASSERT_TRUE(r.Feed(bytes.substr(7), out));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].opcode, WsOpcode::kPing);
    EXPECT_EQ(out[1].opcode, WsOpcode::kText);
    EXPECT_EQ(out[1].payload, "42[\"a\",1]");
    EXPECT_TRUE(r.Idle());
}

TEST(WsFrameReader, CloseFrame) {
    WsFrameReader r(1000);
    std::vector<WsInbound> out;
    ASSERT_TRUE(r.Feed(ClientFrame(0x88, std::string("\x03\xE9", 2) + "away"), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].opcode, WsOpcode::kClose);
    EXPECT_EQ(out[0].close_code, 1001);
    auto again = r.Feed(ClientFrame(0x81, "4"), out);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, "ws_protocol");

    WsFrameReader bare(1000);
    out.clear();
    ASSERT_TRUE(bare.Feed(ClientFrame(0x88, ""), out));
    EXPECT_EQ(out.at(0).close_code, 1005);
}

struct BadCase {
    const char* name;
    std::string bytes;
    const char* code;
};

TEST(WsFrameReader, RefusesBadFrames) {
    std::vector<BadCase> cases = {
        {"unmasked", ClientFrame(0x81, "40", false), "ws_protocol"},
        {"rsv1", ClientFrame(0xC1, "40"), "ws_protocol"},
        {"opcode 3", ClientFrame(0x83, "x"), "ws_protocol"},
        {"opcode 0xB", ClientFrame(0x8B, ""), "ws_protocol"},
        {"fragmented ping", ClientFrame(0x09, ""), "ws_protocol"},
        {"long ping", ClientFrame(0x89, std::string(126, 'p')), "ws_protocol"},
        {"continuation first", ClientFrame(0x80, "x"), "ws_protocol"},
        {"text inside fragments", ClientFrame(0x01, "a") + ClientFrame(0x81, "b"), "ws_protocol"},
        {"close with one byte", ClientFrame(0x88, "x"), "ws_protocol"},
        {"close code 1005", ClientFrame(0x88, std::string("\x03\xED", 2)), "ws_protocol"},
        {"bad utf8 text", ClientFrame(0x81, "4\xC0\xAF"), "ws_invalid_utf8"},
        {"bad utf8 across fragments", ClientFrame(0x01, "4\xE2") + ClientFrame(0x80, "("), "ws_invalid_utf8"},
        {"too big", ClientFrame(0x81, std::string(101, 'x')), "ws_too_big"},
        {"too big across fragments", ClientFrame(0x01, std::string(60, 'x')) + ClientFrame(0x80, std::string(60, 'x')),
         "ws_too_big"},
    };
    for (const auto& c : cases) {
        WsFrameReader r(100);
        std::vector<WsInbound> out;
        auto res = r.Feed(c.bytes, out);
        ASSERT_FALSE(res) << c.name;
        EXPECT_EQ(res.error().code, c.code) << c.name;
    }
    EXPECT_EQ(WsCloseCodeFor(MakeError("ws_too_big", "")), kWsCloseTooBig);
    EXPECT_EQ(WsCloseCodeFor(MakeError("ws_invalid_utf8", "")), kWsCloseInvalidPayload);
    EXPECT_EQ(WsCloseCodeFor(MakeError("ws_protocol", "")), kWsCloseProtocolError);
}

TEST(WsFrameReader, OversizeIsRefusedFromTheHeaderAlone) {
    WsFrameReader r(1000);
    std::vector<WsInbound> out;
    std::string header("\x81\xFF\x00\x00\x00\x00\x7F\xFF\xFF\xFF", 10);  // announces 2 GB
    auto res = r.Feed(header, out);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, "ws_too_big");
}

TEST(WsFrameReader, RefusesNonMinimalLengths) {
    std::string bytes("\x81\xFE\x00\x05", 4);  // 16-bit length field holding 5
    bytes += std::string("\x00\x00\x00\x00", 4) + "hello";
    WsFrameReader r(1000);
    std::vector<WsInbound> out;
    auto res = r.Feed(bytes, out);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, "ws_protocol");
}

}  // namespace
}  // namespace wadesk::realtime
