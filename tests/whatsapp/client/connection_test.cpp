#include "whatsapp/client/connection.h"

#include <gtest/gtest.h>

#include <set>

#include "bundle_of.h"
#include "fake_server.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/client/pairing.h"
#include "whatsapp/client/pairing_code.h"
#include "whatsapp/client/session.h"
#include "whatsapp/crypto/media_retry.h"
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
        // The groups of the account, fetched after every login (connection_groups.cpp).
        auto groups = server.Pop();
        ASSERT_TRUE(groups);
        EXPECT_EQ(groups->AttrOr("xmlns", ""), "w:g2");
        EXPECT_EQ(groups->AttrOr("to", ""), "@g.us");
        ASSERT_NE(groups->Child("participating"), nullptr);
        server.Send(IqResult(*digest));
        server.Send(IqResult(*privacy));
        server.Send(IqResult(*groups));
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

// WADESK_WA_QR_TIMEOUT: the wait ends at the limit although refs are left; the code shown last
// is announced for what remains of the wait, not for its full lifetime.
TEST(Connection, QrWaitLimitEndsThePairingEarly) {
    ServerKeys keys;
    Companion c(keys);
    c.config.qr_wait_limit = 70s;
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(PairDevice(6));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.qrs.size(), 1u);
    EXPECT_EQ(c.events.qrs.back().second, 60s);
    t += 60s;
    c.connection->OnTick(t);
    ASSERT_EQ(c.events.qrs.size(), 2u);
    EXPECT_EQ(c.events.qrs.back().second, 10s);
    EXPECT_FALSE(c.sink.closed);
    t += 10s;
    c.connection->OnTick(t);
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kQrTimeout);
    EXPECT_EQ(c.events.qrs.size(), 2u);
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

namespace wadesk::wa {
namespace {

// A remote Signal party (the peer's phone, or our own phone) with its own keys and store.
struct Peer {
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore store;
    std::unique_ptr<SignalManager> signal = std::move(*SignalManager::Create(store, creds));
    std::vector<PreKeyPublic> pre_keys = signal->GeneratePreKeys(1, 5).value();

    Node BundleNode(const std::string& jid, std::size_t pre_key) const {
        NodeList children{
            BytesNode("registration", Bytes{0, 0, static_cast<std::uint8_t>(creds.registration_id >> 8),
                                            static_cast<std::uint8_t>(creds.registration_id)}),
            BytesNode("type", Bytes{5}),
            BytesNode("identity", crypto::ToBytes(creds.identity.pub)),
            Node("key", {}, NodeList{BytesNode("id", Bytes{0, 0, static_cast<std::uint8_t>(pre_keys[pre_key].id)}),
                                     BytesNode("value", crypto::ToBytes(pre_keys[pre_key].pub))}),
            Node("skey", {},
                 NodeList{BytesNode("id", Bytes{0, 0, static_cast<std::uint8_t>(creds.signed_pre_key.id)}),
                          BytesNode("value", crypto::ToBytes(creds.signed_pre_key.key.pub)),
                          BytesNode("signature", Bytes(creds.signed_pre_key.signature.begin(),
                                                       creds.signed_pre_key.signature.end()))})};
        return Node("user", {{"jid", jid}}, std::move(children));
    }

    static Node BytesNode(std::string tag, Bytes b) { return Node(std::move(tag), {}, std::move(b)); }
};

// Pairs and logs a companion in; returns the live server connection and the uploaded pre-keys.
struct LoggedIn {
    std::unique_ptr<FakeServerConnection> server;
    std::vector<PreKeyPublic> uploaded;
};

LoggedIn LogIn(Companion& c, const ServerKeys& keys, const Phone& phone, TimePoint t) {
    LoggedIn out;
    PairCompanion(c, keys, phone, t);
    out.server = std::make_unique<FakeServerConnection>(keys);
    auto& server = *out.server;
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    server.Send(Node("success", {{"lid", std::string(kDeviceLid)}}));
    Pump(*c.connection, c.sink, server, t);
    auto count = server.Pop();
    server.Send(IqResult(*count, NodeList{Node("count", {{"value", "0"}})}));
    Pump(*c.connection, c.sink, server, t);
    auto upload = server.Pop();
    for (const Node* key : upload->Child("list")->Children("key")) {
        const Bytes& id = *ChildBytes(*key, "id");
        PreKeyPublic pk;
        pk.id = (id[0] << 16) | (id[1] << 8) | id[2];
        pk.pub = crypto::ToKey32(*ChildBytes(*key, "value")).value();
        out.uploaded.push_back(pk);
    }
    server.Send(IqResult(*upload));
    Pump(*c.connection, c.sink, server, t);
    auto passive = server.Pop();
    server.Send(IqResult(*passive));
    Pump(*c.connection, c.sink, server, t);
    while (server.Pop()) {
    }
    EXPECT_EQ(c.connection->phase(), Connection::Phase::kConnected);
    return out;
}

TEST(Connection, ReceivesA1to1MessageAndReceiptsIt) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    auto& server = *live.server;

    // The peer builds a session from the bundle we uploaded and sends a pkmsg.
    Peer peer;
    PreKeyBundle bundle = testing::BundleOf(c.creds, live.uploaded[3]);
    const SignalAddress us{"15551234567", 5};
    ASSERT_TRUE(peer.signal->ProcessBundle(us, bundle));
    Message m;
    m.set_conversation("hello from the peer");
    auto ct = peer.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_TRUE(ct);
    ASSERT_EQ(ct->type, CiphertextType::kPkMsg);

    server.Send(Node("message",
                     {{"from", "15550002222@s.whatsapp.net"}, {"id", "3EB0AAAA"}, {"t", "1700000000"},
                      {"type", "text"}, {"notify", "Bob"}, {"sender_lid", "100000000000022@lid"}},
                     NodeList{Node("enc", {{"v", "2"}, {"type", "pkmsg"}}, ct->bytes)}));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.messages.size(), 1u);
    const IncomingMessage& in = c.events.messages[0];
    EXPECT_EQ(in.text, "hello from the peer");
    EXPECT_EQ(in.chat, "15550002222@s.whatsapp.net");
    EXPECT_EQ(in.id, "3EB0AAAA");
    EXPECT_EQ(in.push_name, "Bob");
    EXPECT_EQ(in.sender_alt, "100000000000022@lid");
    EXPECT_EQ(in.timestamp, 1700000000);
    EXPECT_FALSE(in.from_me);
    EXPECT_FALSE(c.store.Get(store_keys::PreKey(live.uploaded[3].id))) << "the one-time pre-key is consumed";
    auto receipt = server.Pop();
    ASSERT_TRUE(receipt);
    EXPECT_EQ(receipt->tag, "receipt");
    EXPECT_EQ(receipt->AttrOr("id", ""), "3EB0AAAA");
    EXPECT_EQ(receipt->AttrOr("to", ""), "15550002222@s.whatsapp.net");
    EXPECT_EQ(receipt->AttrOr("type", ""), "");  // we announced presence: a plain delivery receipt

    // A message that does not decrypt is reported as undecryptable (never dropped silently), the
    // sender is asked for a resend by retry receipt, and the failed copy is settled.
    server.Send(Node("message", {{"from", "15550002222@s.whatsapp.net"}, {"id", "3EB0BBBB"}, {"t", "1"}},
                     NodeList{Node("enc", {{"v", "2"}, {"type", "msg"}}, Bytes{0x33, 1, 2, 3})}));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.messages.size(), 2u);
    EXPECT_EQ(c.events.messages[1].kind, MessageKind::kUndecryptable);
    EXPECT_EQ(c.events.messages[1].id, "3EB0BBBB");
    EXPECT_EQ(c.events.messages[1].chat, "15550002222@s.whatsapp.net");
    auto retry = server.Pop();
    ASSERT_TRUE(retry);
    EXPECT_EQ(retry->tag, "receipt");
    EXPECT_EQ(retry->AttrOr("type", ""), "retry");
    EXPECT_EQ(retry->AttrOr("to", ""), "15550002222@s.whatsapp.net");
    ASSERT_TRUE(retry->Child("retry"));
    EXPECT_EQ(retry->Child("retry")->AttrOr("count", ""), "1");
    EXPECT_EQ(retry->Child("retry")->AttrOr("id", ""), "3EB0BBBB");
    EXPECT_TRUE(retry->Child("registration"));
    EXPECT_FALSE(retry->Child("keys")) << "keys come with the second attempt";
    auto ack = server.Pop();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->tag, "ack");
    EXPECT_EQ(ack->AttrOr("error", ""), "");
}

// A media retry request (wa-protocol §11) goes to our own user; only the mediaretry notification
// for its message answers it, and without one it ends as media_retry_timeout.
TEST(Connection, MediaRetryWaitsForItsNotificationOrTimesOut) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    auto& server = *live.server;
    const MediaRetryRequest r{"3EB0MEDIA0001", "15550002222@s.whatsapp.net", false, "", RandomBytes(32)};
    std::optional<Result<std::string>> got;
    c.connection->RequestMediaRetry(r, std::chrono::seconds(30), [&](Result<std::string> x) { got = std::move(x); });
    Pump(*c.connection, c.sink, server, t);
    auto receipt = server.Pop();
    ASSERT_TRUE(receipt);
    EXPECT_EQ(receipt->tag, "receipt");
    EXPECT_EQ(receipt->AttrOr("type", ""), "server-error");
    EXPECT_EQ(receipt->AttrOr("to", ""), "15551234567@s.whatsapp.net");
    EXPECT_EQ(receipt->AttrOr("id", ""), r.message_id);
    EXPECT_FALSE(got);

    auto answer = [&](const std::string& id, const std::string& path) {
        MediaRetryNotification n;
        n.set_stanzaid(id);
        n.set_directpath(path);
        n.set_result(MediaRetryNotification::SUCCESS);
        auto sealed = crypto::SealMediaRetry(r.media_key, id, SerializeProto(n)).value();
        return Node("notification", {{"from", "15551234567@s.whatsapp.net"}, {"type", "mediaretry"}, {"id", id}},
                    NodeList{Node("rmr", {{"jid", r.chat}, {"from_me", "false"}}),
                             Node("encrypt", {}, NodeList{Node("enc_p", {}, sealed.ciphertext), Node("enc_iv", {}, sealed.iv)})});
    };
    // Another message's answer is acked and answers nothing.
    server.Send(answer("3EB0OTHER0001", "/v/other.enc?oh=1&oe=2"));
    Pump(*c.connection, c.sink, server, t);
    auto ack = server.Pop();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->tag, "ack");
    EXPECT_FALSE(got);
    server.Send(answer(r.message_id, "/v/new.enc?oh=1&oe=2"));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(got);
    ASSERT_TRUE(*got);
    EXPECT_EQ(**got, "/v/new.enc?oh=1&oe=2");

    // No answer at all: the wait is bounded.
    got.reset();
    c.connection->RequestMediaRetry(r, std::chrono::seconds(30), [&](Result<std::string> x) { got = std::move(x); });
    Pump(*c.connection, c.sink, server, t);
    EXPECT_TRUE(server.Pop());
    c.connection->OnTick(t + std::chrono::seconds(29));
    EXPECT_FALSE(got);
    c.connection->OnTick(t + std::chrono::seconds(31));
    ASSERT_TRUE(got);
    ASSERT_FALSE(*got);
    EXPECT_EQ(got->error().code, "media_retry_timeout");
    EXPECT_EQ(c.connection->phase(), Connection::Phase::kConnected);
}

TEST(Connection, ReceiptIsWithheldWhenTheMessageIsNotCommitted) {
    struct Refusing : testing::RecordingEvents {
        bool OnMessage(const IncomingMessage&, const CredentialWrites&) override { return false; }
    };
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    Refusing refusing;
    // Swap in a handler that cannot commit: same credentials, new connection on the same server.
    Peer peer;
    PreKeyBundle bundle = testing::BundleOf(c.creds);
    const SignalAddress us{"15551234567", 5};
    ASSERT_TRUE(peer.signal->ProcessBundle(us, bundle));
    Message m;
    m.set_conversation("x");
    auto ct = peer.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_TRUE(ct);
    FakeServerConnection server(keys);
    RecordingSink sink;
    Connection conn(c.config, c.creds, c.store, *c.signal, sink, refusing);
    conn.Start(t);
    Pump(conn, sink, server, t);
    server.Send(Node("success", {}));
    Pump(conn, sink, server, t);
    while (server.Pop()) {
    }
    server.Send(Node("message", {{"from", "15550002222@s.whatsapp.net"}, {"id", "3EB0CCCC"}, {"t", "1"}},
                     NodeList{Node("enc", {{"v", "2"}, {"type", "pkmsg"}}, ct->bytes)}));
    Pump(conn, sink, server, t);
    EXPECT_FALSE(server.Pop().has_value()) << "no receipt for an uncommitted message";
}

TEST(Connection, SendsA1to1TextToThePeerAndOurPhone) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    auto& server = *live.server;
    Peer peer;       // 15550002222, device 0
    Peer own_phone;  // 15551234567, device 0

    auto id = c.connection->SendText("15550002222@s.whatsapp.net", "hi there");
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->size(), 22u);
    EXPECT_EQ(id->substr(0, 4), "3EB0");
    Pump(*c.connection, c.sink, server, t);

    auto usync_iq = server.Pop();
    ASSERT_TRUE(usync_iq);
    EXPECT_EQ(usync_iq->AttrOr("xmlns", ""), "usync");
    const Node* usync = usync_iq->Child("usync");
    ASSERT_NE(usync, nullptr);
    ASSERT_NE(usync->Child("query")->Child("devices"), nullptr);
    ASSERT_NE(usync->Child("query")->Child("lid"), nullptr);
    ASSERT_EQ(usync->Child("list")->Children("user").size(), 2u);
    auto device_user = [](std::string jid, NodeList devices) {
        return Node("user", {{"jid", jid}},
                    NodeList{Node("devices", {}, NodeList{Node("device-list", {}, std::move(devices))})});
    };
    auto usync_result = [&](NodeList users) {
        return NodeList{Node("usync", {}, NodeList{Node("list", {}, std::move(users))})};
    };
    NodeList own_devices{Node("device", {{"id", "0"}}), Node("device", {{"id", "5"}, {"key-index", "1"}})};
    NodeList peer_devices{Node("device", {{"id", "0"}}), Node("device", {{"id", "9"}})};
    server.Send(IqResult(*usync_iq, usync_result(NodeList{device_user("15551234567@s.whatsapp.net", std::move(own_devices)),
                                                          device_user("15550002222@s.whatsapp.net", std::move(peer_devices))})));
    Pump(*c.connection, c.sink, server, t);

    auto key_iq = server.Pop();
    ASSERT_TRUE(key_iq);
    EXPECT_EQ(key_iq->AttrOr("xmlns", ""), "encrypt");
    const Node* key = key_iq->Child("key");
    ASSERT_NE(key, nullptr);
    std::set<std::string> asked;
    for (const Node* u : key->Children("user")) asked.insert(std::string(u->AttrOr("jid", "")));
    // Our own device (5) and the peer's device without key-index (9) are not asked for.
    EXPECT_EQ(asked, (std::set<std::string>{"15551234567@s.whatsapp.net", "15550002222@s.whatsapp.net"}));
    server.Send(IqResult(*key_iq, NodeList{Node("list", {},
                                               NodeList{own_phone.BundleNode("15551234567@s.whatsapp.net", 0),
                                                        peer.BundleNode("15550002222@s.whatsapp.net", 1)})}));
    Pump(*c.connection, c.sink, server, t);

    auto message = server.Pop();
    ASSERT_TRUE(message);
    EXPECT_EQ(message->tag, "message");
    EXPECT_EQ(message->AttrOr("id", ""), *id);
    EXPECT_EQ(message->AttrOr("to", ""), "15550002222@s.whatsapp.net");
    EXPECT_EQ(message->AttrOr("type", ""), "text");
    ASSERT_NE(message->Child("device-identity"), nullptr);
    EXPECT_EQ(*message->Child("device-identity")->ContentBytes(), c.creds.account);
    const Node* participants = message->Child("participants");
    ASSERT_NE(participants, nullptr);
    ASSERT_EQ(participants->Children("to").size(), 2u);
    for (const Node* to : participants->Children("to")) {
        const Node* enc = to->Child("enc");
        ASSERT_NE(enc, nullptr);
        EXPECT_EQ(enc->AttrOr("type", ""), "pkmsg");
        EXPECT_EQ(enc->AttrOr("v", ""), "2");
        const bool to_peer = to->AttrOr("jid", "") == "15550002222@s.whatsapp.net";
        Peer& receiver = to_peer ? peer : own_phone;
        auto plain = receiver.signal->Decrypt(SignalAddress{"15551234567", 5}, CiphertextType::kPkMsg,
                                              *enc->ContentBytes());
        ASSERT_TRUE(plain) << plain.error().message;
        auto parsed = ParseProto<Message>(UnpadMessage(*plain).value());
        ASSERT_TRUE(parsed);
        if (to_peer) {
            EXPECT_EQ(parsed->conversation(), "hi there");
        } else {
            ASSERT_TRUE(parsed->has_devicesentmessage());
            EXPECT_EQ(parsed->devicesentmessage().destinationjid(), "15550002222@s.whatsapp.net");
            EXPECT_EQ(parsed->devicesentmessage().message().conversation(), "hi there");
        }
    }

    // Server ack, then the peer's read receipt.
    server.Send(Node("ack", {{"class", "message"}, {"id", *id}, {"from", "15550002222@s.whatsapp.net"}, {"t", "1"}}));
    server.Send(Node("receipt", {{"from", "15550002222@s.whatsapp.net"}, {"id", *id}, {"type", "read"}, {"t", "2"}}));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.acks.size(), 1u);
    EXPECT_EQ(c.events.acks[0], (std::pair<std::string, int>{*id, 0}));
    ASSERT_EQ(c.events.receipts.size(), 1u);
    EXPECT_EQ(c.events.receipts[0].type, "read");
    EXPECT_EQ(c.events.receipts[0].ids, std::vector<std::string>{*id});
    auto receipt_ack = server.Pop();
    ASSERT_TRUE(receipt_ack);
    EXPECT_EQ(receipt_ack->AttrOr("class", ""), "receipt");

    // The second send reuses the sessions: no key fetch, and msg once the peer has answered.
    auto id2 = c.connection->SendText("15550002222@s.whatsapp.net", "again");
    ASSERT_TRUE(id2);
    Pump(*c.connection, c.sink, server, t);
    auto usync2 = server.Pop();
    ASSERT_TRUE(usync2);
    server.Send(IqResult(
        *usync2, usync_result(NodeList{device_user("15550002222@s.whatsapp.net", NodeList{Node("device", {{"id", "0"}})})})));
    Pump(*c.connection, c.sink, server, t);
    auto message2 = server.Pop();
    ASSERT_TRUE(message2);
    EXPECT_EQ(message2->tag, "message");
    EXPECT_EQ(message2->AttrOr("id", ""), *id2);

    // Not connected: an error, not a crash.
    c.connection->Stop();
    EXPECT_FALSE(c.connection->SendText("15550002222@s.whatsapp.net", "x"));
    EXPECT_FALSE(Connection(c.config, c.creds, c.store, *c.signal, c.sink, c.events).SendText("bad", "x"));
}

}  // namespace
}  // namespace wadesk::wa

namespace wadesk::wa {
namespace {

TEST(ReconnectDelay, GrowsExponentiallyWithJitterUpToTheCap) {
    ClientConfig config;  // 1 s base, 60 s cap, +/-20 %
    for (int attempt = 0; attempt < 12; ++attempt) {
        const double nominal = std::min(1000.0 * (1 << attempt), 60000.0);
        for (int i = 0; i < 20; ++i) {
            const auto d = ReconnectDelay(config, attempt).count();
            EXPECT_GE(d, nominal * 0.8 - 1) << attempt;
            EXPECT_LE(d, nominal * 1.2 + 1) << attempt;
        }
    }
    // Jitter actually varies.
    std::set<std::int64_t> seen;
    for (int i = 0; i < 20; ++i) seen.insert(ReconnectDelay(config, 3).count());
    EXPECT_GT(seen.size(), 1u);
    EXPECT_LE(ReconnectDelay(config, 1000).count(), 72000);
}

TEST(SessionStatus, HasTheSpecNames) {
    EXPECT_EQ(SessionStatusName(SessionStatus::kInitializing), "initializing");
    EXPECT_EQ(SessionStatusName(SessionStatus::kQr), "qr");
    EXPECT_EQ(SessionStatusName(SessionStatus::kConnected), "connected");
    EXPECT_EQ(SessionStatusName(SessionStatus::kReconnecting), "reconnecting");
    EXPECT_EQ(SessionStatusName(SessionStatus::kDisconnected), "disconnected");
    EXPECT_EQ(SessionStatusName(SessionStatus::kLoggedOut), "logged_out");
    EXPECT_EQ(SessionStatusName(SessionStatus::kFailed), "failed");
}

}  // namespace
}  // namespace wadesk::wa

// ---- pairing by code (§5.2) ---------------------------------------------------------------------

namespace wadesk::wa {
namespace {

struct CodeRequest {
    std::optional<Result<std::string>> answer;
    std::function<void(Result<std::string>)> Callback() {
        return [this](Result<std::string> r) { answer = std::move(r); };
    }
};

// Companion registered and shown a QR; the server's pair-device ack already popped.
void StartRegistration(Companion& c, FakeServerConnection& server, TimePoint t) {
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(server.Handshaken());
    server.Send(PairDevice(6));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(server.Pop());
}

// A registered companion asks for a code for `phone`; returns the companion_hello the server got.
std::optional<Node> RequestCode(Companion& c, FakeServerConnection& server, TimePoint t, const std::string& phone,
                                CodeRequest& req) {
    c.connection->RequestPairingCode(phone, req.Callback());
    Pump(*c.connection, c.sink, server, t);
    return server.Pop();
}

TEST(Connection, PairsByCodeThroughPrimaryHelloAndCompanionFinish) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    c.Connect(t);
    Pump(*c.connection, c.sink, server, t);
    CodeRequest early;
    c.connection->RequestPairingCode("15551234567", early.Callback());
    ASSERT_TRUE(early.answer);
    EXPECT_EQ(early.answer->error().code, "session_not_pairing");  // no pair-device yet

    server.Send(PairDevice(6));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(server.Pop());
    CodeRequest bad;
    c.connection->RequestPairingCode("1555abc4567", bad.Callback());
    ASSERT_TRUE(bad.answer);
    EXPECT_EQ(bad.answer->error().code, "bad_phone");

    CodeRequest req;
    auto hello = RequestCode(c, server, t, "15551234567", req);
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->AttrOr("xmlns", ""), "md");
    EXPECT_EQ(hello->AttrOr("type", ""), "set");
    const Node* reg = hello->Child("link_code_companion_reg");
    ASSERT_NE(reg, nullptr);
    EXPECT_EQ(reg->AttrOr("jid", ""), "15551234567@s.whatsapp.net");
    EXPECT_EQ(reg->AttrOr("stage", ""), "companion_hello");
    const Bytes* wrapped = ChildBytes(*reg, "link_code_pairing_wrapped_companion_ephemeral_pub");
    ASSERT_TRUE(wrapped);
    ASSERT_EQ(wrapped->size(), kWrappedEphemeralSize);
    ASSERT_TRUE(ChildBytes(*reg, "companion_server_auth_key_pub"));
    EXPECT_EQ(*ChildBytes(*reg, "companion_server_auth_key_pub"), crypto::ToBytes(c.creds.noise.pub));
    EXPECT_EQ(ToString(*ChildBytes(*reg, "companion_platform_id")), "1");
    EXPECT_EQ(ToString(*ChildBytes(*reg, "companion_platform_display")), "Chrome (Ubuntu)");
    EXPECT_FALSE(req.answer) << "the code is reported once the server accepted companion_hello";

    server.Send(IqResult(*hello, {Node("link_code_companion_reg", {},
                                       NodeList{Node("link_code_pairing_ref", {}, ToBytes("2@coderef"))})}));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(req.answer);
    ASSERT_TRUE(*req.answer);
    const std::string code = **req.answer;
    EXPECT_TRUE(IsPairingCode(code)) << code;

    // The phone: the companion ephemeral opens with the code; its own goes back wrapped the same way.
    const crypto::Key32 companion_eph = UnwrapEphemeral(code, *wrapped).value();
    const crypto::KeyPair primary_eph = crypto::GenerateKeyPair();
    auto send_primary_hello = [&](std::string_view typed_code) {
        server.Send(Node(
            "notification", {{"from", "s.whatsapp.net"}, {"type", "link_code_companion_reg"}, {"id", "n1"}},
            NodeList{Node("link_code_companion_reg", {{"stage", "primary_hello"}},
                          NodeList{Node("link_code_pairing_ref", {}, ToBytes("2@coderef")),
                                   Node("primary_identity_pub", {}, crypto::ToBytes(phone.identity.pub)),
                                   Node("link_code_pairing_wrapped_primary_ephemeral_pub", {},
                                        WrapEphemeral(typed_code, primary_eph.pub, RandomBytes(32), RandomBytes(16))
                                            .value())})}));
        Pump(*c.connection, c.sink, server, t);
        auto ack = server.Pop();
        EXPECT_TRUE(ack && ack->tag == "ack");
        auto finish = server.Pop();
        EXPECT_TRUE(finish);
        return finish;
    };
    auto finish = send_primary_hello(code);
    ASSERT_TRUE(finish);
    const Node* fin = finish->Child("link_code_companion_reg");
    ASSERT_NE(fin, nullptr);
    EXPECT_EQ(fin->AttrOr("stage", ""), "companion_finish");
    EXPECT_EQ(ToString(*ChildBytes(*fin, "link_code_pairing_ref")), "2@coderef");
    EXPECT_EQ(*ChildBytes(*fin, "companion_identity_public"), crypto::ToBytes(c.creds.identity.pub));
    const Bytes bundle = *ChildBytes(*fin, "link_code_pairing_wrapped_key_bundle");
    ASSERT_EQ(bundle.size(), kWrappedKeyBundleSize);

    // The phone opens the bundle with the secret it shares with the companion ephemeral.
    const crypto::Key32 shared = crypto::SharedSecret(primary_eph.priv, companion_eph).value();
    const Bytes bundle_key = crypto::Hkdf(crypto::View(shared), BytesView(bundle).subspan(0, 32),
                                          AsBytes("link_code_pairing_key_bundle_encryption_key"), 32).value();
    auto plain = crypto::AesGcmDecrypt(bundle_key, BytesView(bundle).subspan(32, 12), BytesView(bundle).subspan(44), {});
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->size(), 96u);
    EXPECT_EQ(Bytes(plain->begin(), plain->begin() + 32), crypto::ToBytes(c.creds.identity.pub));
    EXPECT_EQ(Bytes(plain->begin() + 32, plain->begin() + 64), crypto::ToBytes(phone.identity.pub));
    const crypto::Key32 identity_shared = crypto::SharedSecret(phone.identity.priv, c.creds.identity.pub).value();
    const Bytes adv = crypto::Hkdf(Concat({crypto::View(shared), crypto::View(identity_shared),
                                           BytesView(*plain).subspan(64)}),
                                   {}, AsBytes("adv_secret"), 32).value();
    server.Send(IqResult(*finish));

    // pair-success keyed with the derived adv secret is accepted like a QR pairing.
    QrParts as_if_scanned;
    as_if_scanned.identity_pub = crypto::ToBytes(c.creds.identity.pub);
    as_if_scanned.adv_secret = adv;
    server.Send(PairSuccess(phone.Container(as_if_scanned)));
    Pump(*c.connection, c.sink, server, t);
    auto sign = server.Pop();
    ASSERT_TRUE(sign);
    EXPECT_EQ(sign->AttrOr("type", ""), "result");
    ASSERT_NE(sign->Child("pair-device-sign"), nullptr);
    ASSERT_TRUE(c.events.paired);
    EXPECT_EQ(c.events.paired->jid, kDeviceJid);
    EXPECT_TRUE(c.creds.Registered());
    EXPECT_FALSE(c.sink.closed);
}

TEST(Connection, PairingCodeStopsQrRotationAndExpires) {
    ServerKeys keys;
    Companion c(keys);
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    StartRegistration(c, server, t);
    CodeRequest req;
    auto hello = RequestCode(c, server, t, "15551234567", req);
    ASSERT_TRUE(hello);
    server.Send(IqResult(*hello));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(req.answer && *req.answer);
    ASSERT_EQ(c.events.qrs.size(), 1u);
    t += 179s;
    c.connection->OnTick(t);
    EXPECT_EQ(c.events.qrs.size(), 1u) << "no QR rotation while a code is out";
    EXPECT_FALSE(c.sink.closed);
    t += 1s;
    c.connection->OnTick(t);
    ASSERT_TRUE(c.sink.closed);
    EXPECT_EQ(c.sink.closed->kind, CloseKind::kQrTimeout);
    EXPECT_EQ(c.sink.closed->reason, "pairing_code_timeout");
}

TEST(Connection, PairingCodeForAnUnknownNumberIsReported) {
    ServerKeys keys;
    Companion c(keys);
    FakeServerConnection server(keys);
    TimePoint t = Clock::now();
    StartRegistration(c, server, t);
    CodeRequest req;
    auto hello = RequestCode(c, server, t, "19990001111", req);
    ASSERT_TRUE(hello);
    server.Send(Node("iq", {{"from", "s.whatsapp.net"}, {"type", "error"}, {"id", std::string(hello->AttrOr("id", ""))}},
                     NodeList{Node("error", {{"code", "404"}, {"text", "item-not-found"}})}));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(req.answer);
    ASSERT_FALSE(*req.answer);
    EXPECT_EQ(req.answer->error().code, "phone_not_registered");
    // QR pairing still works: the refs keep rotating.
    t += 60s;
    c.connection->OnTick(t);
    EXPECT_EQ(c.events.qrs.size(), 2u);
    // A primary_hello without a code out is ignored (only acked).
    server.Send(Node("notification", {{"from", "s.whatsapp.net"}, {"type", "link_code_companion_reg"}, {"id", "n2"}},
                     NodeList{Node("link_code_companion_reg", {}, NodeList{})}));
    Pump(*c.connection, c.sink, server, t);
    auto ack = server.Pop();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->tag, "ack");
    EXPECT_FALSE(server.Pop());
    EXPECT_FALSE(c.sink.closed);
}

}  // namespace
}  // namespace wadesk::wa

// ---- LID (wa-protocol §13): one session and one chat per contact whichever domain is used ------

// ---- send path: quotes, failures, retry receipts (wa-protocol §7, §8.1) ------------------------

namespace wadesk::wa {
namespace {

constexpr std::string_view kPeerPnDevice = "15550002222:3@s.whatsapp.net";
constexpr std::string_view kPeerLidDevice = "100000000000022:3@lid";

PreKeyBundle OwnBundle(const Companion& c, const PreKeyPublic& one_time) { return testing::BundleOf(c.creds, one_time); }

Node TextStanza(Attrs attrs, const Ciphertext& ct) {
    return Node("message", std::move(attrs),
                NodeList{Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct.type))}}, ct.bytes)});
}

TEST(ConnectionLid, PnThenLidStanzasOfOneDeviceDecryptOnOneSession) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    auto& server = *live.server;
    const SignalAddress us{"15551234567", 5};

    Peer peer;
    ASSERT_TRUE(peer.signal->ProcessBundle(us, OwnBundle(c, live.uploaded[0])));
    Message m;
    m.set_conversation("first, by phone number");
    auto first = peer.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_TRUE(first);
    // By PN, with no alternate attribute: the session is built under the PN address.
    server.Send(TextStanza(
        {{"from", std::string(kPeerPnDevice)}, {"id", "3EB0L1"}, {"t", "1700000000"}, {"type", "text"}}, *first));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.messages.size(), 1u);
    EXPECT_EQ(c.events.messages[0].chat, "15550002222@s.whatsapp.net");
    EXPECT_EQ(c.events.messages[0].chat_alt, "");
    ASSERT_TRUE(server.Pop());  // receipt
    ASSERT_TRUE(c.store.Get(store_keys::Session("15550002222", 3)));

    // Then by LID (sender_pn names the phone number): a msg on the session the pkmsg built.
    m.set_conversation("second, by LID");
    auto second = peer.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_TRUE(second);
    ASSERT_EQ(second->type, CiphertextType::kPkMsg) << "the peer has not heard from us yet";
    // A pkmsg that reuses the established session still decrypts on it; send a real msg too below.
    server.Send(TextStanza({{"from", std::string(kPeerLidDevice)},
                            {"id", "3EB0L2"},
                            {"t", "1700000001"},
                            {"type", "text"},
                            {"sender_pn", "15550002222@s.whatsapp.net"}},
                           *second));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.messages.size(), 2u) << "the LID stanza must decrypt";
    const IncomingMessage& by_lid = c.events.messages[1];
    EXPECT_EQ(by_lid.text, "second, by LID");
    EXPECT_EQ(by_lid.chat, "100000000000022@lid");
    EXPECT_EQ(by_lid.chat_alt, "15550002222@s.whatsapp.net");
    EXPECT_EQ(by_lid.sender_alt, "15550002222@s.whatsapp.net");
    auto receipt = server.Pop();
    ASSERT_TRUE(receipt);
    EXPECT_EQ(receipt->tag, "receipt");
    EXPECT_EQ(receipt->AttrOr("to", ""), kPeerLidDevice);
    // One session for the device, under the LID address.
    EXPECT_FALSE(c.store.Get(store_keys::Session("15550002222", 3)));
    EXPECT_TRUE(c.store.Get(store_keys::Session("100000000000022_1", 3)));
    EXPECT_EQ(c.signal->identity_changes(), 0u);

    // We answer (by PN, as the API would); the peer's reply is then a plain msg, sent by PN again,
    // and it decrypts on the same LID-keyed session.
    auto reply = c.signal->Encrypt(SignalAddress{"15550002222", 3}, PadMessage(ToBytes("ok")));
    ASSERT_TRUE(reply);
    ASSERT_TRUE(peer.signal->Decrypt(us, reply->type, reply->bytes));
    m.set_conversation("third, by PN again");
    auto third = peer.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_TRUE(third);
    ASSERT_EQ(third->type, CiphertextType::kMsg);
    server.Send(TextStanza({{"from", std::string(kPeerPnDevice)},
                            {"id", "3EB0L3"},
                            {"t", "1700000002"},
                            {"type", "text"},
                            {"sender_lid", "100000000000022@lid"}},
                           *third));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.messages.size(), 3u);
    EXPECT_EQ(c.events.messages[2].chat, "15550002222@s.whatsapp.net");
    EXPECT_EQ(c.events.messages[2].chat_alt, "100000000000022@lid");
    // Both domains name one contact: {PN, LID} is the same pair for every message.
    for (const auto& msg : c.events.messages) {
        if (msg.id == "3EB0L1") continue;  // nothing was known yet
        const bool pn_chat = msg.chat.ends_with("@s.whatsapp.net");
        EXPECT_EQ(pn_chat ? msg.chat : msg.chat_alt, "15550002222@s.whatsapp.net") << msg.id;
        EXPECT_EQ(pn_chat ? msg.chat_alt : msg.chat, "100000000000022@lid") << msg.id;
    }
}

TEST(ConnectionLid, LidMsgWithoutAnyMappingStillFails) {
    // Control for the test above: with no alternate attribute the LID msg has no session.
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    auto& server = *live.server;
    const SignalAddress us{"15551234567", 5};
    Peer peer;
    ASSERT_TRUE(peer.signal->ProcessBundle(us, OwnBundle(c, live.uploaded[0])));
    Message m;
    m.set_conversation("x");
    auto first = peer.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    server.Send(TextStanza({{"from", std::string(kPeerPnDevice)}, {"id", "3EB0M1"}, {"t", "1"}}, *first));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_TRUE(server.Pop());
    auto reply = c.signal->Encrypt(SignalAddress{"15550002222", 3}, PadMessage(ToBytes("ok")));
    ASSERT_TRUE(peer.signal->Decrypt(us, reply->type, reply->bytes));
    auto second = peer.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_EQ(second->type, CiphertextType::kMsg);
    server.Send(TextStanza({{"from", std::string(kPeerLidDevice)}, {"id", "3EB0M2"}, {"t", "2"}}, *second));
    Pump(*c.connection, c.sink, server, t);
    ASSERT_EQ(c.events.messages.size(), 2u);
    EXPECT_EQ(c.events.messages[1].kind, MessageKind::kUndecryptable) << "reported, never dropped";
    auto retry = server.Pop();
    ASSERT_TRUE(retry);
    EXPECT_EQ(retry->AttrOr("type", ""), "retry") << "no session: the sender is asked for a resend";
}

TEST(ConnectionLid, OwnMigrationSyncAndDevicesNotificationFeedTheMap) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    auto& server = *live.server;
    const SignalAddress us{"15551234567", 5};

    // Our own phone (device 0 of our account) sends LID_MIGRATION_MAPPING_SYNC (§13 source 7).
    Peer own_phone;
    ASSERT_TRUE(own_phone.signal->ProcessBundle(us, OwnBundle(c, live.uploaded[1])));
    LIDMigrationMappingSyncPayload payload;
    auto* mapping = payload.add_pntolidmappings();
    mapping->set_pn(15550007777);
    mapping->set_assignedlid(100000000000077);
    Message m;
    m.mutable_protocolmessage()->set_type(Message::ProtocolMessage::LID_MIGRATION_MAPPING_SYNC);
    m.mutable_protocolmessage()->mutable_lidmigrationmappingsyncmessage()->set_encodedmappingpayload(
        std::string(AsString(SerializeProto(payload))));
    auto ct = own_phone.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_TRUE(ct);
    server.Send(TextStanza(
        {{"from", "15551234567@s.whatsapp.net"}, {"id", "3EB0S1"}, {"t", "1"}, {"type", "text"}, {"category", "peer"}},
        *ct));
    Pump(*c.connection, c.sink, server, t);
    EXPECT_EQ(c.signal->lid_map().LidForPn("15550007777"), "100000000000077");

    // The same payload from someone else's account is not taken.
    Peer stranger;
    ASSERT_TRUE(stranger.signal->ProcessBundle(us, OwnBundle(c, live.uploaded[2])));
    payload.mutable_pntolidmappings(0)->set_pn(15550008888);
    m.mutable_protocolmessage()->mutable_lidmigrationmappingsyncmessage()->set_encodedmappingpayload(
        std::string(AsString(SerializeProto(payload))));
    auto ct2 = stranger.signal->Encrypt(us, PadMessage(SerializeProto(m)));
    ASSERT_TRUE(ct2);
    server.Send(
        TextStanza({{"from", "15550003333@s.whatsapp.net"}, {"id", "3EB0S2"}, {"t", "1"}, {"type", "text"}}, *ct2));
    Pump(*c.connection, c.sink, server, t);
    EXPECT_FALSE(c.signal->lid_map().LidForPn("15550008888"));

    // A devices notification names the user's LID (§13 source 8).
    server.Send(Node(
        "notification",
        {{"from", "15550009999@s.whatsapp.net"}, {"type", "devices"}, {"id", "n1"}, {"lid", "100000000000099@lid"}},
        NodeList{Node("add")}));
    Pump(*c.connection, c.sink, server, t);
    EXPECT_EQ(c.signal->lid_map().PnForLid("100000000000099"), "15550009999");
}

TEST(ConnectionLid, OwnPairIsLearnedAtLogin) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    EXPECT_EQ(c.signal->lid_map().LidForPn("15551234567"), "100000000000011");
    EXPECT_EQ(c.signal->lid_map().PnForLid("100000000000011"), "15551234567");
}

TEST(ConnectionLid, SendsByLidOnceTheMappingIsKnown) {
    ServerKeys keys;
    Companion c(keys);
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    auto& server = *live.server;
    Peer peer;
    auto device_user = [](std::string jid, NodeList devices, std::string lid) {
        NodeList children{Node("devices", {}, NodeList{Node("device-list", {}, std::move(devices))})};
        if (!lid.empty()) children.push_back(Node("lid", {{"val", lid}}));
        return Node("user", {{"jid", jid}}, std::move(children));
    };
    auto usync_result = [&](NodeList users) {
        return NodeList{Node("usync", {}, NodeList{Node("list", {}, std::move(users))})};
    };

    // First send: only the PN is known. The usync answer names the LID; the devices stay in the
    // form the usync listed them (PN).
    auto id = c.connection->SendText("15550002222@s.whatsapp.net", "one");
    ASSERT_TRUE(id);
    Pump(*c.connection, c.sink, server, t);
    auto usync_iq = server.Pop();
    ASSERT_TRUE(usync_iq);
    server.Send(IqResult(*usync_iq, usync_result(NodeList{
                                        device_user("15551234567@s.whatsapp.net", NodeList{}, "100000000000011@lid"),
                                        device_user("15550002222@s.whatsapp.net",
                                                    NodeList{Node("device", {{"id", "0"}})}, "100000000000022@lid")})));
    Pump(*c.connection, c.sink, server, t);
    EXPECT_EQ(c.signal->lid_map().LidForPn("15550002222"), "100000000000022");
    auto key_iq = server.Pop();
    ASSERT_TRUE(key_iq);
    ASSERT_EQ(key_iq->Child("key")->Children("user").size(), 1u);
    EXPECT_EQ(key_iq->Child("key")->Children("user")[0]->AttrOr("jid", ""), "15550002222@s.whatsapp.net");
    server.Send(
        IqResult(*key_iq, NodeList{Node("list", {}, NodeList{peer.BundleNode("15550002222@s.whatsapp.net", 0)})}));
    Pump(*c.connection, c.sink, server, t);
    auto message = server.Pop();
    ASSERT_TRUE(message);
    ASSERT_EQ(message->tag, "message");
    EXPECT_EQ(message->AttrOr("to", ""), "15550002222@s.whatsapp.net");
    EXPECT_EQ(message->Child("participants")->Children("to")[0]->AttrOr("jid", ""), "15550002222@s.whatsapp.net");
    // The session the bundle built is keyed by the LID address.
    EXPECT_TRUE(c.store.Get(store_keys::Session("100000000000022_1", 0)));
    EXPECT_FALSE(c.store.Get(store_keys::Session("15550002222", 0)));

    // Second send to the same PN: addressed by LID, with peer_recipient_pn; no key fetch needed.
    auto id2 = c.connection->SendText("15550002222@s.whatsapp.net", "two");
    ASSERT_TRUE(id2);
    Pump(*c.connection, c.sink, server, t);
    auto usync2 = server.Pop();
    ASSERT_TRUE(usync2);
    std::set<std::string> asked;
    for (const Node* u : usync2->Child("usync")->Child("list")->Children("user"))
        asked.insert(std::string(u->AttrOr("jid", "")));
    EXPECT_EQ(asked, (std::set<std::string>{"15551234567@s.whatsapp.net", "100000000000022@lid"}));
    server.Send(IqResult(*usync2, usync_result(NodeList{device_user("100000000000022@lid",
                                                                    NodeList{Node("device", {{"id", "0"}})}, "")})));
    Pump(*c.connection, c.sink, server, t);
    auto message2 = server.Pop();
    ASSERT_TRUE(message2);
    ASSERT_EQ(message2->tag, "message") << "no key fetch: the session is found under the LID address";
    EXPECT_EQ(message2->AttrOr("to", ""), "100000000000022@lid");
    EXPECT_EQ(message2->AttrOr("peer_recipient_pn", ""), "15550002222@s.whatsapp.net");
    const Node* to = message2->Child("participants")->Children("to")[0];
    EXPECT_EQ(to->AttrOr("jid", ""), "100000000000022@lid");
    // It continues the ratchet of the first send (the peer has not answered: still a pkmsg of
    // the same session, which the peer decrypts).
    auto plain1 =
        peer.signal->Decrypt(SignalAddress{"15551234567", 5}, CiphertextType::kPkMsg,
                             *message->Child("participants")->Children("to")[0]->Child("enc")->ContentBytes());
    ASSERT_TRUE(plain1) << plain1.error().message;
    auto plain2 = peer.signal->Decrypt(
        SignalAddress{"15551234567", 5},
        to->Child("enc")->AttrOr("type", "") == "pkmsg" ? CiphertextType::kPkMsg : CiphertextType::kMsg,
        *to->Child("enc")->ContentBytes());
    ASSERT_TRUE(plain2) << plain2.error().message;
    EXPECT_EQ(ParseProto<Message>(UnpadMessage(*plain2).value())->conversation(), "two");
}

// ---- send path: quotes, failures, retry receipts (wa-protocol §7, §8.1) ------------------------

Node DeviceUser(std::string jid, NodeList devices) {
    return Node("user", {{"jid", std::move(jid)}},
                NodeList{Node("devices", {}, NodeList{Node("device-list", {}, std::move(devices))})});
}

Node UsyncResult(const Node& iq, NodeList users) {
    return IqResult(iq, NodeList{Node("usync", {}, NodeList{Node("list", {}, std::move(users))})});
}

// A logged-in companion, a peer with a phone (device 0) and a companion (device 7), and our phone.
struct SendFixture {
    ServerKeys keys;
    Companion c{keys};
    Phone phone;
    TimePoint t = Clock::now();
    LoggedIn live = LogIn(c, keys, phone, t);
    FakeServerConnection& server = *live.server;
    Peer peer_phone;  // 15550002222, device 0
    Peer peer_web;    // 15550002222:7
    Peer own_phone;   // 15551234567, device 0

    void Pump() { testing::Pump(*c.connection, c.sink, server, t); }

    // Sends `out` through usync and key fetch; returns the <message> stanza that left.
    Node SendThrough(const OutgoingText& out) {
        auto id = c.connection->Send(out);
        EXPECT_TRUE(id);
        Pump();
        auto usync = server.Pop();
        EXPECT_TRUE(usync && usync->AttrOr("xmlns", "") == "usync");
        server.Send(UsyncResult(
            *usync, NodeList{DeviceUser("15551234567@s.whatsapp.net", NodeList{Node("device", {{"id", "0"}})}),
                             DeviceUser("15550002222@s.whatsapp.net",
                                        NodeList{Node("device", {{"id", "0"}}),
                                                 Node("device", {{"id", "7"}, {"key-index", "1"}})})}));
        Pump();
        auto key_iq = server.Pop();
        EXPECT_TRUE(key_iq && key_iq->AttrOr("xmlns", "") == "encrypt");
        server.Send(IqResult(*key_iq, NodeList{Node("list", {},
                                                    NodeList{own_phone.BundleNode("15551234567@s.whatsapp.net", 0),
                                                             peer_phone.BundleNode("15550002222@s.whatsapp.net", 0),
                                                             peer_web.BundleNode("15550002222:7@s.whatsapp.net", 0)})}));
        Pump();
        auto message = server.Pop();
        EXPECT_TRUE(message && message->tag == "message");
        return message ? *message : Node("none");
    }

    // The retry receipt `device` sends when it cannot decrypt `id`; with its keys when `with_keys`.
    static Node RetryReceipt(const std::string& id, const std::string& from, int count, const Peer* with_keys,
                             std::size_t pre_key = 1) {
        Node receipt("receipt", {{"from", from}, {"id", id}, {"type", "retry"}, {"t", "1700000001"}},
                     NodeList{Node("retry", {{"count", std::to_string(count)}, {"id", id}, {"t", "1700000000"},
                                             {"v", "1"}, {"error", "0"}})});
        if (!with_keys) {
            receipt.AddChild(Peer::BytesNode("registration", Bytes{0, 0, 0, 42}));
            return receipt;
        }
        Node bundle = with_keys->BundleNode(from, pre_key);
        NodeList keys;
        for (const Node& child : bundle.Children()) {
            if (child.tag == "registration") receipt.AddChild(child);
            else keys.push_back(child);
        }
        receipt.AddChild(Node("keys", {}, std::move(keys)));
        return receipt;
    }
};

// What `receiver` reads from an <enc> addressed to it by our companion.
Message DecryptFromUs(Peer& receiver, const Node& enc) {
    auto type = enc.AttrOr("type", "") == "pkmsg" ? CiphertextType::kPkMsg : CiphertextType::kMsg;
    auto plain = receiver.signal->Decrypt(SignalAddress{"15551234567", 5}, type, *enc.ContentBytes());
    EXPECT_TRUE(plain) << (plain ? "" : plain.error().message);
    if (!plain) return Message();
    return ParseProto<Message>(UnpadMessage(*plain).value()).value();
}

TEST(ConnectionSend, QuotedReplyCarriesContextInfoOnTheWire) {
    SendFixture f;
    OutgoingText out;
    out.id = "3EB0QUOTEDREPLY0000001";
    out.to = "15550002222@s.whatsapp.net";
    out.text = "yes, tomorrow";
    out.quote = OutgoingText::Quote{"3EB0ORIGINAL", "15550002222:3@s.whatsapp.net", "can we meet?"};
    Node message = f.SendThrough(out);
    EXPECT_EQ(message.AttrOr("id", ""), out.id) << "the caller's id is the stanza's id";
    const Node* to_peer = nullptr;
    for (const Node* to : message.Child("participants")->Children("to"))
        if (to->AttrOr("jid", "") == "15550002222@s.whatsapp.net") to_peer = to;
    ASSERT_NE(to_peer, nullptr);
    Message got = DecryptFromUs(f.peer_phone, *to_peer->Child("enc"));
    EXPECT_FALSE(got.has_conversation());
    ASSERT_TRUE(got.has_extendedtextmessage());
    EXPECT_EQ(got.extendedtextmessage().text(), "yes, tomorrow");
    const auto& context = got.extendedtextmessage().contextinfo();
    EXPECT_EQ(context.stanzaid(), "3EB0ORIGINAL");
    EXPECT_EQ(context.participant(), "15550002222@s.whatsapp.net") << "the sender's user JID, no device";
    EXPECT_EQ(context.quotedmessage().conversation(), "can we meet?");
}

TEST(ConnectionSend, FailuresAreReportedWithAReason) {
    SendFixture f;
    // A server error ack.
    Node sent = f.SendThrough(OutgoingText{"3EB0REJECTED00000000001", "15550002222@s.whatsapp.net", "x", {}});
    f.server.Send(Node("ack", {{"class", "message"}, {"id", "3EB0REJECTED00000000001"},
                               {"from", "15550002222@s.whatsapp.net"}, {"error", "479"}}));
    f.Pump();
    ASSERT_EQ(f.c.events.acks.size(), 1u);
    EXPECT_EQ(f.c.events.acks[0], (std::pair<std::string, int>{"3EB0REJECTED00000000001", 479}));

    // A number without devices.
    ASSERT_TRUE(f.c.connection->Send(OutgoingText{"3EB0NODEVICES0000000001", "15550009999@s.whatsapp.net", "x", {}}));
    f.Pump();
    auto usync = f.server.Pop();
    ASSERT_TRUE(usync);
    f.server.Send(UsyncResult(*usync, NodeList{DeviceUser("15550009999@s.whatsapp.net", NodeList{})}));
    f.Pump();
    EXPECT_FALSE(f.server.Pop().has_value()) << "nothing is sent";

    // A key fetch the server refuses.
    ASSERT_TRUE(f.c.connection->Send(OutgoingText{"3EB0NOKEYS000000000001", "15550008888@s.whatsapp.net", "x", {}}));
    f.Pump();
    usync = f.server.Pop();
    ASSERT_TRUE(usync);
    f.server.Send(UsyncResult(*usync, NodeList{DeviceUser("15550008888@s.whatsapp.net", NodeList{Node("device", {{"id", "0"}})})}));
    f.Pump();
    auto key_iq = f.server.Pop();
    ASSERT_TRUE(key_iq);
    f.server.Send(Node("iq", {{"id", std::string(key_iq->AttrOr("id", ""))}, {"type", "error"}, {"from", "s.whatsapp.net"}},
                       NodeList{Node("error", {{"code", "500"}})}));
    f.Pump();
    using Failure = std::pair<std::string, std::string>;
    EXPECT_EQ(f.c.events.send_failures,
              (std::vector<Failure>{{"3EB0NODEVICES0000000001", "no_devices"}, {"3EB0NOKEYS000000000001", "key_fetch_failed"}}));

    // The same id handed again to this connection is not sent again.
    ASSERT_TRUE(f.c.connection->Send(OutgoingText{"3EB0REJECTED00000000001", "15550002222@s.whatsapp.net", "x", {}}));
    f.Pump();
    EXPECT_FALSE(f.server.Pop().has_value());
}

TEST(ConnectionRetry, ReceiptWithKeysGetsANewSessionAndTheSameIdForThatDeviceOnly) {
    SendFixture f;
    const std::string id = "3EB0RETRYWITHKEYS000001";
    Node first = f.SendThrough(OutgoingText{id, "15550002222@s.whatsapp.net", "did you get this?", {}});
    ASSERT_EQ(first.Child("participants")->Children("to").size(), 3u);

    // The peer's web client lost its session with us (reinstalled: new keys) and asks again.
    Peer reinstalled;
    f.server.Send(SendFixture::RetryReceipt(id, "15550002222:7@s.whatsapp.net", 2, &reinstalled));
    f.Pump();
    auto ack = f.server.Pop();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->tag, "ack");
    EXPECT_EQ(ack->AttrOr("class", ""), "receipt");
    EXPECT_EQ(ack->AttrOr("type", ""), "retry");
    auto resend = f.server.Pop();
    ASSERT_TRUE(resend);
    EXPECT_EQ(resend->tag, "message");
    EXPECT_EQ(resend->AttrOr("id", ""), id);
    EXPECT_EQ(resend->AttrOr("to", ""), "15550002222:7@s.whatsapp.net");
    EXPECT_EQ(resend->AttrOr("device_fanout", ""), "false");
    EXPECT_EQ(resend->Child("participants"), nullptr) << "for that one device only";
    ASSERT_EQ(resend->Children("enc").size(), 1u);
    const Node& enc = *resend->Child("enc");
    EXPECT_EQ(enc.AttrOr("count", ""), "2");
    EXPECT_EQ(enc.AttrOr("type", ""), "pkmsg") << "a new session from the receipt's keys";
    ASSERT_NE(resend->Child("device-identity"), nullptr);
    EXPECT_EQ(*resend->Child("device-identity")->ContentBytes(), f.c.creds.account);
    // Only the reinstalled device can read it: the session was built from its <keys>.
    Message got = DecryptFromUs(reinstalled, enc);
    EXPECT_EQ(got.conversation(), "did you get this?");
    EXPECT_FALSE(f.server.Pop().has_value());

    // A retry for a message we do not have is acked and dropped.
    f.server.Send(SendFixture::RetryReceipt("3EB0NOTOURS", "15550002222:7@s.whatsapp.net", 1, &reinstalled, 2));
    f.Pump();
    auto ack2 = f.server.Pop();
    ASSERT_TRUE(ack2);
    EXPECT_EQ(ack2->tag, "ack");
    EXPECT_FALSE(f.server.Pop().has_value());
}

TEST(ConnectionRetry, ReceiptWithoutKeysFetchesAFreshBundle) {
    SendFixture f;
    const std::string id = "3EB0RETRYNOKEYS00000001";
    f.SendThrough(OutgoingText{id, "15550002222@s.whatsapp.net", "hello again", {}});
    Peer reinstalled;
    f.server.Send(SendFixture::RetryReceipt(id, "15550002222:7@s.whatsapp.net", 1, nullptr));
    f.Pump();
    EXPECT_EQ(f.server.Pop()->tag, "ack");
    auto key_iq = f.server.Pop();
    ASSERT_TRUE(key_iq);
    EXPECT_EQ(key_iq->AttrOr("xmlns", ""), "encrypt");
    const Node* user = key_iq->Child("key")->Child("user");
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->AttrOr("jid", ""), "15550002222:7@s.whatsapp.net");
    EXPECT_EQ(user->AttrOr("reason", ""), "identity");
    f.server.Send(IqResult(*key_iq, NodeList{Node("list", {}, NodeList{reinstalled.BundleNode("15550002222:7@s.whatsapp.net", 3)})}));
    f.Pump();
    auto resend = f.server.Pop();
    ASSERT_TRUE(resend);
    EXPECT_EQ(resend->AttrOr("id", ""), id);
    EXPECT_EQ(resend->AttrOr("to", ""), "15550002222:7@s.whatsapp.net");
    EXPECT_EQ(resend->Child("enc")->AttrOr("count", ""), "1");
    EXPECT_EQ(DecryptFromUs(reinstalled, *resend->Child("enc")).conversation(), "hello again");
}

TEST(ConnectionRetry, ChangedRegistrationDropsTheOldSessionBeforeTheFetch) {
    SendFixture f;
    const std::string id = "3EB0RETRYREGISTRATION01";
    f.SendThrough(OutgoingText{id, "15550002222@s.whatsapp.net", "x", {}});
    const SignalAddress web{"15550002222", 7};
    ASSERT_TRUE(f.c.signal->HasSession(web));
    auto refuse_fetch = [&] {
        auto key_iq = f.server.Pop();
        ASSERT_TRUE(key_iq);
        ASSERT_EQ(key_iq->AttrOr("xmlns", ""), "encrypt");
        f.server.Send(Node("iq", {{"id", std::string(key_iq->AttrOr("id", ""))}, {"type", "error"}, {"from", "s.whatsapp.net"}},
                           NodeList{Node("error", {{"code", "500"}})}));
        f.Pump();
        EXPECT_FALSE(f.server.Pop().has_value()) << "no bundle, no resend";
    };
    // The same registration: the session stays (the fetched bundle would replace it).
    Node same = SendFixture::RetryReceipt(id, "15550002222:7@s.whatsapp.net", 1, nullptr);
    const std::uint32_t reg = f.peer_web.creds.registration_id;
    for (auto& child : std::get<NodeList>(same.content))
        if (child.tag == "registration")
            child.content = Bytes{static_cast<std::uint8_t>(reg >> 24), static_cast<std::uint8_t>(reg >> 16),
                                  static_cast<std::uint8_t>(reg >> 8), static_cast<std::uint8_t>(reg)};
    f.server.Send(same);
    f.Pump();
    EXPECT_EQ(f.server.Pop()->tag, "ack");
    refuse_fetch();
    EXPECT_TRUE(f.c.signal->HasSession(web));
    // Another registration (the device was re-registered): the old session is gone at once.
    f.server.Send(SendFixture::RetryReceipt(id, "15550002222:7@s.whatsapp.net", 2, nullptr));
    f.Pump();
    EXPECT_EQ(f.server.Pop()->tag, "ack");
    refuse_fetch();
    EXPECT_FALSE(f.c.signal->HasSession(web));
}

TEST(ConnectionRetry, AnswersAreBoundedPerMessageAndDevice) {
    SendFixture f;
    const std::string id = "3EB0RETRYBOUND000000001";
    f.SendThrough(OutgoingText{id, "15550002222@s.whatsapp.net", "x", {}});
    Peer reinstalled;
    int resends = 0;
    for (int count = 1; count <= 8; ++count) {
        f.server.Send(SendFixture::RetryReceipt(id, "15550002222:7@s.whatsapp.net", count, &reinstalled,
                                                static_cast<std::size_t>(count % 5)));
        f.Pump();
        while (auto n = f.server.Pop()) resends += n->tag == "message";
    }
    EXPECT_EQ(resends, 5);
    // Another device of the same chat has its own counter.
    Peer other;
    f.server.Send(SendFixture::RetryReceipt(id, "15550002222:8@s.whatsapp.net", 1, &other));
    f.Pump();
    int other_resends = 0;
    while (auto n = f.server.Pop()) other_resends += n->tag == "message";
    EXPECT_EQ(other_resends, 1);
}

TEST(ConnectionRetry, ReceiptFromAPhoneWithoutDevicePartResendsToEveryDevice) {
    SendFixture f;
    const std::string id = "3EB0RETRYPHONE000000001";
    f.SendThrough(OutgoingText{id, "15550002222@s.whatsapp.net", "for every device", {}});
    Peer reinstalled_phone;
    f.server.Send(SendFixture::RetryReceipt(id, "15550002222@s.whatsapp.net", 1, &reinstalled_phone));
    f.Pump();
    EXPECT_EQ(f.server.Pop()->tag, "ack");
    auto usync = f.server.Pop();
    ASSERT_TRUE(usync);
    EXPECT_EQ(usync->AttrOr("xmlns", ""), "usync") << "the device list is asked again";
    f.server.Send(UsyncResult(
        *usync, NodeList{DeviceUser("15551234567@s.whatsapp.net", NodeList{Node("device", {{"id", "0"}})}),
                         DeviceUser("15550002222@s.whatsapp.net", NodeList{Node("device", {{"id", "0"}}),
                                                                            Node("device", {{"id", "7"}, {"key-index", "1"}})})}));
    f.Pump();
    auto resend = f.server.Pop();
    ASSERT_TRUE(resend);
    EXPECT_EQ(resend->tag, "message");
    EXPECT_EQ(resend->AttrOr("id", ""), id);
    EXPECT_EQ(resend->AttrOr("to", ""), "15550002222@s.whatsapp.net");
    std::set<std::string> devices;
    const Node* phone_to = nullptr;
    for (const Node* to : resend->Child("participants")->Children("to")) {
        devices.insert(std::string(to->AttrOr("jid", "")));
        if (to->AttrOr("jid", "") == "15550002222@s.whatsapp.net") phone_to = to;
    }
    EXPECT_EQ(devices, (std::set<std::string>{"15551234567@s.whatsapp.net", "15550002222@s.whatsapp.net",
                                              "15550002222:7@s.whatsapp.net"}));
    ASSERT_NE(phone_to, nullptr);
    EXPECT_EQ(DecryptFromUs(reinstalled_phone, *phone_to->Child("enc")).conversation(), "for every device");
}

}  // namespace
}  // namespace wadesk::wa
