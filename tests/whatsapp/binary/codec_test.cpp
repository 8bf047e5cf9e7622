// Encoder and decoder: the known-answer vectors of the protocol notes (Baileys encodeBinaryNode
// output), every wire marker, and the JID encoding rules.
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"

#include <gtest/gtest.h>

#include "whatsapp/binary/tokens.h"
#include "whatsapp/binary/wire.h"

namespace wadesk::wa {
namespace {

Bytes Hex(std::string_view h) {
    auto b = FromHex(h);
    EXPECT_TRUE(b.has_value()) << h;
    return b.value_or(Bytes{});
}

Bytes Stanza(const Node& n) {
    auto r = EncodeStanza(n);
    EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
    return r.has_value() ? *r : Bytes{};
}

Bytes Enc(const Node& n) {
    auto r = EncodeNode(n);
    EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
    return r.has_value() ? *r : Bytes{};
}

Node Dec(BytesView b) {
    auto r = DecodeNode(b);
    EXPECT_TRUE(r.has_value()) << ToHex(b) << ": " << (r.has_value() ? "" : r.error().message);
    return r.has_value() ? *r : Node{};
}

// Decodes a single attribute value from its wire encoding, via <a k=VALUE/>.
std::string DecodeAttrValue(std::string_view value_hex) {
    Bytes b = Hex(std::string("f803") + "fc0161" + "fc016b" + std::string(value_hex));
    auto r = DecodeNode(b);
    EXPECT_TRUE(r.has_value()) << value_hex << ": " << (r.has_value() ? "" : r.error().message);
    if (!r.has_value()) return "<error>";
    return std::string(r->GetAttr("k").value_or("<missing>"));
}

// The hex of one attribute value as encoded by us.
std::string EncodeAttrValue(std::string value) {
    Node n("a", {{"k", std::move(value)}});
    Bytes b = Enc(n);
    // f8 03 | fc 01 61 | fc 01 6b | value...
    EXPECT_GE(b.size(), 8u);
    return ToHex(BytesView(b).subspan(8));
}

Node IqPing() {
    return Node("iq", {{"id", "1234.5678-1"}, {"to", "@s.whatsapp.net"}, {"type", "get"}, {"xmlns", "w:p"}},
                NodeList{Node("ping")});
}

struct Vector {
    Node node;
    std::string hex;
};

std::vector<Vector> ProtocolVectors() {
    return {
        {IqPing(), "00f80a1908ff861234b5678a1f11fa000304291657f801f80156"},
        {Node("receipt", {{"id", "3EB0ABCDEF0123456789AB"},
                          {"to", "15550001111:5@s.whatsapp.net"},
                          {"type", "read"},
                          {"t", "1700000000"}}),
         "00f8090708fb0b3eb0abcdef0123456789ab11f70005ff8615550001111f042a1aff051700000000"},
        {Node("user", {{"jid", "100000000000011:5@lid"}}), "00f8030e0cf70105ff88100000000000011f"},
        {Node("enc", {{"v", "2"}, {"type", "pkmsg"}}, Bytes{1, 2, 3}), "00f8061d51450453fc03010203"},
        {Node("message", {{"to", "15550002222@s.whatsapp.net"}, {"id", "abc"}},
              NodeList{Node("body", {}, ToBytes("hi"))}),
         "00f8061311faff8615550002222f0308fc03616263f801f802ed75fc026869"},
    };
}

TEST(BinaryEncoder, ReproducesProtocolVectors) {
    for (const auto& v : ProtocolVectors()) {
        EXPECT_EQ(ToHex(Stanza(v.node)), v.hex) << ToDebugString(v.node);
    }
}

TEST(BinaryDecoder, DecodesProtocolVectors) {
    for (const auto& v : ProtocolVectors()) {
        auto r = DecodeStanza(Hex(v.hex));
        ASSERT_TRUE(r.has_value()) << v.hex << ": " << r.error().message;
        EXPECT_EQ(*r, v.node) << ToDebugString(*r) << " vs " << ToDebugString(v.node);
    }
}

TEST(BinaryDecoder, DecodesZlibVector) {
    auto r = DecodeStanza(Hex("02789cfbc125c9f1bf4dc8646b7a97bce02f0666164db1f01f8c3f18c30075ad08a4"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, IqPing());
}

TEST(BinaryEncoder, CompressedStanzaRoundTrips) {
    auto packed = EncodeStanza(IqPing(), Compression::kZlib);
    ASSERT_TRUE(packed.has_value());
    EXPECT_EQ((*packed)[0], kFlagCompressed);
    EXPECT_EQ((*packed)[1], 0x78);  // zlib header
    // zlib at its default level gives the same bytes as the reference vector (from Node's zlib).
    EXPECT_EQ(ToHex(*packed), "02789cfbc125c9f1bf4dc8646b7a97bce02f0666164db1f01f8c3f18c30075ad08a4");
    auto r = DecodeStanza(*packed);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, IqPing());
}

TEST(BinaryEncoder, StringEncodingDecisions) {
    // 1. single-byte token
    EXPECT_EQ(EncodeAttrValue("s.whatsapp.net"), "03");
    // 2. double-byte token, one from each dictionary
    EXPECT_EQ(EncodeAttrValue(std::string(*DoubleByteToken(0, 0))), "ec00");
    EXPECT_EQ(EncodeAttrValue(std::string(*DoubleByteToken(1, 7))), "ed07");
    EXPECT_EQ(EncodeAttrValue(std::string(*DoubleByteToken(2, 200))), "eec8");
    EXPECT_EQ(EncodeAttrValue(std::string(*DoubleByteToken(3, 255))), "efff");
    // 3. nibble, even and odd lengths
    EXPECT_EQ(EncodeAttrValue("1234"), "ff021234");
    EXPECT_EQ(EncodeAttrValue("123"), "ff82123f");
    EXPECT_EQ(EncodeAttrValue("1.5-7"), "ff831b5a7f");
    // 4. hex, uppercase only; lowercase hex is raw
    EXPECT_EQ(EncodeAttrValue("ABC"), "fb82abcf");
    EXPECT_EQ(EncodeAttrValue("3EB0"), "fb023eb0");
    EXPECT_EQ(EncodeAttrValue("abc"), "fc03616263");
    // packed strings stop at 127 characters
    EXPECT_EQ(EncodeAttrValue(std::string(127, '9')).substr(0, 4), "ffc0");
    EXPECT_EQ(EncodeAttrValue(std::string(128, '9')).substr(0, 4), "fc80");
    // 6. raw and the empty string
    EXPECT_EQ(EncodeAttrValue("hi"), "fc026869");
    EXPECT_EQ(EncodeAttrValue(""), "fc00");
}

TEST(BinaryEncoder, JidEncodings) {
    EXPECT_EQ(EncodeAttrValue("@s.whatsapp.net"), "fa0003");
    EXPECT_EQ(EncodeAttrValue("15550002222@s.whatsapp.net"), "faff861555000222" "2f03");
    EXPECT_EQ(EncodeAttrValue("15550001111:5@s.whatsapp.net"), "f70005ff8615550001111f");
    EXPECT_EQ(EncodeAttrValue("123456:2@lid"), "f70102ff03123456");
    EXPECT_EQ(EncodeAttrValue("123456:99@hosted"), "f78063ff03123456");
    EXPECT_EQ(EncodeAttrValue("123456:99@hosted.lid"), "f78163ff03123456");
    EXPECT_EQ(EncodeAttrValue("123456_5:2@s.whatsapp.net"), "f70502ff03123456");
    EXPECT_EQ(EncodeAttrValue("1:2@lid"), "f7010255");  // user "1" is a token
    EXPECT_EQ(EncodeAttrValue("status@broadcast"), "fa0b0d");
    // A device of 0, a device above 255 or a device on a non-user server keeps its text.
    EXPECT_EQ(DecodeAttrValue(EncodeAttrValue("1:0@s.whatsapp.net")), "1:0@s.whatsapp.net");
    EXPECT_EQ(EncodeAttrValue("1:0@s.whatsapp.net").substr(0, 2), "fa");
    EXPECT_EQ(DecodeAttrValue(EncodeAttrValue("1:300@s.whatsapp.net")), "1:300@s.whatsapp.net");
    EXPECT_EQ(DecodeAttrValue(EncodeAttrValue("1:3@g.us")), "1:3@g.us");
    // Not JIDs: no server, or a second '@'.
    EXPECT_EQ(EncodeAttrValue("abc@").substr(0, 2), "fc");
    EXPECT_EQ(EncodeAttrValue("a@b@c").substr(0, 2), "fc");
}

TEST(BinaryEncoder, EveryJidFormDecodesToItsText) {
    for (std::string s : {"@s.whatsapp.net", "15550001111@s.whatsapp.net", "15550001111:5@s.whatsapp.net",
                          "100000000000011:5@lid", "100000000000011@lid", "1:99@hosted", "1:99@hosted.lid",
                          "120363000000000000@g.us", "1234-5678@g.us", "status@broadcast", "123@newsletter",
                          "1_5:2@s.whatsapp.net", "1_1:2@s.whatsapp.net", "1_5@s.whatsapp.net", "1_5:2@lid",
                          "a:b:c@s.whatsapp.net", "x:1@msgr", ":5@s.whatsapp.net", "@lid", "user@example.com",
                          "1:255@s.whatsapp.net", "1:256@s.whatsapp.net", "1:01@s.whatsapp.net"}) {
        EXPECT_EQ(DecodeAttrValue(EncodeAttrValue(s)), s) << s;
    }
}

TEST(BinaryDecoder, EveryStringMarker) {
    EXPECT_EQ(DecodeAttrValue("00"), "");                    // LIST_EMPTY
    EXPECT_EQ(DecodeAttrValue("19"), "iq");                  // token
    EXPECT_EQ(DecodeAttrValue("ec00"), "read-self");         // DICTIONARY_0
    EXPECT_EQ(DecodeAttrValue("ed00"), std::string(*DoubleByteToken(1, 0)));
    EXPECT_EQ(DecodeAttrValue("ee05"), std::string(*DoubleByteToken(2, 5)));
    EXPECT_EQ(DecodeAttrValue("efff"), std::string(*DoubleByteToken(3, 255)));
    EXPECT_EQ(DecodeAttrValue("ff00"), "");                  // NIBBLE_8 empty (whatsmeow's empty string)
    EXPECT_EQ(DecodeAttrValue("ff82123f"), "123");
    EXPECT_EQ(DecodeAttrValue("ff02ab12"), "-.12");
    EXPECT_EQ(DecodeAttrValue("fb82abcf"), "ABC");
    EXPECT_EQ(DecodeAttrValue("fc026869"), "hi");            // BINARY_8
    EXPECT_EQ(DecodeAttrValue("fd0000026869"), "hi");        // BINARY_20
    EXPECT_EQ(DecodeAttrValue("fe000000026869"), "hi");      // BINARY_32
    EXPECT_EQ(DecodeAttrValue("fa0003"), "@s.whatsapp.net"); // JID_PAIR
    EXPECT_EQ(DecodeAttrValue("fafc0161fc0162"), "a@b");
    EXPECT_EQ(DecodeAttrValue("f70000ff811f"), "1@s.whatsapp.net");           // AD_JID device 0
    EXPECT_EQ(DecodeAttrValue("f70107ff811f"), "1:7@lid");
    EXPECT_EQ(DecodeAttrValue("f78063ff811f"), "1:99@hosted");
    EXPECT_EQ(DecodeAttrValue("f78163ff811f"), "1:99@hosted.lid");
    EXPECT_EQ(DecodeAttrValue("f70902ff811f"), "1_9:2@s.whatsapp.net");       // unknown domain type
    EXPECT_EQ(DecodeAttrValue("f6ff0212340005cc"), "1234:5@msgr");             // FB_JID (204 = msgr)
    EXPECT_EQ(DecodeAttrValue("f6ff021234000003"), "1234:0@s.whatsapp.net");
    EXPECT_EQ(DecodeAttrValue("f5ff02123400050007fc0161"), "7-1234:5@a");     // INTEROP_JID with server
}

TEST(BinaryDecoder, InteropJidWithoutServerDefaultsToInterop) {
    // <a k=INTEROP(user 1234, device 5, integrator 7)/> with nothing after: server is "interop".
    auto r = DecodeNode(Hex("f803fc0161fc016bf5ff021234000500" "07"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->GetAttr("k"), "7-1234:5@interop");
}

TEST(BinaryDecoder, ContentForms) {
    // no content
    EXPECT_EQ(Dec(Hex("f80119")), Node("iq"));
    // LIST_EMPTY content is an empty child list, not "no content"
    Node empty_list = Dec(Hex("f8021900"));
    EXPECT_TRUE(empty_list.HasChildren());
    EXPECT_TRUE(empty_list.Children().empty());
    EXPECT_NE(empty_list, Node("iq"));
    EXPECT_EQ(ToHex(Enc(empty_list)), "f8021900");
    // string-encoded content decodes to the bytes of the text
    EXPECT_EQ(Dec(Hex("f8021919")).ContentString(), "iq");
    EXPECT_EQ(Dec(Hex("f80219ff021234")).ContentString(), "1234");
    EXPECT_EQ(Dec(Hex("f80219fa0003")).ContentString(), "@s.whatsapp.net");
    // BINARY_20 and BINARY_32 content
    ASSERT_NE(Dec(Hex("f80219fd000002abcd")).ContentBytes(), nullptr);
    EXPECT_EQ(*Dec(Hex("f80219fd000002abcd")).ContentBytes(), (Bytes{0xab, 0xcd}));
    EXPECT_EQ(*Dec(Hex("f80219fe00000002abcd")).ContentBytes(), (Bytes{0xab, 0xcd}));
}

TEST(BinaryCodec, Binary20ContentOf256BytesAndMore) {
    for (std::size_t n : {255u, 256u, 300u, 70000u, (1u << 20) - 1}) {
        Bytes blob(n);
        for (std::size_t i = 0; i < n; ++i) blob[i] = static_cast<std::uint8_t>(i * 7);
        Node node("enc", {{"type", "msg"}}, blob);
        Bytes wire = Enc(node);
        auto pos = wire.size() - n;
        if (n < 256) {
            EXPECT_EQ(wire[pos - 2], tag::kBinary8);
        } else {
            ASSERT_EQ(wire[pos - 4], tag::kBinary20);
            EXPECT_EQ(wire[pos - 3], (n >> 16) & 0x0f);
            EXPECT_EQ(wire[pos - 2], (n >> 8) & 0xff);
            EXPECT_EQ(wire[pos - 1], n & 0xff);
        }
        EXPECT_EQ(Dec(wire), node);
    }
}

TEST(BinaryCodec, Binary32ContentOfOneMebibyte) {
    Bytes blob(1u << 20, 0x5a);
    Node node("enc", {}, blob);
    Bytes wire = Enc(node);
    ASSERT_EQ(ToHex(BytesView(wire).subspan(0, 8)), "f8021dfe00100000");
    EXPECT_EQ(Dec(wire), node);
}

TEST(BinaryCodec, List16WithMoreThan255Children) {
    // An 812-key prekey upload: <iq><list><key><id>..</id><value>..</value></key>×812</list></iq>.
    Node list("list");
    for (std::uint32_t i = 0; i < 812; ++i) {
        Bytes id{static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
        Bytes value(32, static_cast<std::uint8_t>(i));
        list.AddChild(Node("key", {}, NodeList{Node("id", {}, id), Node("value", {}, value)}));
    }
    Node iq("iq", {{"xmlns", "encrypt"}, {"type", "set"}, {"to", "@s.whatsapp.net"}, {"id", "12"}},
            NodeList{Node("registration", {}, Bytes{0, 0, 0, 1}), Node("type", {}, Bytes{5}), list});
    Bytes wire = Enc(iq);
    auto pos = ToHex(wire).find("f9032c");  // LIST_16 812
    EXPECT_NE(pos, std::string::npos);
    Node back = Dec(wire);
    EXPECT_EQ(back, iq);
    ASSERT_NE(back.Child("list"), nullptr);
    EXPECT_EQ(back.Child("list")->Children().size(), 812u);
    EXPECT_EQ(back.Child("list")->Children("key").size(), 812u);
}

TEST(BinaryCodec, NodeWithManyAttributesUsesList16) {
    Node n("iq");
    for (int i = 0; i < 200; ++i) n.attrs.Add("k" + std::to_string(i), "v");
    Bytes wire = Enc(n);
    EXPECT_EQ(ToHex(BytesView(wire).subspan(0, 3)), "f90191");  // 1 + 2*200 = 401
    EXPECT_EQ(Dec(wire), n);
}

TEST(BinaryEncoder, RejectsOversizedLists) {
    Node n("iq");
    for (int i = 0; i < 65536; ++i) n.AddChild(Node("a"));
    auto r = EncodeNode(n);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "node_too_large");
}

TEST(Node, Helpers) {
    Node n("iq", {{"id", "1"}, {"type", "result"}},
           NodeList{Node("a", {{"x", "1"}}), Node("b"), Node("a", {{"x", "2"}})});
    EXPECT_EQ(n.GetAttr("type"), "result");
    EXPECT_FALSE(n.GetAttr("missing").has_value());
    EXPECT_EQ(n.AttrOr("missing", "dflt"), "dflt");
    EXPECT_EQ(Node("a", {{"t", "1700000000"}}).GetAttrInt("t"), 1700000000);
    EXPECT_EQ(Node("a", {{"t", "-5"}}).GetAttrInt("t"), -5);
    EXPECT_FALSE(Node("a", {{"t", "12x"}}).GetAttrInt("t").has_value());
    EXPECT_FALSE(Node("a", {{"t", ""}}).GetAttrInt("t").has_value());
    EXPECT_FALSE(Node("a", {{"t", "99999999999999999999"}}).GetAttrInt("t").has_value());
    EXPECT_FALSE(n.GetAttrInt("missing").has_value());
    ASSERT_NE(n.Child("a"), nullptr);
    EXPECT_EQ(n.Child("a")->GetAttr("x"), "1");
    EXPECT_EQ(n.Children("a").size(), 2u);
    EXPECT_EQ(n.Children("a")[1]->GetAttr("x"), "2");
    EXPECT_EQ(n.Child("c"), nullptr);
    EXPECT_EQ(n.ContentBytes(), nullptr);
    n.attrs.Set("type", "error");
    n.attrs.Set("code", "400");
    EXPECT_EQ(n.GetAttr("type"), "error");
    EXPECT_EQ(n.attrs.size(), 3u);
    EXPECT_EQ(n.attrs.Remove("code"), 1u);
    EXPECT_FALSE(n.attrs.Has("code"));
    EXPECT_EQ(ToDebugString(Node("enc", {{"v", "2"}}, Bytes{1, 2})), "<enc v='2'>0102</enc>");
    EXPECT_EQ(ToDebugString(IqPing()),
              "<iq id='1234.5678-1' to='@s.whatsapp.net' type='get' xmlns='w:p'><ping/></iq>");
    EXPECT_EQ(ToDebugString(Node("body", {}, ToBytes("hi"))), "<body>\"hi\"</body>");
}

}  // namespace
}  // namespace wadesk::wa
