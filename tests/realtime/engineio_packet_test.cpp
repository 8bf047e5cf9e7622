#include "realtime/engineio_packet.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace wadesk::realtime {
namespace {

TEST(EngineIoPacket, DecodesEveryType) {
    auto ping = DecodeEioPacket("2probe");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->type, EioType::kPing);
    EXPECT_EQ(ping->data, "probe");
    auto msg = DecodeEioPacket("42[\"a\"]");
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->type, EioType::kMessage);
    EXPECT_EQ(msg->data, "2[\"a\"]");
    auto noop = DecodeEioPacket("6");
    ASSERT_TRUE(noop);
    EXPECT_EQ(noop->type, EioType::kNoop);
    EXPECT_TRUE(noop->data.empty());
}

TEST(EngineIoPacket, RejectsEmptyUnknownAndBinary) {
    EXPECT_EQ(DecodeEioPacket("").error().code, "empty_packet");
    EXPECT_EQ(DecodeEioPacket("7").error().code, "unknown_packet_type");
    EXPECT_EQ(DecodeEioPacket("x").error().code, "unknown_packet_type");
    EXPECT_EQ(DecodeEioPacket("bAQID").error().code, "binary_unsupported");
}

TEST(EngineIoPacket, EncodesTypeDigitThenData) {
    EXPECT_EQ(EncodeEioPacket(EioType::kPong, "probe"), "3probe");
    EXPECT_EQ(EncodeEioPacket(EioType::kClose), "1");
}

TEST(EngineIoPacket, PollingPayloadRoundTrip) {
    std::string body = JoinPollingPayload({"2", "42[\"x\",1]", "6"});
    EXPECT_EQ(body, std::string("2\x1e") + "42[\"x\",1]\x1e" + "6");
    auto packets = DecodePollingPayload(body, 10);
    ASSERT_TRUE(packets);
    ASSERT_EQ(packets->size(), 3u);
    EXPECT_EQ((*packets)[0].type, EioType::kPing);
    EXPECT_EQ((*packets)[1].data, "2[\"x\",1]");
    EXPECT_EQ((*packets)[2].type, EioType::kNoop);
}

TEST(EngineIoPacket, PollingPayloadErrors) {
    EXPECT_EQ(DecodePollingPayload("", 10).error().code, "empty_packet");
    EXPECT_EQ(DecodePollingPayload("2\x1e", 10).error().code, "empty_packet");
    EXPECT_EQ(DecodePollingPayload("2\x1e" "bAAAA", 10).error().code, "binary_unsupported");
    EXPECT_EQ(DecodePollingPayload("2\x1e" "2\x1e" "2", 2).error().code, "too_many_packets");
}

TEST(EngineIoPacket, OpenPacketCarriesHandshakeFields) {
    OpenInfo info;
    info.sid = "abc";
    info.ping_interval_ms = 300;
    info.ping_timeout_ms = 200;
    info.max_payload = 1000;
    std::string open = EncodeOpenPacket(info);
    ASSERT_EQ(open.front(), '0');
    auto v = boost::json::parse(open.substr(1)).as_object();
    EXPECT_EQ(v["sid"].as_string(), "abc");
    EXPECT_EQ(v["pingInterval"].to_number<int>(), 300);
    EXPECT_EQ(v["pingTimeout"].to_number<int>(), 200);
    EXPECT_EQ(v["maxPayload"].to_number<int>(), 1000);
    ASSERT_EQ(v["upgrades"].as_array().size(), 1u);
    EXPECT_EQ(v["upgrades"].as_array()[0].as_string(), "websocket");
    info.offer_websocket_upgrade = false;
    auto w = boost::json::parse(EncodeOpenPacket(info).substr(1)).as_object();
    EXPECT_TRUE(w["upgrades"].as_array().empty());
}

TEST(EngineIoPacket, HttpErrorBody) {
    auto v = boost::json::parse(EioHttpErrorBody(EioHttpError::kUnknownSid)).as_object();
    EXPECT_EQ(v["code"].to_number<int>(), 1);
    EXPECT_EQ(v["message"].as_string(), "Session ID unknown");
}

}  // namespace
}  // namespace wadesk::realtime
