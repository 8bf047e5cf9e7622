// The emulated phones as Signal parties, without sockets: phone-to-phone texts by PN and by LID,
// delivery and read receipts, retry receipts both ways (break-next, resend, bound), the phone's
// copies to companions, the server's redelivery of messages a device never settled, and the
// bench load and server pings.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "sim/control.h"
#include "sim/server.h"
#include "sim_client.h"

namespace wadesk::sim {
namespace {

constexpr char kBob[] = "15550002222";

class PhoneTest : public SimTest {
protected:
    PhoneTest() { bob = server.CreateAccount(kBob, "Bob").value(); }

    // Pairs a companion on Bob's account (device 1) and logs it in, past <success> and <ib>.
    std::unique_ptr<Client> BobCompanion() {
        bob_paired = std::make_unique<Client>(server);
        auto refs = bob_paired->Register();
        EXPECT_TRUE(server.Scan(kBob, bob_paired->Qr(refs.at(0))).has_value());
        bob_paired->CompletePairing(bob_paired->Receive());
        EXPECT_EQ(bob_paired->Receive().AttrOr("code", ""), "515");
        return BobLogin();
    }

    std::unique_ptr<Client> BobLogin() {
        auto c = std::make_unique<Client>(server);
        c->noise_key = bob_paired->noise_key;
        c->identity = bob_paired->identity;
        c->Handshake(Client::LoginPayload(std::stoull(kBob), 1));
        EXPECT_EQ(c->Receive().tag, "success");
        return c;
    }

    std::vector<InboxEntry> Inbox(const char* phone) { return server.PhoneInbox(phone).value(); }
    std::vector<PhoneReceipt> Receipts(const char* phone) { return server.PhoneReceipts(phone).value(); }

    const Account* bob = nullptr;
    std::unique_ptr<Client> bob_paired;
};

TEST_F(PhoneTest, PhoneToPhoneTextByPnAndByLid) {
    auto sent = server.PhoneSend(kPhone, kBob, "hello bob", Addressing::kPn);
    ASSERT_TRUE(sent.has_value()) << sent.error().message;
    EXPECT_EQ(sent->devices, std::vector<std::string>{std::string(kBob) + "@s.whatsapp.net"});
    auto inbox = Inbox(kBob);
    ASSERT_EQ(inbox.size(), 1u);
    EXPECT_EQ(inbox[0].id, sent->id);
    EXPECT_EQ(inbox[0].text, "hello bob");
    EXPECT_EQ(inbox[0].type, "text");
    EXPECT_EQ(inbox[0].from, std::string(kPhone) + "@s.whatsapp.net");
    EXPECT_EQ(inbox[0].chat, std::string(kPhone) + "@s.whatsapp.net");
    EXPECT_EQ(inbox[0].count, 0);
    // Bob's phone confirmed delivery to Alice's phone.
    auto receipts = Receipts(kPhone);
    ASSERT_EQ(receipts.size(), 1u);
    EXPECT_EQ(receipts[0].id, sent->id);
    EXPECT_EQ(receipts[0].type, "");
    EXPECT_EQ(receipts[0].from, std::string(kBob) + "@s.whatsapp.net");

    // By LID, given as a JID: the same session (keyed by LID) carries it as a msg.
    const std::string session_key = bob->lid + "_1.0";
    ASSERT_TRUE(server.FindAccount(kPhone)->phone_sessions.count(session_key));
    auto by_lid = server.PhoneSend(kPhone, bob->lid + "@lid", "hello by lid", Addressing::kLid, "3AFIXEDID");
    ASSERT_TRUE(by_lid.has_value()) << by_lid.error().message;
    EXPECT_EQ(by_lid->id, "3AFIXEDID");
    EXPECT_EQ(by_lid->devices, std::vector<std::string>{bob->lid + "@lid"});
    inbox = Inbox(kBob);
    ASSERT_EQ(inbox.size(), 2u);
    EXPECT_EQ(inbox[1].text, "hello by lid");
    EXPECT_EQ(inbox[1].from, account->lid + "@lid");
    EXPECT_EQ(server.FindAccount(kPhone)->phone_sessions.size(), 1u);
    EXPECT_EQ(Receipts(kPhone).back().from, bob->lid + "@lid");

    // And back: Bob's phone answers on the session Alice started; Bob reads, Alice hears it.
    auto reply = server.PhoneSend(kBob, kPhone, "hi alice", Addressing::kPn);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(Inbox(kPhone).size(), 1u);
    EXPECT_EQ(Inbox(kPhone)[0].text, "hi alice");
    ASSERT_TRUE(server.PhoneRead(kBob, account->lid + "@lid", {"3AFIXEDID"}).has_value());
    EXPECT_EQ(Receipts(kPhone).back().id, "3AFIXEDID");
    EXPECT_EQ(Receipts(kPhone).back().type, "read");
    EXPECT_EQ(server.PhoneRead(kBob, account->lid + "@lid", {"3ANOSUCHID"}).error().code, "no_message");
    EXPECT_EQ(server.PhoneSend(kPhone, "19999999999", "x", Addressing::kPn).error().code, "no_recipient");
}

TEST_F(PhoneTest, SessionsSurviveThroughTheAccountFile) {
    ASSERT_TRUE(server.PhoneSend(kPhone, kBob, "one", Addressing::kPn).has_value());
    // A restarted sim: the state as saved, the phones' memory gone.
    SimServer restarted(StateFromJson(StateToJson(server.state())).value());
    ASSERT_TRUE(restarted.PhoneSend(kPhone, kBob, "two", Addressing::kLid).has_value());
    auto inbox = restarted.PhoneInbox(kBob).value();
    ASSERT_EQ(inbox.size(), 1u);
    EXPECT_EQ(inbox[0].text, "two");
}

TEST_F(PhoneTest, BreakNextGetsARetryReceiptAndTheResendDecrypts) {
    ASSERT_EQ(server.BreakNext(kPhone, "15559999999@s.whatsapp.net").error().code, "no_device");
    ASSERT_TRUE(server.BreakNext(kPhone, bob->lid + "@lid").has_value());
    auto sent = server.PhoneSend(kPhone, kBob, "try again", Addressing::kPn);
    ASSERT_TRUE(sent.has_value());
    // Bob's phone failed the MAC, asked with keys (count 1); Alice's phone resent from them.
    auto receipts = Receipts(kPhone);
    ASSERT_EQ(receipts.size(), 2u);
    EXPECT_EQ(receipts[0].type, "retry");
    EXPECT_EQ(receipts[0].count, 1);
    EXPECT_EQ(receipts[0].id, sent->id);
    EXPECT_EQ(receipts[1].type, "");
    auto inbox = Inbox(kBob);
    ASSERT_EQ(inbox.size(), 1u);
    EXPECT_EQ(inbox[0].id, sent->id);
    EXPECT_EQ(inbox[0].text, "try again");
    EXPECT_EQ(inbox[0].count, 1);
    // Only the next message breaks.
    ASSERT_TRUE(server.PhoneSend(kPhone, kBob, "fine", Addressing::kPn).has_value());
    EXPECT_EQ(Receipts(kPhone).back().type, "");
    EXPECT_EQ(Inbox(kBob).back().count, 0);
}

TEST_F(PhoneTest, PhoneMessageReachesCompanionsAndItsOwnCopies) {
    auto alice_paired = Pair();
    auto alice = Login(*alice_paired, 1);
    alice->Receive();  // success
    alice->Receive();  // ib
    auto bob1 = BobCompanion();
    bob1->Receive();  // ib

    auto sent = server.PhoneSend(kPhone, kBob, "to all of bob", Addressing::kLid);
    ASSERT_TRUE(sent.has_value());
    EXPECT_EQ(sent->devices, (std::vector<std::string>{bob->lid + "@lid", bob->lid + ":1@lid", account->lid + ":1@lid"}));
    Node m = bob1->Receive();
    ASSERT_EQ(m.tag, "message");
    EXPECT_EQ(m.AttrOr("from", ""), account->lid + "@lid");
    EXPECT_EQ(m.AttrOr("sender_pn", ""), std::string(kPhone) + "@s.whatsapp.net");
    EXPECT_EQ(m.AttrOr("notify", ""), "Sim Phone");
    EXPECT_EQ(m.Child("enc")->AttrOr("type", ""), "pkmsg");
    EXPECT_EQ(m.Child("device-identity"), nullptr);  // a phone sends none
    // Bob's phone receipted at once (to Alice's phone and companion), then came the copy.
    Node phone_receipt = alice->Receive();
    EXPECT_EQ(phone_receipt.tag, "receipt");
    EXPECT_EQ(phone_receipt.AttrOr("from", ""), bob->lid + "@lid");
    Node copy = alice->Receive();
    ASSERT_EQ(copy.tag, "message");
    EXPECT_EQ(copy.AttrOr("recipient", ""), bob->lid + "@lid");
    EXPECT_EQ(copy.AttrOr("from", ""), account->lid + "@lid");
    // Bob's companion receipts it: Alice's phone records it, and her companion hears it too.
    bob1->Send(Node("receipt", Attrs{{"id", sent->id}, {"to", account->lid + "@lid"}}));
    EXPECT_EQ(bob1->Receive().tag, "ack");
    EXPECT_EQ(Receipts(kPhone).back().from, bob->lid + ":1@lid");
    Node heard = alice->Receive();
    EXPECT_EQ(heard.tag, "receipt");
    EXPECT_EQ(heard.AttrOr("id", ""), sent->id);
}

TEST_F(PhoneTest, UnsettledMessagesAreDeliveredAgainAfterReconnect) {
    auto bob1 = BobCompanion();
    EXPECT_EQ(bob1->Receive().Child("offline")->AttrOr("count", ""), "0");
    auto first = server.PhoneSend(kPhone, kBob, "first", Addressing::kPn).value();
    auto second = server.PhoneSend(kPhone, kBob, "second", Addressing::kPn).value();
    EXPECT_EQ(bob1->Receive().AttrOr("id", ""), first.id);
    EXPECT_EQ(bob1->Receive().AttrOr("id", ""), second.id);
    EXPECT_EQ(server.UnsettledFor(kBob, 1), 2u);
    // The second is receipted, the first is not; then the connection drops.
    bob1->Send(Node("receipt", Attrs{{"id", second.id}, {"to", std::string(kPhone) + "@s.whatsapp.net"}}));
    EXPECT_EQ(bob1->Receive().tag, "ack");
    EXPECT_EQ(server.UnsettledFor(kBob, 1), 1u);
    bob1.reset();
    EXPECT_EQ(server.QueuedFor(kBob, 1), 1u);
    // A message while offline queues behind the redelivery.
    auto third = server.PhoneSend(kPhone, kBob, "third", Addressing::kPn).value();

    auto again = BobLogin();
    Node m1 = again->Receive();
    EXPECT_EQ(m1.AttrOr("id", ""), first.id);
    EXPECT_EQ(m1.AttrOr("offline", ""), "1");
    Node m2 = again->Receive();
    EXPECT_EQ(m2.AttrOr("id", ""), third.id);
    EXPECT_EQ(again->Receive().Child("offline")->AttrOr("count", ""), "2");
    // Receipts for both (one with a <list>) settle them: the next login gets nothing.
    again->Send(Node("receipt", Attrs{{"id", first.id}, {"to", std::string(kPhone) + "@s.whatsapp.net"}},
                     NodeList{Node("list", Attrs{}, NodeList{Node("item", Attrs{{"id", third.id}})})}));
    EXPECT_EQ(again->Receive().tag, "ack");
    EXPECT_EQ(server.UnsettledFor(kBob, 1), 0u);
    again.reset();
    auto third_login = BobLogin();
    EXPECT_EQ(third_login->Receive().Child("offline")->AttrOr("count", ""), "0");
}

TEST_F(PhoneTest, RetryReceiptsAreAnsweredAtMostFiveTimesAndANackSettlesOneCopy) {
    auto bob1 = BobCompanion();
    bob1->Receive();  // ib
    auto sent = server.PhoneSend(kPhone, kBob, "again and again", Addressing::kPn).value();
    EXPECT_EQ(bob1->Receive().AttrOr("id", ""), sent.id);
    auto retry = [&](int count) {
        bob1->Send(Node("receipt", Attrs{{"id", sent.id}, {"to", std::string(kPhone) + "@s.whatsapp.net"}, {"type", "retry"}},
                        NodeList{Node("retry", Attrs{{"count", std::to_string(count)}, {"id", sent.id}, {"t", "1"}, {"v", "1"}}),
                                 Node("registration", Attrs{}, Be(1234, 4))}));
        Node ack = bob1->Receive();
        EXPECT_EQ(ack.tag, "ack");
        EXPECT_EQ(ack.AttrOr("type", ""), "retry");
    };
    for (int count = 1; count <= 5; ++count) {
        retry(count);
        Node resend = bob1->Receive();
        ASSERT_EQ(resend.tag, "message") << count;
        EXPECT_EQ(resend.AttrOr("id", ""), sent.id);
        EXPECT_EQ(resend.AttrOr("from", ""), std::string(kPhone) + "@s.whatsapp.net");
        EXPECT_EQ(resend.Child("enc")->AttrOr("count", ""), std::to_string(count));
        EXPECT_EQ(resend.Child("enc")->AttrOr("type", ""), "pkmsg");  // from the stored bundle, a new session
    }
    EXPECT_EQ(server.UnsettledFor(kBob, 1), 6u);  // retry receipts settle nothing
    retry(6);
    EXPECT_EQ(bob1->Receive().tag, "<none>");  // no sixth answer
    int retries = 0;
    for (const auto& r : Receipts(kPhone)) retries += r.type == "retry";
    EXPECT_EQ(retries, 6);
    // A NACK settles one copy, a receipt every remaining one.
    bob1->Send(Node("ack", Attrs{{"class", "message"}, {"id", sent.id}, {"to", std::string(kPhone) + "@s.whatsapp.net"},
                                 {"error", "500"}}));
    EXPECT_EQ(server.UnsettledFor(kBob, 1), 5u);
    bob1->Send(Node("receipt", Attrs{{"id", sent.id}, {"to", std::string(kPhone) + "@s.whatsapp.net"}}));
    EXPECT_EQ(server.UnsettledFor(kBob, 1), 0u);
}

TEST_F(PhoneTest, ControlRoutes) {
    namespace json = boost::json;
    auto call = [&](std::string_view m, std::string t, std::string_view b = {}) {
        auto r = HandleControl(server, m, t, b);
        return std::pair{r.status, json::parse(r.body)};
    };
    const std::string alice = std::string("/accounts/") + kPhone;
    auto [s1, sent] = call("POST", alice + "/send", R"({"to":"15550002222","text":"via control","addressing":"lid"})");
    ASSERT_EQ(s1, 200) << json::serialize(sent);
    EXPECT_EQ(sent.at("devices").as_array().size(), 1u);
    const std::string id(sent.at("id").as_string());
    auto [s2, inbox] = call("GET", std::string("/accounts/") + kBob + "/inbox");
    EXPECT_EQ(s2, 200);
    ASSERT_EQ(inbox.at("messages").as_array().size(), 1u);
    const auto& m = inbox.at("messages").as_array()[0].as_object();
    EXPECT_EQ(m.at("text").as_string(), "via control");
    EXPECT_EQ(m.at("chat").as_string(), account->lid + "@lid");
    const std::string read = R"({"chat":")" + account->lid + R"(@lid","ids":[")" + id + R"("]})";
    EXPECT_EQ(call("POST", std::string("/accounts/") + kBob + "/read", read).first, 200);
    auto [s3, receipts] = call("GET", alice + "/receipts");
    EXPECT_EQ(s3, 200);
    ASSERT_EQ(receipts.at("receipts").as_array().size(), 2u);
    EXPECT_EQ(receipts.at("receipts").as_array()[1].at("type").as_string(), "read");
    EXPECT_EQ(call("POST", alice + "/send", R"({"to":"15550002222"})").first, 400);
    EXPECT_EQ(call("POST", alice + "/send", R"({"to":"15550002222","text":"x","addressing":"mail"})").first, 400);
    EXPECT_EQ(call("POST", alice + "/send", R"({"to":"19999999999","text":"x"})").first, 404);
    EXPECT_EQ(call("POST", alice + "/break-next", R"({"to":"15550002222:7@s.whatsapp.net"})").first, 404);
    EXPECT_EQ(call("POST", alice + "/break-next", R"({"to":"15550002222@s.whatsapp.net"})").first, 200);
    EXPECT_EQ(call("POST", alice + "/read", R"({"chat":"15550002222@s.whatsapp.net","ids":[]})").first, 400);
    EXPECT_EQ(call("GET", alice + "/send").first, 405);
}

TEST_F(PhoneTest, LoadSendsAtItsRateToCompanionsOnlyAndPingsAreTimed) {
    namespace json = boost::json;
    auto bob1 = BobCompanion();
    bob1->Receive();  // ib
    std::int64_t now_us = 1'000'000;
    server.steady_us = [&] { return now_us; };
    server.wall_us = [] { return std::int64_t{1'700'000'000'123'456}; };
    LoadSpec spec;
    spec.pairs = {{kPhone, kBob}};
    spec.rate = 100;
    spec.count = 3;
    spec.text_prefix = "bench";
    ASSERT_TRUE(server.StartLoad(spec).has_value());
    EXPECT_EQ(server.StartLoad(spec).error().code, "load_running");
    server.LoadTick();  // nothing is due yet
    EXPECT_EQ(server.Load().sent, 0u);
    now_us += 15'000;  // 15 ms at 100/s: one is due
    server.LoadTick();
    EXPECT_EQ(server.Load().sent, 1u);
    Node m = bob1->Receive();
    ASSERT_EQ(m.tag, "message");
    EXPECT_EQ(m.AttrOr("from", ""), std::string(kPhone) + "@s.whatsapp.net");
    EXPECT_EQ(m.Child("enc")->AttrOr("type", ""), "pkmsg");
    EXPECT_TRUE(Inbox(kBob).empty());  // companions only: Bob's phone got no copy
    now_us += 1'000'000;
    server.LoadTick();
    const LoadStatus done = server.Load();
    EXPECT_FALSE(done.running);
    EXPECT_EQ(done.sent, 3u);
    EXPECT_EQ(done.due, 3u);
    EXPECT_EQ(bob1->Receive().Child("enc")->AttrOr("type", ""), "pkmsg");  // no receipt yet: still a pkmsg
    EXPECT_EQ(bob1->Receive().tag, "message");

    // The server pings Bob's companion; the reply is timed on the steady clock.
    auto id = server.Ping(kBob, 1);
    ASSERT_TRUE(id.has_value());
    Node ping = bob1->Receive();
    EXPECT_EQ(ping.tag, "iq");
    EXPECT_EQ(ping.AttrOr("xmlns", ""), "urn:xmpp:ping");
    EXPECT_EQ(ping.AttrOr("type", ""), "get");
    EXPECT_EQ(ping.AttrOr("id", ""), *id);
    EXPECT_EQ(server.PendingPings(), 1u);
    now_us += 2'500;
    bob1->Send(Node("iq", Attrs{{"id", *id}, {"to", "s.whatsapp.net"}, {"type", "result"}}));
    auto pings = server.Pings(kBob, 1);
    ASSERT_EQ(pings.size(), 1u);
    EXPECT_EQ(pings[0].rtt_us, 2'500);
    EXPECT_EQ(server.PendingPings(), 0u);
    EXPECT_EQ(server.Ping(kBob, 7).error().code, "no_device");

    auto call = [&](std::string_view method, std::string target, std::string_view body = {}) {
        auto r = HandleControl(server, method, target, body);
        return std::pair{r.status, json::parse(r.body)};
    };
    const std::string bob_device = std::string("/accounts/") + kBob + "/devices/1";
    auto [s1, answered] = call("GET", bob_device + "/pings");
    EXPECT_EQ(s1, 200);
    EXPECT_EQ(answered.at("pings").as_array().at(0).at("rtt_ms").as_double(), 2.5);
    EXPECT_EQ(call("POST", bob_device + "/ping").first, 200);
    auto [s2, status] = call("GET", "/load");
    EXPECT_EQ(s2, 200);
    EXPECT_EQ(status.at("sent").to_number<std::uint64_t>(), 3u);
    EXPECT_EQ(call("POST", "/load", R"({"pairs":[{"from":"15550002222","to":"15550001111"}],"rate":10})").first, 400);
    EXPECT_EQ(call("POST", "/load", R"({"pairs":[{"from":"19999999999","to":"1"}],"rate":10,"count":1})").first, 404);
    EXPECT_EQ(call("POST", "/load", R"({"pairs":[{"from":"15550002222","to":"15550001111"}],"rate":10,"count":1,"fanout":"x"})").first, 400);
    EXPECT_EQ(call("POST", "/load", R"({"pairs":[{"from":"15550002222","to":"15550001111"}],"rate":10,"count":1})").first, 200);
    EXPECT_EQ(call("POST", "/load", R"({"pairs":[{"from":"15550002222","to":"15550001111"}],"rate":10,"count":1})").first, 409);
}

}  // namespace
}  // namespace wadesk::sim
