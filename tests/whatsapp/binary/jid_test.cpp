#include "whatsapp/binary/jid.h"

#include <gtest/gtest.h>

namespace wadesk::wa {
namespace {

Jid Parse(std::string_view s) {
    auto r = ParseJid(s);
    EXPECT_TRUE(r.has_value()) << s;
    return r.has_value() ? *r : Jid{};
}

TEST(Jid, ParsesAndFormatsUserForms) {
    auto pn = Parse("15551234567@s.whatsapp.net");
    EXPECT_EQ(pn.user, "15551234567");
    EXPECT_EQ(pn.server, kServerUser);
    EXPECT_EQ(pn.device, 0);
    EXPECT_TRUE(pn.IsPnUser());
    EXPECT_EQ(pn.ToString(), "15551234567@s.whatsapp.net");

    auto dev = Parse("15551234567:5@s.whatsapp.net");
    EXPECT_EQ(dev.device, 5);
    EXPECT_EQ(dev.ToString(), "15551234567:5@s.whatsapp.net");
    EXPECT_EQ(dev.ToNonAd().ToString(), "15551234567@s.whatsapp.net");

    auto lid = Parse("100000000000011:5@lid");
    EXPECT_TRUE(lid.IsLid());
    EXPECT_EQ(lid.DomainType(), kDomainLid);
    EXPECT_EQ(lid.ToString(), "100000000000011:5@lid");
}

TEST(Jid, DeviceZeroIsPrintedWithoutSuffix) {
    auto j = Parse("15551234567:0@s.whatsapp.net");
    EXPECT_EQ(j.device, 0);
    EXPECT_EQ(j.ToString(), "15551234567@s.whatsapp.net");
    EXPECT_EQ(Jid::User("1", 0).ToString(), "1@s.whatsapp.net");
    EXPECT_EQ(Jid::Lid("1", 3).ToString(), "1:3@lid");
}

TEST(Jid, LegacyCUsIsNormalised) {
    EXPECT_EQ(Parse("15551234567@c.us").ToString(), "15551234567@s.whatsapp.net");
    EXPECT_EQ(Parse("c.us").ToString(), "@s.whatsapp.net");
}

TEST(Jid, OtherServers) {
    EXPECT_TRUE(Parse("120363000000000000@g.us").IsGroup());
    EXPECT_TRUE(Parse("1234-5678@g.us").IsGroup());
    EXPECT_EQ(Parse("1234-5678@g.us").user, "1234-5678");
    EXPECT_TRUE(Parse("status@broadcast").IsStatusBroadcast());
    EXPECT_TRUE(Parse("123@broadcast").IsBroadcast());
    EXPECT_FALSE(Parse("123@broadcast").IsStatusBroadcast());
    EXPECT_TRUE(Parse("123@newsletter").IsNewsletter());
    EXPECT_TRUE(Parse("13135550002@bot").IsBot());
    auto hosted = Parse("123:99@hosted");
    EXPECT_EQ(hosted.DomainType(), kDomainHosted);
    EXPECT_EQ(hosted.device, kHostedDevice);
    EXPECT_EQ(Parse("123:99@hosted.lid").DomainType(), kDomainHostedLid);
    EXPECT_EQ(Parse("123:4@msgr").ToString(), "123:4@msgr");
    auto interop = Parse("7-123:4@interop");
    EXPECT_EQ(interop.integrator, 7);
    EXPECT_EQ(interop.user, "123");
    EXPECT_EQ(interop.device, 4);
    EXPECT_EQ(interop.ToString(), "7-123:4@interop");
}

TEST(Jid, ServerJid) {
    auto s = Parse("@s.whatsapp.net");
    EXPECT_TRUE(s.IsServerJid());
    EXPECT_FALSE(s.IsPnUser());
    EXPECT_EQ(s.ToString(), "@s.whatsapp.net");
    EXPECT_EQ(Parse("s.whatsapp.net").ToString(), "@s.whatsapp.net");
    EXPECT_EQ(Jid::Server().ToString(), "@s.whatsapp.net");
    EXPECT_EQ(Parse("g.us").ToString(), "@g.us");
}

// Found by fuzz/request_target_fuzz.cpp: "interop" parsed as the server JID, but its text
// "@interop" was refused (the interop form wanted an integrator even with no user).
TEST(Jid, EveryServerJidRoundTripsThroughItsText) {
    for (std::string_view server : {kServerUser, kServerLegacyUser, kServerLid, kServerGroup, kServerBroadcast,
                                    kServerNewsletter, kServerHosted, kServerHostedLid, kServerBot, kServerMessenger,
                                    kServerInterop}) {
        const Jid jid = Parse(server);
        EXPECT_TRUE(jid.IsServerJid()) << server;
        EXPECT_EQ(Parse(jid.ToString()), jid) << server;
    }
    EXPECT_FALSE(ParseJid("123@interop").has_value()) << "a user on interop still needs its integrator";
}

// Found by fuzz/request_target_fuzz.cpp: ".u.0@lid" parsed as user ".u" with agent 0, printed as
// ".u@lid", which no longer parsed (".u" read as user "" with agent "u").
TEST(Jid, AUserWithAnAgentSeparatorIsRefusedWhereAgentsExist) {
    for (std::string_view text : {".u.0@lid", "1_2.3@s.whatsapp.net", "a.b@hosted", "1.2_0@hosted.lid"}) {
        EXPECT_FALSE(ParseJid(text).has_value()) << text;
    }
    EXPECT_EQ(Parse("1.2@lid").agent, 2);
    EXPECT_EQ(Parse("a.b@g.us").user, "a.b") << "servers without agents keep the separator in the user";
}

TEST(Jid, AgentForms) {
    auto baileys = Parse("123_5:2@s.whatsapp.net");
    EXPECT_EQ(baileys.user, "123");
    EXPECT_EQ(baileys.agent, 5);
    EXPECT_EQ(baileys.device, 2);
    EXPECT_EQ(baileys.DomainType(), 5);
    EXPECT_EQ(baileys.ToString(), "123_5:2@s.whatsapp.net");
    auto whatsmeow = Parse("123.5:2@s.whatsapp.net");
    EXPECT_EQ(whatsmeow, baileys);
}

TEST(Jid, SignalAddressNames) {
    EXPECT_EQ(Parse("155:3@s.whatsapp.net").SignalAddressName(), "155");
    EXPECT_EQ(Parse("100:3@lid").SignalAddressName(), "100_1");
    EXPECT_EQ(Parse("100:99@hosted").SignalAddressName(), "100_128");
    EXPECT_EQ(Parse("100:99@hosted.lid").SignalAddressName(), "100_129");
}

TEST(Jid, RejectsBadText) {
    for (std::string_view bad : std::initializer_list<std::string_view>{"", "15551234567", "abc@", "1@S.WHATSAPP.NET", "1:x@s.whatsapp.net",
                                 "1:65536@s.whatsapp.net", "1:-1@s.whatsapp.net", "1:01@s.whatsapp.net",
                                 "1:@s.whatsapp.net", "a b@s.whatsapp.net", "1_300@s.whatsapp.net",
                                 "123:4@interop", "x-123:4@interop", std::string_view("1\0@lid", 5)}) {
        auto r = ParseJid(bad);
        EXPECT_FALSE(r.has_value()) << bad;
        if (!r.has_value()) {
            EXPECT_EQ(r.error().code, "bad_jid");
        }
    }
}

TEST(Jid, FromNodeAttribute) {
    Node n("message", {{"from", "100000000000011:2@lid"}, {"to", "nonsense"}});
    auto from = GetAttrJid(n, "from");
    ASSERT_TRUE(from.has_value());
    EXPECT_EQ(*from, Jid::Lid("100000000000011", 2));
    EXPECT_EQ(GetAttrJid(n, "to").error().code, "bad_jid");
    EXPECT_EQ(GetAttrJid(n, "participant").error().code, "missing_attr");
}

TEST(Jid, OrderingAndEquality) {
    EXPECT_EQ(Parse("1:2@lid"), Jid::Lid("1", 2));
    EXPECT_NE(Parse("1:2@lid"), Jid::Lid("1", 3));
    EXPECT_LT(Jid::Lid("1", 2), Jid::Lid("1", 3));
}

}  // namespace
}  // namespace wadesk::wa
