#include "realtime/socketio_packet.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace wadesk::realtime {
namespace {

TEST(SocketIoPacket, DecodesConnectWithAuth) {
    auto p = DecodeSioPacket(R"(0{"token":"t1","pid":"p","offset":"12"})");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->type, SioType::kConnect);
    EXPECT_EQ(p->nsp, "/");
    EXPECT_FALSE(p->id);
    ASSERT_TRUE(p->data);
    EXPECT_EQ(p->data->as_object().at("token").as_string(), "t1");
}

TEST(SocketIoPacket, DecodesBareConnectAndDisconnect) {
    auto c = DecodeSioPacket("0");
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->data);
    auto d = DecodeSioPacket("1");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->type, SioType::kDisconnect);
}

TEST(SocketIoPacket, DecodesNamespaceAckIdAndEvent) {
    auto p = DecodeSioPacket(R"(2/admin,17["hello",{"a":1}])");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->nsp, "/admin");
    ASSERT_TRUE(p->id);
    EXPECT_EQ(*p->id, 17u);
    EXPECT_EQ(p->data->as_array().at(0).as_string(), "hello");
    auto ns_only = DecodeSioPacket("0/admin,");
    ASSERT_TRUE(ns_only);
    EXPECT_EQ(ns_only->nsp, "/admin");
    auto ack = DecodeSioPacket(R"(35[1,2])");
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->type, SioType::kAck);
    EXPECT_EQ(*ack->id, 5u);
}

TEST(SocketIoPacket, RejectsMalformed) {
    EXPECT_EQ(DecodeSioPacket("").error().code, "empty_packet");
    EXPECT_EQ(DecodeSioPacket("9").error().code, "unknown_packet_type");
    EXPECT_EQ(DecodeSioPacket("x[]").error().code, "unknown_packet_type");
    EXPECT_EQ(DecodeSioPacket(R"(51-["a",{"_placeholder":true,"num":0}])").error().code, "binary_unsupported");
    EXPECT_EQ(DecodeSioPacket("61-0[]").error().code, "binary_unsupported");
    EXPECT_EQ(DecodeSioPacket("2[\"a\"").error().code, "bad_json");
    EXPECT_EQ(DecodeSioPacket("2{}").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket("2[]").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket("2").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket(R"(2["connect"])").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket(R"(2[{}])").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket("0[1]").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket("1{}").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket("3{}").error().code, "invalid_payload");
    EXPECT_EQ(DecodeSioPacket("3[]").error().code, "invalid_payload");  // ACK needs an id
    EXPECT_EQ(DecodeSioPacket("21234567890123456[\"a\"]").error().code, "bad_ack_id");
    EXPECT_EQ(DecodeSioPacket("0/" + std::string(300, 'a') + ",").error().code, "bad_namespace");
}

TEST(SocketIoPacket, EncodeRoundTrips) {
    SioPacket p;
    p.type = SioType::kEvent;
    p.nsp = "/x";
    p.id = 3;
    p.data = boost::json::parse(R"(["e",{"k":"v"}])");
    std::string wire = EncodeSioPacket(p);
    EXPECT_EQ(wire, R"(2/x,3["e",{"k":"v"}])");
    auto back = DecodeSioPacket(wire);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->nsp, "/x");
    EXPECT_EQ(*back->id, 3u);
    EXPECT_EQ(*back->data, *p.data);

    SioPacket c;
    c.type = SioType::kConnect;
    c.data = boost::json::parse(R"({"sid":"s"})");
    EXPECT_EQ(EncodeSioPacket(c), R"(0{"sid":"s"})");
}

}  // namespace
}  // namespace wadesk::realtime
