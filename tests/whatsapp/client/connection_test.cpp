#include "whatsapp/client/connection.h"

#include <gtest/gtest.h>

#include "fake_server.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/client/pairing.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::wa {
namespace {

using namespace std::chrono_literals;
using testing::FakeServerConnection;
using testing::Pump;
using testing::RecordingEvents;
using testing::RecordingSink;
using testing::ServerKeys;

constexpr std::string_view kDeviceJid = "15551234567:5@s.whatsapp.net";
constexpr std::string_view kDeviceLid = "100000000000011:5@lid";

const Bytes* ChildBytes(const Node& n, std::string_view tag) {
    const Node* c = n.Child(tag);
    return c ? c->ContentBytes() : nullptr;
}

// The emulated phone: its identity signs the companion (§5.1 step 5).
struct Phone {
    crypto::KeyPair identity = crypto::GenerateKeyPair();
    std::uint32_t key_index = 1;

    Bytes Details() const {
        ADVDeviceIdentity d;
        d.set_rawid(4242);
        d.set_timestamp(static_cast<std::uint64_t>(NowSeconds()));
        d.set_keyindex(key_index);
        return SerializeProto(d);
    }

    // The HMAC container for a scanned QR.
    Bytes Container(const QrParts& qr, bool corrupt_hmac = false, bool corrupt_signature = false) const {
        const Bytes details = Details();
        const Bytes message = Concat({BytesView(kAdvPrefixAccountSignature), details, qr.identity_pub});
        crypto::Signature sig = crypto::Sign(identity.priv, message);
        if (corrupt_signature) sig[3] ^= 1;
        ADVSignedDeviceIdentity s;
        s.set_details(details.data(), details.size());
        s.set_accountsignaturekey(identity.pub.data(), identity.pub.size());
        s.set_accountsignature(sig.data(), sig.size());
        const Bytes signed_bytes = SerializeProto(s);
        crypto::Digest32 mac = crypto::HmacSha256(qr.adv_secret, signed_bytes);
        if (corrupt_hmac) mac[0] ^= 1;
        ADVSignedDeviceIdentityHMAC c;
        c.set_details(signed_bytes.data(), signed_bytes.size());
        c.set_hmac(mac.data(), mac.size());
        return SerializeProto(c);
    }
};

Node PairDevice(int refs) {
    NodeList list;
    for (int i = 0; i < refs; ++i) list.push_back(Node("ref", {}, ToBytes("2@ref" + std::to_string(i))));
    return Node("iq", {{"from", "s.whatsapp.net"}, {"type", "set"}, {"id", "pd1"}, {"xmlns", "md"}},
                NodeList{Node("pair-device", {}, std::move(list))});
}

Node PairSuccess(const Bytes& container) {
    return Node("iq", {{"from", "s.whatsapp.net"}, {"type", "set"}, {"id", "ps1"}, {"xmlns", "md"}},
                NodeList{Node("pair-success", {},
                              NodeList{Node("device-identity", {}, container), Node("platform", {{"name", "android"}}),
                                       Node("device", {{"jid", std::string(kDeviceJid)}, {"lid", std::string(kDeviceLid)}}),
                                       Node("biz", {{"name", "Test Biz"}})})});
}

Node IqResult(const Node& request, NodeList children = {}) {
    Node r("iq", {{"from", "s.whatsapp.net"}, {"type", "result"}, {"id", std::string(request.AttrOr("id", ""))}});
    if (!children.empty()) r.content = std::move(children);
    return r;
}

// A companion: credentials in a store, Signal over them, a Connection per attempt.
struct Companion {
    ClientConfig config;
    MemoryCredentialStore store;
    Credentials creds = GenerateCredentials();
    std::unique_ptr<SignalManager> signal;
    RecordingSink sink;
    RecordingEvents events;
    std::unique_ptr<Connection> connection;

    explicit Companion(const ServerKeys& keys) {
        config.trust_root = keys.root.pub;
        signal = std::move(*SignalManager::Create(store, creds));
    }
    void Connect(TimePoint now) {
        sink = {};
        events = {};
        connection = std::make_unique<Connection>(config, creds, store, *signal, sink, events);
        connection->Start(now);
    }
};

// Drives a fresh companion through QR pairing; leaves it right after the 515.
void PairCompanion(Companion& c, const ServerKeys& keys, const Phone& phone, TimePoint t0) {
    FakeServerConnection server(keys);
    c.Connect(t0);
    Pump(*c.connection, c.sink, server, t0);
    ASSERT_TRUE(server.Handshaken());
    server.Send(PairDevice(6));
    Pump(*c.connection, c.sink, server, t0);
    ASSERT_EQ(c.events.qrs.size(), 1u);
    auto ack = server.Pop();
    ASSERT_TRUE(ack);
    auto qr = ParseQrText(c.events.qrs.back().first);
    ASSERT_TRUE(qr);
    server.Send(PairSuccess(phone.Container(*qr)));
    Pump(*c.connection, c.sink, server, t0);
    auto sign = server.Pop();
    ASSERT_TRUE(sign);
    server.Send(Node("stream:error", {{"code", "515"}}));
    Pump(*c.connection, c.sink, server, t0);
    ASSERT_TRUE(c.sink.closed);
    ASSERT_EQ(c.sink.closed->kind, CloseKind::kRestartRequired);
}

TEST(Connection, RegistrationPayloadCarriesTheSignalBundle) {
    ServerKeys keys;
    Companion c(keys);
    FakeServerConnection server(keys);
    const TimePoint t0 = Clock::now();
    c.Connect(t0);
    Pump(*c.connection, c.sink, server, t0);
    ASSERT_TRUE(server.Handshaken());
    EXPECT_EQ(server.ClientStatic(), c.creds.noise.pub);

    const ClientPayload& p = server.Payload();
    EXPECT_FALSE(p.has_username());
    EXPECT_FALSE(p.passive());
    EXPECT_EQ(p.useragent().platform(), ClientPayload::UserAgent::WEB);
    EXPECT_EQ(p.useragent().appversion().secondary(), 3000u);
    EXPECT_EQ(p.useragent().appversion().tertiary(), 1043857760u);
    ASSERT_TRUE(p.has_devicepairingdata());
    const auto& reg = p.devicepairingdata();
    EXPECT_EQ(ToHex(AsBytes(reg.buildhash())), "f6f65c0607a1cdffd8752b051fc95edf");
    EXPECT_EQ(ToHex(AsBytes(reg.eregid())).size(), 8u);
    EXPECT_EQ(reg.ekeytype(), std::string(1, '\x05'));
    EXPECT_EQ(ToHex(AsBytes(reg.eident())), ToHex(c.creds.identity.pub));
    EXPECT_EQ(ToHex(AsBytes(reg.eskeyid())), "000001");
    EXPECT_TRUE(crypto::Verify(crypto::ToKey32(AsBytes(reg.eident())).value(),
                               SignalPublicKey(crypto::ToKey32(AsBytes(reg.eskeyval())).value()),
                               AsBytes(reg.eskeysig())));
    auto props = ParseProto<DeviceProps>(AsBytes(reg.deviceprops()));
    ASSERT_TRUE(props);
    EXPECT_EQ(props->os(), "Ubuntu");
    EXPECT_EQ(props->platformtype(), DeviceProps::CHROME);
    EXPECT_EQ(c.connection->phase(), Connection::Phase::kAwaitingServer);
}

TEST(Connection, PairsByQrThenLogsInAndIsUnlinked) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();

    // --- registration connection
    {
        FakeServerConnection server(keys);
        c.Connect(t);
        Pump(*c.connection, c.sink, server, t);
        server.Send(PairDevice(6));
        Pump(*c.connection, c.sink, server, t);

        auto ack = server.Pop();
        ASSERT_TRUE(ack);
        EXPECT_EQ(ack->tag, "iq");
        EXPECT_EQ(ack->AttrOr("type", ""), "result");
        EXPECT_EQ(ack->AttrOr("id", ""), "pd1");
        EXPECT_EQ(c.connection->phase(), Connection::Phase::kPairing);

        ASSERT_EQ(c.events.qrs.size(), 1u);
        EXPECT_EQ(c.events.qrs[0].second, 60s);
        auto qr0 = ParseQrText(c.events.qrs[0].first);
        ASSERT_TRUE(qr0);
        EXPECT_EQ(qr0->ref, "2@ref0");
        EXPECT_EQ(qr0->noise_pub, crypto::ToBytes(c.creds.noise.pub));
        EXPECT_EQ(qr0->identity_pub, crypto::ToBytes(c.creds.identity.pub));
        EXPECT_EQ(qr0->adv_secret, c.creds.adv_secret);
        EXPECT_EQ(qr0->platform_id, "1");

        // The first ref lives 60 s, the next ones 20 s.
        ASSERT_TRUE(c.connection->NextDeadline());
        EXPECT_EQ(*c.connection->NextDeadline(), t + 60s);
        c.connection->OnTick(t + 59s);
        EXPECT_EQ(c.events.qrs.size(), 1u);
        t += 60s;
        c.connection->OnTick(t);
        ASSERT_EQ(c.events.qrs.size(), 2u);
        EXPECT_EQ(c.events.qrs[1].second, 20s);
        auto qr1 = ParseQrText(c.events.qrs[1].first);
        ASSERT_TRUE(qr1);
        EXPECT_EQ(qr1->ref, "2@ref1");

        // The phone scans the second QR.
        server.Send(PairSuccess(phone.Container(*qr1)));
        Pump(*c.connection, c.sink, server, t);
        auto sign = server.Pop();
        ASSERT_TRUE(sign);
        EXPECT_EQ(sign->AttrOr("type", ""), "result");
        EXPECT_EQ(sign->AttrOr("id", ""), "ps1");
        const Node* pds = sign->Child("pair-device-sign");
        ASSERT_NE(pds, nullptr);
        const Node* di = pds->Child("device-identity");
        ASSERT_NE(di, nullptr);
        EXPECT_EQ(di->AttrOr("key-index", ""), "1");
        auto reply = ParseProto<ADVSignedDeviceIdentity>(*di->ContentBytes());
        ASSERT_TRUE(reply);
        EXPECT_FALSE(reply->has_accountsignaturekey()) << "the reply must not carry the account key";
        const Bytes device_msg = Concat({BytesView(kAdvPrefixDeviceSignature), AsBytes(reply->details()),
                                         crypto::View(c.creds.identity.pub), crypto::View(phone.identity.pub)});
        EXPECT_TRUE(crypto::Verify(c.creds.identity.pub, device_msg, AsBytes(reply->devicesignature())));

        ASSERT_TRUE(c.events.paired);
        EXPECT_EQ(c.events.paired->jid, kDeviceJid);
        EXPECT_EQ(c.events.paired->lid, kDeviceLid);
        EXPECT_EQ(c.events.paired->name, "Test Biz");

        // Credentials are persisted at pairing.
        auto stored = c.store.Get(store_keys::kCredentials);
        ASSERT_TRUE(stored);
        auto decoded = DecodeCredentials(*stored);
        ASSERT_TRUE(decoded);
        EXPECT_TRUE(decoded->Registered());
        EXPECT_EQ(decoded->platform, "android");
        auto account = ParseProto<ADVSignedDeviceIdentity>(decoded->account);
        ASSERT_TRUE(account);
        EXPECT_EQ(ToHex(AsBytes(account->accountsignaturekey())), ToHex(phone.identity.pub));

        server.Send(Node("stream:error", {{"code", "515"}}));
        Pump(*c.connection, c.sink, server, t);
        ASSERT_TRUE(c.sink.closed);
        EXPECT_EQ(c.sink.closed->kind, CloseKind::kRestartRequired);
        EXPECT_EQ(c.sink.closed->code, 515);
        EXPECT_FALSE(c.connection->NextDeadline());
    }

    // --- login connection, from the stored credentials
    c.creds = DecodeCredentials(*c.store.Get(store_keys::kCredentials)).value();
    {
        FakeServerConnection server(keys);
        c.Connect(t);
        Pump(*c.connection, c.sink, server, t);
        ASSERT_TRUE(server.Handshaken());
        EXPECT_EQ(server.ClientStatic(), c.creds.noise.pub);
        const ClientPayload& p = server.Payload();
        EXPECT_EQ(p.username(), 15551234567u);
        EXPECT_EQ(p.device(), 5u);
        EXPECT_TRUE(p.passive());
        EXPECT_TRUE(p.pull());
        EXPECT_FALSE(p.has_devicepairingdata());

        server.Send(Node("success", {{"t", "1700000000"}, {"lid", std::string(kDeviceLid)}}));
        Pump(*c.connection, c.sink, server, t);
        EXPECT_EQ(c.connection->phase(), Connection::Phase::kLoggingIn);

        auto count = server.Pop();
        ASSERT_TRUE(count);
        EXPECT_EQ(count->AttrOr("xmlns", ""), "encrypt");
        EXPECT_EQ(count->AttrOr("type", ""), "get");
        ASSERT_NE(count->Child("count"), nullptr);
        server.Send(IqResult(*count, NodeList{Node("count", {{"value", "0"}})}));
        Pump(*c.connection, c.sink, server, t);

        auto upload = server.Pop();
        ASSERT_TRUE(upload);
        EXPECT_EQ(upload->AttrOr("xmlns", ""), "encrypt");
        EXPECT_EQ(upload->AttrOr("type", ""), "set");
        ASSERT_NE(ChildBytes(*upload, "registration"), nullptr);
        EXPECT_EQ(ChildBytes(*upload, "registration")->size(), 4u);
        EXPECT_EQ(*ChildBytes(*upload, "type"), Bytes{0x05});
        EXPECT_EQ(*ChildBytes(*upload, "identity"), crypto::ToBytes(c.creds.identity.pub));
        const Node* list = upload->Child("list");
        ASSERT_NE(list, nullptr);
        ASSERT_EQ(list->Children("key").size(), 50u);
        EXPECT_EQ(ToHex(*ChildBytes(*list->Children("key")[0], "id")), "000001");
        EXPECT_EQ(ChildBytes(*list->Children("key")[49], "value")->size(), 32u);
        const Node* skey = upload->Child("skey");
        ASSERT_NE(skey, nullptr);
        EXPECT_TRUE(crypto::Verify(c.creds.identity.pub,
                                   SignalPublicKey(crypto::ToKey32(*ChildBytes(*skey, "value")).value()),
                                   *ChildBytes(*skey, "signature")));
        EXPECT_TRUE(c.store.Get(store_keys::PreKey(50)).has_value());
        EXPECT_EQ(DecodeCredentials(*c.store.Get(store_keys::kCredentials))->next_pre_key_id, 51u);
        server.Send(IqResult(*upload));
        Pump(*c.connection, c.sink, server, t);

        auto passive = server.Pop();
        ASSERT_TRUE(passive);
        EXPECT_EQ(passive->AttrOr("xmlns", ""), "passive");
        ASSERT_NE(passive->Child("active"), nullptr);
        EXPECT_FALSE(c.events.connected);
        server.Send(IqResult(*passive));
        Pump(*c.connection, c.sink, server, t);
        ASSERT_TRUE(c.events.connected);
        EXPECT_EQ(c.events.connected->jid, kDeviceJid);
        EXPECT_EQ(c.connection->phase(), Connection::Phase::kConnected);

        auto digest = server.Pop();
        ASSERT_TRUE(digest);
        EXPECT_NE(digest->Child("digest"), nullptr);
        auto privacy = server.Pop();
        ASSERT_TRUE(privacy);
        EXPECT_EQ(privacy->AttrOr("xmlns", ""), "privacy");
        auto presence = server.Pop();
        ASSERT_TRUE(presence);
        EXPECT_EQ(presence->tag, "presence");
        EXPECT_EQ(presence->AttrOr("name", ""), "Test Biz");
        server.Send(IqResult(*digest));
        server.Send(IqResult(*privacy));
        Pump(*c.connection, c.sink, server, t);

        // Server pings are answered; our keepalive goes out every 25 s.
        server.Send(Node("iq", {{"from", "s.whatsapp.net"}, {"type", "get"}, {"id", "sp1"}, {"xmlns", "urn:xmpp:ping"}}));
        Pump(*c.connection, c.sink, server, t);
        auto pong = server.Pop();
        ASSERT_TRUE(pong);
        EXPECT_EQ(pong->AttrOr("id", ""), "sp1");
        EXPECT_EQ(pong->AttrOr("type", ""), "result");

        t += 25s;
        c.connection->OnTick(t);
        Pump(*c.connection, c.sink, server, t);
        auto ping = server.Pop();
        ASSERT_TRUE(ping);
        EXPECT_EQ(ping->AttrOr("xmlns", ""), "w:p");
        EXPECT_NE(ping->Child("ping"), nullptr);
        server.Send(IqResult(*ping));
        Pump(*c.connection, c.sink, server, t);

        // Notifications are acked.
        server.Send(Node("notification", {{"from", "s.whatsapp.net"}, {"type", "server_sync"}, {"id", "n1"}}));
        Pump(*c.connection, c.sink, server, t);
        auto nack = server.Pop();
        ASSERT_TRUE(nack);
        EXPECT_EQ(nack->tag, "ack");
        EXPECT_EQ(nack->AttrOr("class", ""), "notification");
        EXPECT_EQ(nack->AttrOr("id", ""), "n1");

        // The phone unlinks us.
        server.Send(Node("stream:error", {{"code", "401"}},
                         NodeList{Node("conflict", {{"type", "device_removed"}})}));
        Pump(*c.connection, c.sink, server, t);
        ASSERT_TRUE(c.sink.closed);
        EXPECT_EQ(c.sink.closed->kind, CloseKind::kLoggedOut);
        EXPECT_EQ(c.sink.closed->reason, "device_removed");
    }
}

TEST(Connection, QrRefsRunOutIntoQrTimeout) {
    ServerKeys keys;
    Companion c(keys);
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(PairDevice(3));
    Pump(*c.connection, c.sink, server, t);
    t += 60s;
    c.connection->OnTick(t);
    t += 20s;
    c.connection->OnTick(t);
    EXPECT_EQ(c.events.qrs.size(), 3u);
    EXPECT_FALSE(c.sink.closed);
    t += 20s;
    c.connection->OnTick(t);
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kQrTimeout);
    EXPECT_EQ(c.sink.closed->reason, "qr_timeout");
}

TEST(Connection, BadHmacIsRefusedWithAnIqError) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(PairDevice(6));
    Pump(*c.connection, c.sink, server, t);
    server.Pop();
    auto qr = ParseQrText(c.events.qrs.back().first).value();
    server.Send(PairSuccess(phone.Container(qr, /*corrupt_hmac=*/true)));
    Pump(*c.connection, c.sink, server, t);
    auto reply = server.Pop();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->AttrOr("type", ""), "error");
    ASSERT_NE(reply->Child("error"), nullptr);
    EXPECT_EQ(reply->Child("error")->AttrOr("code", ""), "401");
    EXPECT_EQ(reply->Child("error")->AttrOr("text", ""), "hmac-mismatch");
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kFatal);
    EXPECT_FALSE(c.creds.Registered());
    EXPECT_FALSE(c.store.Get(store_keys::kCredentials));
}

TEST(Connection, BadAccountSignatureIsRefused) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(PairDevice(6));
    Pump(*c.connection, c.sink, server, t);
    server.Pop();
    auto qr = ParseQrText(c.events.qrs.back().first).value();
    server.Send(PairSuccess(phone.Container(qr, false, /*corrupt_signature=*/true)));
    Pump(*c.connection, c.sink, server, t);
    auto reply = server.Pop();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->Child("error")->AttrOr("text", ""), "signature-mismatch");
    EXPECT_FALSE(c.creds.Registered());
}

TEST(Connection, UntrustedCertificateChainIsFatal) {
    ServerKeys keys;
    Companion c(keys);
    c.config.trust_root = crypto::GenerateKeyPair().pub;  // not the server's root
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kFatal);
    EXPECT_EQ(c.sink.closed->reason.rfind("bad_certificate", 0), 0u);
    EXPECT_FALSE(server.Handshaken());
}

TEST(Connection, LoginFailure401MeansLoggedOut) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    PairCompanion(c, keys, phone, t);
    FakeServerConnection server(keys);
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(Node("failure", {{"reason", "401"}, {"location", "frc"}}));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kLoggedOut);
    EXPECT_EQ(c.sink.closed->code, 401);
}

TEST(Connection, StreamErrorsAreClassified) {
    struct Case {
        Node node;
        CloseKind kind;
        int code;
    };
    std::vector<Case> cases = {
        {Node("stream:error", {{"code", "503"}}), CloseKind::kTransient, 503},
        {Node("stream:error", {}, NodeList{Node("conflict", {{"type", "replaced"}})}), CloseKind::kReplaced, 440},
        {Node("failure", {{"reason", "405"}}), CloseKind::kFatal, 405},
        {Node("failure", {{"reason", "503"}}), CloseKind::kTransient, 503},
        {Node("xmlstreamend"), CloseKind::kTransient, 428},
    };
    ServerKeys keys;
    for (auto& k : cases) {
        Companion c(keys);
        FakeServerConnection server(keys);
        TimePoint t = Clock::now();
        c.Connect(t);
        Pump(*c.connection, c.sink, server, t);
        server.Send(k.node);
        Pump(*c.connection, c.sink, server, t);
        ASSERT_TRUE(c.sink.closed) << k.node.tag;
        EXPECT_EQ(c.sink.closed->kind, k.kind) << k.node.tag;
        EXPECT_EQ(c.sink.closed->code, k.code) << k.node.tag;
    }
}

TEST(Connection, IdleConnectionIsDeclaredLost) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    PairCompanion(c, keys, phone, t);
    FakeServerConnection server(keys);
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(Node("success", {{"t", "1700000000"}}));
    Pump(*c.connection, c.sink, server, t);
    // The server never answers anything again.
    for (int i = 1; i <= 45; ++i) c.connection->OnTick(t + std::chrono::seconds(i));
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kTransient);
    EXPECT_EQ(c.sink.closed->reason, "connection_lost");
}

TEST(Connection, HandshakeTimesOut) {
    ServerKeys keys;
    Companion c(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    ASSERT_TRUE(c.connection->NextDeadline());
    c.connection->OnTick(*c.connection->NextDeadline());
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->reason, "handshake_timeout");
}

TEST(Connection, GarbageFromTheServerClosesWithoutCrashing) {
    ServerKeys keys;
    TimePoint t = Clock::now();
    // During the handshake.
    {
        Companion c(keys);
        c.Connect(t);
        c.connection->OnData(Bytes{0x00, 0x00, 0x03, 0xFF, 0xFE, 0xFD}, t);
        ASSERT_TRUE(c.sink.closed);
        EXPECT_EQ(c.sink.closed->kind, CloseKind::kTransient);
    }
    // After it: a frame that does not decrypt.
    {
        Companion c(keys);
        FakeServerConnection server(keys);
        c.Connect(t);
        Pump(*c.connection, c.sink, server, t);
        c.connection->OnData(Bytes{0x00, 0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, t);
        ASSERT_TRUE(c.sink.closed);
        EXPECT_EQ(c.sink.closed->reason, "decrypt_failed");
        // Calls after close are ignored.
        c.connection->OnData(Bytes{1, 2, 3}, t);
        c.connection->OnTick(t + 100s);
    }
}

TEST(Connection, UnknownIqGetsFeatureNotImplemented) {
    ServerKeys keys;
    Companion c(keys);
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(Node("iq", {{"from", "s.whatsapp.net"}, {"type", "get"}, {"id", "q1"}, {"xmlns", "w:whatever"}}));
    Pump(*c.connection, c.sink, server, t);
    auto reply = server.Pop();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->AttrOr("type", ""), "error");
    EXPECT_EQ(reply->Child("error")->AttrOr("code", ""), "501");
}

TEST(Connection, LogoutSendsRemoveCompanionDevice) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    PairCompanion(c, keys, phone, t);
    FakeServerConnection server(keys);
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(Node("success", {}));
    Pump(*c.connection, c.sink, server, t);
    c.connection->Logout();
    Pump(*c.connection, c.sink, server, t);
    std::optional<Node> remove;
    while (auto n = server.Pop()) {
        if (n->AttrOr("xmlns", "") == "md") remove = n;
    }
    ASSERT_TRUE(remove);
    const Node* rcd = remove->Child("remove-companion-device");
    ASSERT_NE(rcd, nullptr);
    EXPECT_EQ(rcd->AttrOr("jid", ""), kDeviceJid);
    EXPECT_EQ(rcd->AttrOr("reason", ""), "user_initiated");
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kLoggedOut);
}

}  // namespace
}  // namespace wadesk::wa
