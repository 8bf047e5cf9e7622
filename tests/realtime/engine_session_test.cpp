#include "realtime/engine_session.h"

#include <gtest/gtest.h>

namespace wadesk::realtime {
namespace {

SharedText Text(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

EngineOptions SmallOptions() {
    EngineOptions o;
    o.ping_interval_ms = 1000;
    o.ping_timeout_ms = 500;
    o.max_payload = 20;
    o.max_queue_packets = 3;
    o.max_queue_bytes = 64;
    return o;
}

TEST(EngineSession, MessagesGoUpAndCloseIsReported) {
    EngineSession s("sid1", Transport::kWebsocket, SmallOptions(), 0);
    auto in = s.OnPacket({EioType::kMessage, "0{}"}, Channel::kPrimary, 1);
    ASSERT_TRUE(in);
    ASSERT_EQ(in->messages.size(), 1u);
    EXPECT_EQ(in->messages[0], "0{}");
    auto close = s.OnPacket({EioType::kClose, ""}, Channel::kPrimary, 2);
    ASSERT_TRUE(close);
    EXPECT_TRUE(close->close);
}

TEST(EngineSession, RejectsPacketsAClientMustNotSend) {
    EngineSession s("sid1", Transport::kWebsocket, SmallOptions(), 0);
    EXPECT_EQ(s.OnPacket({EioType::kOpen, ""}, Channel::kPrimary, 1).error().code, "unexpected_packet");
    EXPECT_EQ(s.OnPacket({EioType::kUpgrade, ""}, Channel::kPrimary, 1).error().code, "unexpected_packet");
    EXPECT_EQ(s.OnPacket({EioType::kPing, "probe"}, Channel::kProbe, 1).error().code, "unexpected_packet");
}

TEST(EngineSession, HeartbeatPingsThenTimesOutWithoutPong) {
    EngineSession s("sid1", Transport::kWebsocket, SmallOptions(), 0);
    EXPECT_EQ(s.OnTick(999), EngineSession::Tick::kNothing);
    EXPECT_EQ(s.OnTick(1000), EngineSession::Tick::kPingQueued);
    auto out = s.TakeOutbound();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(*out[0], "2");
    EXPECT_EQ(s.OnTick(1400), EngineSession::Tick::kNothing);
    EXPECT_EQ(s.OnTick(1500), EngineSession::Tick::kTimedOut);
}

TEST(EngineSession, PongResetsTheHeartbeat) {
    EngineSession s("sid1", Transport::kWebsocket, SmallOptions(), 0);
    ASSERT_EQ(s.OnTick(1000), EngineSession::Tick::kPingQueued);
    ASSERT_TRUE(s.OnPacket({EioType::kPong, ""}, Channel::kPrimary, 1200));
    EXPECT_EQ(s.OnTick(1600), EngineSession::Tick::kNothing);  // no ping outstanding
    EXPECT_EQ(s.OnTick(2199), EngineSession::Tick::kNothing);
    EXPECT_EQ(s.OnTick(2200), EngineSession::Tick::kPingQueued);
}

TEST(EngineSession, QueueOverflowsOnPacketsAndBytes) {
    EngineSession s("sid1", Transport::kWebsocket, SmallOptions(), 0);
    EXPECT_EQ(s.Push(Text("a")), EngineSession::PushResult::kQueued);
    EXPECT_EQ(s.Push(Text("b")), EngineSession::PushResult::kQueued);
    EXPECT_EQ(s.Push(Text("c")), EngineSession::PushResult::kQueued);
    EXPECT_EQ(s.Push(Text("d")), EngineSession::PushResult::kOverflow);
    EXPECT_EQ(s.TakeOutbound().size(), 3u);
    EXPECT_EQ(s.Push(Text(std::string(65, 'x'))), EngineSession::PushResult::kOverflow);
    EXPECT_EQ(s.Push(Text(std::string(64, 'x'))), EngineSession::PushResult::kQueued);
    EXPECT_EQ(s.QueuedBytes(), 64u);
}

TEST(EngineSession, TakeOutboundIntoAVectorHandsBackItsBuffer) {
    EngineSession s("sid1", Transport::kWebsocket, SmallOptions(), 0);
    std::vector<SharedText> writer;
    writer.reserve(8);
    const auto* spare = writer.data();
    ASSERT_EQ(s.Push(Text("a")), EngineSession::PushResult::kQueued);
    ASSERT_EQ(s.Push(Text("b")), EngineSession::PushResult::kQueued);
    s.TakeOutbound(writer);
    ASSERT_EQ(writer.size(), 2u);
    EXPECT_EQ(*writer[0], "a");
    EXPECT_EQ(*writer[1], "b");
    EXPECT_EQ(s.QueuedBytes(), 0u);
    EXPECT_FALSE(s.HasOutbound());
    // The queue now owns the writer's old buffer: the next packet lands in it, and the bounds
    // count from zero again.
    writer.clear();
    ASSERT_EQ(s.Push(Text("c")), EngineSession::PushResult::kQueued);
    s.TakeOutbound(writer);
    ASSERT_EQ(writer.size(), 1u);
    EXPECT_EQ(*writer[0], "c");
    EXPECT_EQ(writer.data(), spare);
}

TEST(EngineSession, PollBodyJoinsUpToMaxPayload) {
    EngineSession s("sid1", Transport::kPolling, SmallOptions(), 0);
    EXPECT_EQ(s.TakePollBody(), "");
    ASSERT_EQ(s.Push(Text("4aaaaaaaa")), EngineSession::PushResult::kQueued);  // 9 bytes
    ASSERT_EQ(s.Push(Text("4bbbbbbbb")), EngineSession::PushResult::kQueued);  // +1+9 = 19
    ASSERT_EQ(s.Push(Text("4cc")), EngineSession::PushResult::kQueued);        // would be 23 > 20
    EXPECT_EQ(s.TakePollBody(), "4aaaaaaaa\x1e" "4bbbbbbbb");
    EXPECT_EQ(s.TakePollBody(), "4cc");
    EXPECT_FALSE(s.HasOutbound());
}

TEST(EngineSession, UpgradeProbeSequence) {
    EngineSession s("sid1", Transport::kPolling, SmallOptions(), 0);
    ASSERT_TRUE(s.BeginUpgrade());
    EXPECT_FALSE(s.BeginUpgrade());  // one probe at a time
    EXPECT_EQ(s.TakePollBody(), "6");  // the pending poll completes with a noop
    EXPECT_EQ(s.OnPacket({EioType::kUpgrade, ""}, Channel::kProbe, 1).error().code, "bad_probe");  // not probed yet
    auto probe = s.OnPacket({EioType::kPing, "probe"}, Channel::kProbe, 1);
    ASSERT_TRUE(probe);
    ASSERT_TRUE(probe->probe_reply);
    EXPECT_EQ(*probe->probe_reply, "3probe");
    auto up = s.OnPacket({EioType::kUpgrade, ""}, Channel::kProbe, 2);
    ASSERT_TRUE(up);
    EXPECT_TRUE(up->upgraded);
    EXPECT_EQ(s.transport(), Transport::kWebsocket);
    EXPECT_FALSE(s.upgrading());
    EXPECT_FALSE(s.BeginUpgrade());  // already on websocket
}

TEST(EngineSession, BadProbeAbortsOnlyTheUpgrade) {
    EngineSession s("sid1", Transport::kPolling, SmallOptions(), 0);
    ASSERT_TRUE(s.BeginUpgrade());
    EXPECT_EQ(s.OnPacket({EioType::kMessage, "2[\"x\"]"}, Channel::kProbe, 1).error().code, "bad_probe");
    s.AbortUpgrade();
    EXPECT_EQ(s.transport(), Transport::kPolling);
    EXPECT_TRUE(s.BeginUpgrade());
}

TEST(EngineSession, PollingCloseQueuesClosePacket) {
    EngineSession s("sid1", Transport::kPolling, SmallOptions(), 0);
    ASSERT_EQ(s.Push(Text("41")), EngineSession::PushResult::kQueued);
    s.BeginClose();
    EXPECT_TRUE(s.closing());
    EXPECT_EQ(s.Push(Text("42[]")), EngineSession::PushResult::kClosed);
    EXPECT_EQ(s.TakePollBody(), "41\x1e" "1");
}

TEST(EngineSession, OpenPacketOffersUpgradeOnlyOnPolling) {
    EngineSession p("sidp", Transport::kPolling, SmallOptions(), 0);
    EngineSession w("sidw", Transport::kWebsocket, SmallOptions(), 0);
    EXPECT_NE(p.OpenPacket().find("\"websocket\""), std::string::npos);
    EXPECT_EQ(w.OpenPacket().find("\"websocket\""), std::string::npos);
    EXPECT_NE(w.OpenPacket().find("\"sid\":\"sidw\""), std::string::npos);
}

}  // namespace
}  // namespace wadesk::realtime
