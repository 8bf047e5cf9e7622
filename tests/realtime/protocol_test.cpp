#include "realtime/protocol.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <utility>

namespace wadesk::realtime {
namespace {

// Grants as (user, session) pairs; users in `inactive` are disabled.
class FakeAccess : public service::AccessView {
public:
    std::set<std::pair<std::string, std::string>> readable;
    std::set<std::string> inactive;
    bool CanRead(const auth::Principal& who, std::string_view session_id) const override {
        return readable.count({who.user_id, std::string(session_id)}) > 0;
    }
    bool CanWrite(const auth::Principal&, std::string_view) const override { return false; }
    bool CanManageChats(const auth::Principal&, std::string_view) const override { return false; }
    bool IsActive(std::string_view user_id) const override { return inactive.count(std::string(user_id)) == 0; }
};

domain::Event MakeEvent(std::string company, std::string session, std::string name, std::int64_t id = 7) {
    domain::Event e;
    e.id = id;
    e.company_id = std::move(company);
    e.session_id = std::move(session);
    e.name = std::move(name);
    e.payload_json = R"({"chatId":"c1"})";
    return e;
}

auth::Principal User(std::string id, std::string company, domain::Role role) {
    auth::Principal p;
    p.user_id = std::move(id);
    p.company_id = std::move(company);
    p.role = role;
    return p;
}

TEST(Delivery, AdminGetsEverythingOfItsCompanyOnly) {
    FakeAccess access;
    auto admin = User("a", "co1", domain::Role::kAdmin);
    EXPECT_TRUE(MayReceive(access, admin, MakeEvent("co1", "s1", "whatsapp:message")));
    EXPECT_TRUE(MayReceive(access, admin, MakeEvent("co1", "s2", "whatsapp:qr")));
    EXPECT_FALSE(MayReceive(access, admin, MakeEvent("co2", "s9", "whatsapp:message")));
}

TEST(Delivery, ManagerNeedsCanReadNowAndNeverGetsQr) {
    FakeAccess access;
    auto mgr = User("m", "co1", domain::Role::kManager);
    auto ev = MakeEvent("co1", "s1", "whatsapp:message");
    EXPECT_FALSE(MayReceive(access, mgr, ev));
    access.readable.insert({"m", "s1"});
    EXPECT_TRUE(MayReceive(access, mgr, ev));
    EXPECT_FALSE(MayReceive(access, mgr, MakeEvent("co1", "s1", "whatsapp:qr")));
    EXPECT_FALSE(MayReceive(access, mgr, MakeEvent("co1", "s2", "whatsapp:message")));
    access.readable.clear();  // revoked
    EXPECT_FALSE(MayReceive(access, mgr, ev));
}

TEST(Delivery, ManagerOfAnotherCompanyWithSameSessionIdGetsNothing) {
    FakeAccess access;
    access.readable.insert({"m", "s1"});
    auto mgr = User("m", "co2", domain::Role::kManager);
    EXPECT_FALSE(MayReceive(access, mgr, MakeEvent("co1", "s1", "whatsapp:message")));
}

TEST(EventFrame, CarriesSessionIdEventIdAndOffset) {
    auto frame = EncodeEventFrame(MakeEvent("co1", "s1", "whatsapp:message", 42));
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->substr(0, 2), "42");
    auto args = boost::json::parse(frame->substr(2)).as_array();
    ASSERT_EQ(args.size(), 3u);
    EXPECT_EQ(args[0].as_string(), "whatsapp:message");
    auto& data = args[1].as_object();
    EXPECT_EQ(data.at("sessionId").as_string(), "s1");
    EXPECT_EQ(data.at("eventId").as_int64(), 42);
    EXPECT_EQ(data.at("chatId").as_string(), "c1");
    EXPECT_EQ(args[2].as_string(), "42");
}

TEST(EventFrame, WrapsNonObjectPayloadAndRejectsBadJson) {
    auto e = MakeEvent("co1", "s1", "x");
    e.payload_json = "[1,2]";
    auto frame = EncodeEventFrame(e);
    ASSERT_TRUE(frame);
    auto args = boost::json::parse(frame->substr(2)).as_array();
    EXPECT_EQ(args[1].as_object().at("data").as_array().size(), 2u);
    e.payload_json = "{nope";
    EXPECT_EQ(EncodeEventFrame(e).error().code, "bad_payload");
    e.name.clear();
    EXPECT_EQ(EncodeEventFrame(e).error().code, "bad_event_name");
}

TEST(SioInterpret, ConnectExtractsAuthFields) {
    auto a = InterpretSioMessage(R"(0{"token":"t","pid":"p","offset":"9","extra":1})", SioState::kAwaitingConnect);
    ASSERT_EQ(a.kind, SioAction::Kind::kConnect);
    EXPECT_EQ(a.auth.token, "t");
    EXPECT_EQ(a.auth.pid, "p");
    EXPECT_EQ(a.auth.offset, "9");
    auto b = InterpretSioMessage(R"(0{"token":5})", SioState::kAwaitingConnect);
    ASSERT_EQ(b.kind, SioAction::Kind::kConnect);
    EXPECT_FALSE(b.auth.token);
}

TEST(SioInterpret, UnknownNamespaceGetsConnectErrorOnThatNamespace) {
    auto a = InterpretSioMessage("0/admin,", SioState::kAwaitingConnect);
    ASSERT_EQ(a.kind, SioAction::Kind::kProtocolError);
    EXPECT_EQ(a.error.code, "invalid_namespace");
    EXPECT_EQ(a.reply.substr(0, 9), "44/admin,");
    EXPECT_NE(a.reply.find("Invalid namespace"), std::string::npos);
}

TEST(SioInterpret, MalformedAndOutOfOrderPacketsAreProtocolErrors) {
    EXPECT_EQ(InterpretSioMessage("2[", SioState::kConnected).kind, SioAction::Kind::kProtocolError);
    EXPECT_EQ(InterpretSioMessage(R"(2["x"])", SioState::kAwaitingConnect).error.code, "not_connected");
    EXPECT_EQ(InterpretSioMessage("0", SioState::kConnected).error.code, "already_connected");
    EXPECT_EQ(InterpretSioMessage(R"(4{"message":"x"})", SioState::kConnected).error.code, "unexpected_packet");
    auto bin = InterpretSioMessage(R"(51-["x",{"_placeholder":true,"num":0}])", SioState::kConnected);
    EXPECT_EQ(bin.error.code, "binary_unsupported");
    EXPECT_EQ(bin.reply.substr(0, 2), "44");
}

TEST(SioInterpret, ClientEventWithAckAndDisconnect) {
    auto e = InterpretSioMessage(R"(23["hello",1])", SioState::kConnected);
    ASSERT_EQ(e.kind, SioAction::Kind::kClientEvent);
    EXPECT_EQ(e.event_name, "hello");
    EXPECT_EQ(*e.ack_id, 3u);
    EXPECT_EQ(InterpretSioMessage("1", SioState::kConnected).kind, SioAction::Kind::kDisconnect);
}

TEST(ServerPackets, ConnectOkErrorAndAck) {
    EXPECT_EQ(EncodeConnectOk("s1", ""), R"(40{"sid":"s1"})");
    EXPECT_EQ(EncodeConnectOk("s1", "p1"), R"(40{"sid":"s1","pid":"p1"})");
    auto err = boost::json::parse(EncodeConnectError("bad token", "invalid_token").substr(2)).as_object();
    EXPECT_EQ(err.at("message").as_string(), "bad token");
    EXPECT_EQ(err.at("data").as_object().at("code").as_string(), "invalid_token");
    EXPECT_EQ(EncodeServerDisconnect(), "41");
    EXPECT_EQ(EncodeAck(4, "[1]"), "434[1]");
}

TEST(PickToken, AuthThenQueryThenBearerHeader) {
    ConnectAuth auth;
    EXPECT_EQ(PickToken(auth, "", ""), "");
    EXPECT_EQ(PickToken(auth, "", "Bearer  hdr "), "hdr");
    EXPECT_EQ(PickToken(auth, "", "bearer hdr"), "hdr");
    EXPECT_EQ(PickToken(auth, "", "Basic abc"), "");
    EXPECT_EQ(PickToken(auth, "q", "Bearer hdr"), "q");
    auth.token = "a";
    EXPECT_EQ(PickToken(auth, "q", "Bearer hdr"), "a");
}

}  // namespace
}  // namespace wadesk::realtime
