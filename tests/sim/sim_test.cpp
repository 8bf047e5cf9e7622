// The emulator's protocol core driven without sockets: an in-memory client runs the real Noise
// initiator, the binary codec and the companion side of QR pairing against SimConnection.
#include "sim/server.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/control.h"
#include "sim_client.h"

namespace wadesk::sim {
namespace {

TEST_F(SimTest, PairingRegistersTheDeviceAndEndsWith515) {
    auto c = std::make_unique<Client>(server);
    auto refs = c->Register();
    ASSERT_EQ(refs.size(), 6u);
    EXPECT_EQ(server.PendingRegistrations(), 1u);
    auto scan = server.Scan(kPhone, c->Qr(refs[0]));
    ASSERT_TRUE(scan.has_value()) << scan.error().message;
    EXPECT_EQ(scan->jid, std::string(kPhone) + ":1@s.whatsapp.net");
    EXPECT_EQ(scan->lid_jid, account->lid + ":1@lid");

    Node ps = c->Receive();
    ASSERT_EQ(ps.tag, "iq");
    const Node* dev = ps.Child("pair-success")->Child("device");
    EXPECT_EQ(dev->AttrOr("jid", ""), scan->jid);
    EXPECT_EQ(dev->AttrOr("lid", ""), scan->lid_jid);
    EXPECT_EQ(ps.Child("pair-success")->Child("biz")->AttrOr("name", ""), "Sim Phone");
    EXPECT_TRUE(server.Devices(kPhone)->empty());  // not before the device signed

    c->CompletePairing(ps);
    EXPECT_EQ(c->key_index, 1u);
    Node end = c->Receive();
    EXPECT_EQ(end.tag, "stream:error");
    EXPECT_EQ(end.AttrOr("code", ""), "515");
    EXPECT_TRUE(c->wire.closed);
    auto devices = server.Devices(kPhone).value();
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_EQ(devices[0].key_index, 1u);
    EXPECT_EQ(devices[0].platform, "chrome");
    const Device& d = server.FindAccount(kPhone)->devices.at(1);
    EXPECT_EQ(d.noise_key, c->noise_key.pub);
    EXPECT_EQ(d.identity, c->identity.pub);
    EXPECT_EQ(d.registration_id, 1234u);
    EXPECT_EQ(server.PendingRegistrations(), 0u);

    auto second = Pair();
    EXPECT_EQ(second->key_index, 2u);
    EXPECT_EQ(server.Devices(kPhone)->size(), 2u);
}

TEST_F(SimTest, TamperedDeviceSignatureIsRejected) {
    auto c = std::make_unique<Client>(server);
    auto refs = c->Register();
    ASSERT_TRUE(server.Scan(kPhone, c->Qr(refs[0])).has_value());
    c->CompletePairing(c->Receive(), /*tamper=*/true);
    EXPECT_TRUE(c->connection_closed());
    EXPECT_TRUE(server.Devices(kPhone)->empty());
}

TEST_F(SimTest, ScanErrors) {
    auto c = std::make_unique<Client>(server);
    auto refs = c->Register();
    auto code = [&](std::string_view phone, const std::string& qr) {
        auto r = server.Scan(phone, qr);
        return r ? std::string("ok") : r.error().code;
    };
    EXPECT_EQ(code("19999999999", c->Qr(refs[0])), "no_account");
    EXPECT_EQ(code(kPhone, "not a qr"), "bad_qr");
    EXPECT_EQ(code(kPhone, "a,b,c,d,1"), "bad_qr");
    EXPECT_EQ(code(kPhone, c->Qr("2@unknown-ref")), "bad_ref");
    Client stranger(server);
    EXPECT_EQ(code(kPhone, stranger.Qr(refs[0])), "no_waiting_device");
    EXPECT_EQ(code(kPhone, c->Qr(refs[1])), "ok");
    EXPECT_EQ(code(kPhone, c->Qr(refs[1])), "already_scanned");
}

TEST_F(SimTest, LoginAnswersTheStartupIqs) {
    auto paired = Pair();
    auto c = Login(*paired, 1);
    Node success = c->Receive();
    ASSERT_EQ(success.tag, "success");
    EXPECT_EQ(success.AttrOr("lid", ""), account->lid + ":1@lid");
    EXPECT_TRUE(success.GetAttr("t").has_value());
    Node ib = c->Receive();
    EXPECT_EQ(ib.tag, "ib");
    EXPECT_EQ(ib.Child("offline")->AttrOr("count", ""), "0");
    EXPECT_TRUE(server.Devices(kPhone)->at(0).online);

    Node count = c->Query(Iq("encrypt", "get", {Node("count")}));
    EXPECT_EQ(count.AttrOr("type", ""), "result");
    EXPECT_EQ(count.AttrOr("id", ""), "q1");
    EXPECT_EQ(count.Child("count")->AttrOr("value", ""), "0");

    // Prekey upload.
    NodeList keys;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        keys.push_back(Node("key", {}, NodeList{Node("id", {}, Be(i, 3)), Node("value", {}, K(crypto::GenerateKeyPair().pub))}));
    }
    Bytes spk_msg{0x05};
    Append(spk_msg, K(c->spk.pub));
    const auto spk_sig = crypto::Sign(c->identity.priv, spk_msg);
    Node upload = c->Query(Iq("encrypt", "set",
                              {Node("registration", {}, Be(1234, 4)), Node("type", {}, Bytes{5}),
                               Node("identity", {}, K(c->identity.pub)), Node("list", {}, std::move(keys)),
                               Node("skey", {}, NodeList{Node("id", {}, Be(1, 3)), Node("value", {}, K(c->spk.pub)),
                                                         Node("signature", {}, Bytes(spk_sig.begin(), spk_sig.end()))})},
                              "q2"));
    EXPECT_EQ(upload.AttrOr("type", ""), "result");
    EXPECT_EQ(c->Query(Iq("encrypt", "get", {Node("count")})).Child("count")->AttrOr("value", ""), "3");
    EXPECT_EQ(c->Query(Iq("passive", "set", {Node("active")})).AttrOr("type", ""), "result");
    EXPECT_NE(c->Query(Iq("encrypt", "get", {Node("digest")})).Child("digest"), nullptr);
    EXPECT_EQ(c->Query(Iq("w:p", "get", {Node("ping")})).AttrOr("type", ""), "result");
    Node privacy = c->Query(Iq("privacy", "get", {Node("privacy")}));
    bool readreceipts = false;
    for (const Node* cat : privacy.Child("privacy")->Children("category")) {
        readreceipts |= cat->AttrOr("name", "") == "readreceipts" && cat->AttrOr("value", "") == "all";
    }
    EXPECT_TRUE(readreceipts);

    // usync: devices with key-index, and the LID.
    Node usync = c->Query(Iq("usync", "get",
                             {Node("usync", Attrs{{"sid", "s1"}, {"mode", "query"}, {"context", "message"}},
                                   NodeList{Node("query", {}, NodeList{Node("devices", Attrs{{"version", "2"}}), Node("lid")}),
                                            Node("list", {}, NodeList{Node("user", Attrs{{"jid", std::string(kPhone) + "@s.whatsapp.net"}})})})}));
    const Node* user = usync.Child("usync")->Child("list")->Child("user");
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(usync.Child("usync")->AttrOr("sid", ""), "s1");
    auto devs = user->Child("devices")->Child("device-list")->Children("device");
    ASSERT_EQ(devs.size(), 2u);
    EXPECT_EQ(devs[0]->AttrOr("id", ""), "0");
    EXPECT_EQ(devs[1]->AttrOr("id", ""), "1");
    EXPECT_EQ(devs[1]->AttrOr("key-index", ""), "1");
    EXPECT_EQ(user->Child("lid")->AttrOr("val", ""), account->lid + "@lid");

    // Key fetch by LID pops one of the device's prekeys; the phone (device 0) has a bundle too.
    Node fetch = c->Query(Iq("encrypt", "get",
                             {Node("key", {}, NodeList{Node("user", Attrs{{"jid", account->lid + ":1@lid"}}),
                                                       Node("user", Attrs{{"jid", std::string(kPhone) + "@s.whatsapp.net"}}),
                                                       Node("user", Attrs{{"jid", "19998887777@s.whatsapp.net"}})})}));
    auto users = fetch.Child("list")->Children("user");
    ASSERT_EQ(users.size(), 3u);
    EXPECT_EQ(*users[0]->Child("identity")->ContentBytes(), K(c->identity.pub));
    EXPECT_EQ(*users[0]->Child("skey")->Child("value")->ContentBytes(), K(c->spk.pub));
    EXPECT_EQ(*users[0]->Child("key")->Child("id")->ContentBytes(), Be(1, 3));
    EXPECT_EQ(*users[1]->Child("identity")->ContentBytes(), K(account->identity.pub));
    const Bytes phone_spk_sig = *users[1]->Child("skey")->Child("signature")->ContentBytes();
    Bytes phone_spk_msg{0x05};
    Append(phone_spk_msg, *users[1]->Child("skey")->Child("value")->ContentBytes());
    EXPECT_TRUE(crypto::Verify(account->identity.pub, phone_spk_msg, phone_spk_sig));
    EXPECT_EQ(users[2]->Child("error")->AttrOr("code", ""), "404");
    EXPECT_EQ(c->Query(Iq("encrypt", "get", {Node("count")})).Child("count")->AttrOr("value", ""), "2");

    // App state: every requested collection comes back, empty.
    Node sync = c->Query(Iq("w:sync:app:state", "set",
                            {Node("sync", {}, NodeList{Node("collection", Attrs{{"name", "regular"}, {"version", "0"}}),
                                                       Node("collection", Attrs{{"name", "critical_block"}, {"version", "0"}})})}));
    EXPECT_EQ(sync.Child("sync")->Children("collection").size(), 2u);

    Node unknown = c->Query(Iq("w:profile:picture", "get", {Node("picture")}, "q9"));
    EXPECT_EQ(unknown.AttrOr("type", ""), "error");
    EXPECT_EQ(unknown.AttrOr("id", ""), "q9");
    EXPECT_EQ(unknown.Child("error")->AttrOr("code", ""), "501");
}

TEST_F(SimTest, LoginRefusals) {
    auto paired = Pair();
    Client wrong_key(server);
    wrong_key.Handshake(Client::LoginPayload(std::stoull(kPhone), 1));
    Node f = wrong_key.Receive();
    EXPECT_EQ(f.tag, "failure");
    EXPECT_EQ(f.AttrOr("reason", ""), "401");
    EXPECT_TRUE(wrong_key.wire.closed);

    auto unknown_device = Login(*paired, 9);
    EXPECT_EQ(unknown_device->Receive().AttrOr("reason", ""), "401");
    auto unknown_user = std::make_unique<Client>(server);
    unknown_user->noise_key = paired->noise_key;
    unknown_user->Handshake(Client::LoginPayload(19990000000ULL, 1));
    EXPECT_EQ(unknown_user->Receive().AttrOr("reason", ""), "401");
}

TEST_F(SimTest, SecondConnectionReplacesTheFirst) {
    auto paired = Pair();
    auto first = Login(*paired, 1);
    EXPECT_EQ(first->Receive().tag, "success");
    first->Receive();
    auto second = Login(*paired, 1);
    EXPECT_EQ(second->Receive().tag, "success");
    Node err = first->Receive();
    EXPECT_EQ(err.tag, "stream:error");
    ASSERT_NE(err.Child("conflict"), nullptr);
    EXPECT_EQ(err.Child("conflict")->AttrOr("type", ""), "replaced");
    EXPECT_TRUE(first->wire.closed);
    EXPECT_FALSE(second->wire.closed);
}

TEST_F(SimTest, UnlinkFromPhoneKicksTheDevice) {
    auto paired = Pair();
    auto c = Login(*paired, 1);
    EXPECT_EQ(c->Receive().tag, "success");
    c->Receive();
    ASSERT_TRUE(server.Unlink(kPhone, 1).has_value());
    Node err = c->Receive();
    EXPECT_EQ(err.tag, "stream:error");
    EXPECT_EQ(err.AttrOr("code", ""), "401");
    EXPECT_EQ(err.Child("conflict")->AttrOr("type", ""), "device_removed");
    EXPECT_TRUE(c->wire.closed);
    EXPECT_EQ(server.Unlink(kPhone, 1).error().code, "no_device");
    auto again = Login(*paired, 1);
    EXPECT_EQ(again->Receive().AttrOr("reason", ""), "401");
}

TEST_F(SimTest, CompanionLogoutRemovesTheDevice) {
    auto paired = Pair();
    auto c = Login(*paired, 1);
    c->Receive();
    c->Receive();
    Node denied = c->Query(Iq("md", "set", {Node("remove-companion-device", Attrs{{"jid", std::string(kPhone) + ":2@s.whatsapp.net"}})}));
    EXPECT_EQ(denied.AttrOr("type", ""), "error");
    Node ok = c->Query(Iq("md", "set", {Node("remove-companion-device", Attrs{{"jid", account->lid + ":1@lid"}, {"reason", "user_initiated"}})}));
    EXPECT_EQ(ok.AttrOr("type", ""), "result");
    EXPECT_TRUE(c->wire.closed);
    EXPECT_TRUE(server.Devices(kPhone)->empty());
}

TEST_F(SimTest, BadBytesCloseTheConnectionWithoutCrashing) {
    Wire w1;
    SimConnection bad_intro(server, w1);
    bad_intro.OnMessage(AsBytes("GET / HTTP/1.1\r\n\r\n"));
    EXPECT_TRUE(w1.closed);
    bad_intro.OnMessage(AsBytes("more"));  // ignored after close

    Wire w2;
    SimConnection bad_hello(server, w2);
    Bytes junk = noise::EncodeFrame(AsBytes("\x12\x05junk!"), noise::Intro::kWaHeader).value();
    bad_hello.OnMessage(junk);
    EXPECT_TRUE(w2.closed);

    // Garbage transport frame after a good handshake.
    auto paired = Pair();
    auto c = Login(*paired, 1);
    c->Receive();
    c->Receive();
    c->Feed(noise::EncodeFrame(RandomBytes(40)).value());
    EXPECT_TRUE(c->wire.closed);

    // Random chunks at every phase boundary never crash.
    for (int i = 0; i < 200; ++i) {
        Wire w;
        SimConnection conn(server, w);
        Bytes data(noise::kWaHeader.begin(), noise::kWaHeader.end());
        Append(data, RandomBytes(static_cast<std::size_t>(i % 70)));
        conn.OnMessage(data);
    }
}

TEST_F(SimTest, RoutesMessagesAcksReceiptsAndQueuesForOfflineDevices) {
    constexpr char kBob[] = "15550002222";
    const Account* bob_account = server.CreateAccount(kBob, "Bob").value();
    auto alice_paired = Pair();  // Alice = kPhone, device 1
    // Bob pairs through the same steps on his account.
    auto bob_paired = std::make_unique<Client>(server);
    auto refs = bob_paired->Register();
    ASSERT_TRUE(server.Scan(kBob, bob_paired->Qr(refs[0])).has_value());
    bob_paired->CompletePairing(bob_paired->Receive());
    ASSERT_EQ(bob_paired->Receive().AttrOr("code", ""), "515");

    auto alice = Login(*alice_paired, 1);
    alice->Receive();
    alice->Receive();

    // Bob is offline: the message is acked to Alice and queued for Bob.
    auto message = [&](std::string id) {
        return Node("message", Attrs{{"id", id}, {"to", std::string(kBob) + "@s.whatsapp.net"}, {"type", "text"}},
                    NodeList{Node("participants", {},
                                  NodeList{Node("to", Attrs{{"jid", bob_account->lid + ":1@lid"}},
                                                NodeList{Node("enc", Attrs{{"v", "2"}, {"type", "pkmsg"}}, Bytes{1, 2, 3})}),
                                           Node("to", Attrs{{"jid", std::string(kPhone) + "@s.whatsapp.net"}},
                                                NodeList{Node("enc", Attrs{{"v", "2"}, {"type", "pkmsg"}}, Bytes{4})})}),
                             Node("device-identity", {}, Bytes{9, 9}),
                             Node("reporting", {}, NodeList{})});
    };
    Node ack = alice->Query(message("3EB0AAAA"));
    EXPECT_EQ(ack.tag, "ack");
    EXPECT_EQ(ack.AttrOr("class", ""), "message");
    EXPECT_EQ(ack.AttrOr("id", ""), "3EB0AAAA");
    EXPECT_FALSE(ack.GetAttr("error").has_value());
    EXPECT_EQ(server.QueuedFor(kBob, 1), 1u);
    EXPECT_EQ(server.QueuedFor(kPhone, 0), 0u);  // the phone drops what it gets

    // Bob logs in: the queued message comes first, marked offline, then the offline count.
    auto bob = std::make_unique<Client>(server);
    bob->noise_key = bob_paired->noise_key;
    bob->Handshake(Client::LoginPayload(std::stoull(kBob), 1));
    EXPECT_EQ(bob->Receive().tag, "success");
    Node delivered = bob->Receive();
    ASSERT_EQ(delivered.tag, "message");
    EXPECT_EQ(delivered.AttrOr("offline", ""), "1");
    EXPECT_EQ(delivered.AttrOr("from", ""), account->lid + ":1@lid");
    EXPECT_EQ(delivered.AttrOr("sender_pn", ""), std::string(kPhone) + "@s.whatsapp.net");
    EXPECT_EQ(delivered.AttrOr("notify", ""), "Sim Phone");
    EXPECT_EQ(*delivered.Child("enc")->ContentBytes(), (Bytes{1, 2, 3}));
    EXPECT_NE(delivered.Child("device-identity"), nullptr);
    EXPECT_EQ(delivered.Child("reporting"), nullptr);
    EXPECT_EQ(bob->Receive().Child("offline")->AttrOr("count", ""), "1");
    EXPECT_EQ(server.QueuedFor(kBob, 1), 0u);

    // Online delivery and Bob's read receipt routed back to Alice.
    EXPECT_EQ(alice->Query(message("3EB0BBBB")).tag, "ack");
    Node live = bob->Receive();
    EXPECT_EQ(live.AttrOr("id", ""), "3EB0BBBB");
    EXPECT_FALSE(live.GetAttr("offline").has_value());
    Node rack = bob->Query(Node("receipt", Attrs{{"id", "3EB0BBBB"}, {"to", account->lid + ":1@lid"}, {"type", "read"}}));
    EXPECT_EQ(rack.tag, "ack");
    EXPECT_EQ(rack.AttrOr("class", ""), "receipt");
    Node receipt = alice->Receive();
    EXPECT_EQ(receipt.tag, "receipt");
    EXPECT_EQ(receipt.AttrOr("id", ""), "3EB0BBBB");
    EXPECT_EQ(receipt.AttrOr("type", ""), "read");
    EXPECT_EQ(receipt.AttrOr("from", ""), std::string(kBob) + ":1@s.whatsapp.net");

    // A group that does not exist is refused with 404 (groups.cpp), other chats with 501.
    Node group = alice->Query(Node("message", Attrs{{"id", "3EB0CCCC"}, {"to", "1203630@g.us"}}, NodeList{}));
    EXPECT_EQ(group.AttrOr("error", ""), "404");
    Node broadcast = alice->Query(Node("message", Attrs{{"id", "3EB0DDDD"}, {"to", "123@broadcast"}}, NodeList{}));
    EXPECT_EQ(broadcast.AttrOr("error", ""), "501");
}

TEST(SimState, JsonRoundTripAndPersistence) {
    const auto dir = std::filesystem::temp_directory_path() / ("wadesk-sim-test-" + ToHex(RandomBytes(6)));
    Key32 root;
    std::string lid;
    {
        auto server = SimServer::Open(dir.string());
        ASSERT_TRUE(server.has_value()) << server.error().message;
        root = (*server)->RootKey();
        lid = (*server)->CreateAccount("+15550002222", "Two").value()->lid;
    }
    {
        auto server = SimServer::Open(dir.string());
        ASSERT_TRUE(server.has_value());
        EXPECT_EQ((*server)->RootKey(), root);
        const Account* a = (*server)->FindAccount("15550002222");
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(a->lid, lid);
        EXPECT_EQ(a->name, "Two");
        EXPECT_EQ(a->prekeys.size(), 50u);
        EXPECT_EQ(StateFromJson(StateToJson((*server)->state())).value().accounts.size(), 1u);
    }
    EXPECT_EQ(StateFromJson("{").error().code, "bad_state");
    EXPECT_EQ(StateFromJson("{\"keys\":{}}").error().code, "bad_state");
    std::filesystem::remove_all(dir);
}

// Each account lives in its own file, so saving one change does not rewrite every account; a
// state.json of the older layout (accounts inline) still loads, and an account file wins over it.
TEST(SimState, OneFilePerAccountAndOlderLayout) {
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / ("wadesk-sim-test-" + ToHex(RandomBytes(6)));
    {
        auto server = SimServer::Open(dir.string());
        ASSERT_TRUE(server.has_value()) << server.error().message;
        ASSERT_TRUE((*server)->CreateAccount("15550003333", "Three").has_value());
        ASSERT_TRUE((*server)->CreateAccount("15550004444", "Four").has_value());
    }
    ASSERT_TRUE(fs::exists(dir / "accounts" / "15550003333.json"));
    ASSERT_TRUE(fs::exists(dir / "accounts" / "15550004444.json"));
    auto account_of = [&](const std::string& phone) {
        std::ifstream in(dir / "accounts" / (phone + ".json"));
        std::stringstream text;
        text << in.rdbuf();
        return AccountFromJson(text.str());
    };
    auto three = account_of("15550003333");
    ASSERT_TRUE(three.has_value()) << three.error().message;
    EXPECT_EQ(three->name, "Three");
    {
        std::ifstream in(dir / "state.json");
        std::stringstream text;
        text << in.rdbuf();
        auto keys_only = StateFromJson(text.str());
        ASSERT_TRUE(keys_only.has_value());
        EXPECT_TRUE(keys_only->accounts.empty());
    }

    // Older layout: everything in state.json, no account files.
    auto full = SimServer::Open(dir.string());
    ASSERT_TRUE(full.has_value());
    SimState state = (*full)->state();
    full->reset();
    fs::remove_all(dir / "accounts");
    {
        std::ofstream out(dir / "state.json", std::ios::trunc);
        out << StateToJson(state);
    }
    {
        auto server = SimServer::Open(dir.string());
        ASSERT_TRUE(server.has_value()) << server.error().message;
        ASSERT_NE((*server)->FindAccount("15550004444"), nullptr);
        EXPECT_EQ((*server)->FindAccount("15550004444")->name, "Four");
        EXPECT_EQ((*server)->RootKey(), state.keys.root.pub);
    }
    // An account file overrides the inline copy of the same phone.
    Account renamed = state.accounts.at("15550003333");
    renamed.name = "Three again";
    ASSERT_TRUE(SaveAccount(dir.string(), renamed).has_value());
    {
        auto server = SimServer::Open(dir.string());
        ASSERT_TRUE(server.has_value());
        EXPECT_EQ((*server)->FindAccount("15550003333")->name, "Three again");
        EXPECT_EQ((*server)->state().accounts.size(), 2u);
    }
    // A corrupt account file is reported, not skipped.
    {
        std::ofstream out(dir / "accounts" / "15550004444.json", std::ios::trunc);
        out << "{\"phone\":";
    }
    auto broken = SimServer::Open(dir.string());
    ASSERT_FALSE(broken.has_value());
    EXPECT_EQ(broken.error().code, "bad_state");
    fs::remove_all(dir);
}

TEST(SimControl, Routes) {
    SimServer server(FreshState());
    namespace json = boost::json;
    auto call = [&](std::string_view m, std::string_view t, std::string_view b = {}) {
        auto r = HandleControl(server, m, t, b);
        return std::pair{r.status, json::parse(r.body)};
    };
    auto [s1, created] = call("POST", "/accounts", R"({"phone":"15550003333","name":"Three"})");
    EXPECT_EQ(s1, 201);
    EXPECT_EQ(created.at("lid").as_string().size(), 15u);
    EXPECT_EQ(created.at("jid").as_string(), "15550003333@s.whatsapp.net");
    EXPECT_EQ(call("POST", "/accounts", R"({"phone":"15550003333"})").first, 409);
    EXPECT_EQ(call("POST", "/accounts", R"({"phone":"12ab"})").first, 400);
    EXPECT_EQ(call("POST", "/accounts", "not json").first, 400);
    EXPECT_EQ(call("POST", "/accounts", R"({"name":"x"})").first, 400);
    EXPECT_EQ(call("GET", "/accounts").second.at("accounts").as_array().size(), 1u);
    EXPECT_EQ(call("GET", "/accounts/15550003333/devices").second.at("devices").as_array().size(), 0u);
    EXPECT_EQ(call("DELETE", "/accounts/15550003333/devices/4").first, 404);
    EXPECT_EQ(call("DELETE", "/accounts/15550003333/devices/zero").first, 400);
    EXPECT_EQ(call("POST", "/accounts/15550003333/scan", R"({"qr":"x"})").first, 400);
    EXPECT_EQ(call("POST", "/accounts/15550003333/scan", "{}").first, 400);
    EXPECT_EQ(call("GET", "/accounts/19999999999").first, 404);
    EXPECT_EQ(call("GET", "/nope").first, 404);
    EXPECT_EQ(call("PUT", "/accounts").first, 405);
    auto [hs, health] = call("GET", "/health");
    EXPECT_EQ(hs, 200);
    EXPECT_EQ(health.at("root_key").as_string(), ToHex(BytesView(server.RootKey().data(), 32)));
}

}  // namespace
}  // namespace wadesk::sim
