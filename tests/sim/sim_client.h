#pragma once
// Test support for the sim's protocol core without sockets: an in-memory companion (`Client`) that
// runs the real Noise initiator, the binary codec and the companion side of QR pairing against a
// SimConnection, and the `SimTest` fixture (one account, kPhone) that pairs and logs clients in.
// Included by one test translation unit each (everything is in an anonymous namespace).
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/server.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"
#include "whatsapp/crypto/primitives.h"
#include "whatsapp/noise/cert_chain.h"
#include "whatsapp/noise/messages.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {
namespace {
namespace crypto = wa::crypto;
namespace noise = wa::noise;
using wa::Attrs;
using wa::Node;
using wa::NodeList;

constexpr char kPhone[] = "15550001111";

class Wire : public ConnectionSink {
public:
    void Send(Bytes m) override { sent.push_back(std::move(m)); }
    void Close() override { closed = true; }
    std::deque<Bytes> sent;
    bool closed = false;
};

Bytes Be(std::uint32_t v, std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
    return out;
}
Bytes K(const Key32& k) { return Bytes(k.begin(), k.end()); }

// The companion: our side of the wire, in memory.
class Client {
public:
    explicit Client(SimServer& server) : server_(server) {}

    KeyPair noise_key = crypto::GenerateKeyPair();
    KeyPair identity = crypto::GenerateKeyPair();
    Bytes adv_secret = RandomBytes(32);
    Wire wire;

    // Runs the handshake with `payload`; verifies the sim's certificate chain strictly.
    void Handshake(const wa::ClientPayload& payload) {
        conn_ = std::make_unique<SimConnection>(server_, wire);
        noise::Initiator init(noise_key);
        Feed(noise::EncodeFrame(noise::EncodeClientHello(init.WriteClientHello()), noise::Intro::kWaHeader).value());
        Bytes frame = NextFrame();
        auto hello = noise::ParseServerHello(frame);
        ASSERT_TRUE(hello.has_value());
        auto id = init.ReadServerHello(*hello);
        ASSERT_TRUE(id.has_value());
        ASSERT_TRUE(noise::VerifyCertChain(id->cert_chain, id->server_static, server_.RootKey(), server_.now()).has_value());
        auto finish = init.WriteClientFinish(wa::SerializeProto(payload)).value();
        Feed(noise::EncodeFrame(noise::EncodeClientFinish(finish)).value());
        keys_ = init.Split().value();
    }

    wa::ClientPayload RegistrationPayload() const {
        wa::ClientPayload p;
        p.set_passive(false);
        auto* d = p.mutable_devicepairingdata();
        d->set_eregid(ToString(Be(1234, 4)));
        d->set_ekeytype("\x05");
        d->set_eident(ToString(K(identity.pub)));
        d->set_eskeyid(ToString(Be(1, 3)));
        d->set_eskeyval(ToString(K(spk.pub)));
        Bytes msg{0x05};
        Append(msg, K(spk.pub));
        const auto sig = crypto::Sign(identity.priv, msg);
        d->set_eskeysig(std::string(sig.begin(), sig.end()));
        return p;
    }

    static wa::ClientPayload LoginPayload(std::uint64_t user, std::uint32_t device) {
        wa::ClientPayload p;
        p.set_username(user);
        p.set_device(device);
        p.set_passive(true);
        return p;
    }

    void Feed(BytesView data) { conn_->OnMessage(data); }

    Bytes NextFrame() {
        while (true) {
            Bytes f;
            if (reader_.Next(f)) return f;
            if (wire.sent.empty()) return {};
            EXPECT_TRUE(reader_.Feed(wire.sent.front()).has_value());
            wire.sent.pop_front();
        }
    }

    // Next stanza from the sim; a node tagged "<none>" when there is none.
    Node Receive() {
        Bytes f = NextFrame();
        if (f.empty()) return Node("<none>");
        auto plain = keys_.recv.Decrypt(f);
        EXPECT_TRUE(plain.has_value());
        if (!plain) return Node("<undecryptable>");
        auto node = wa::DecodeStanza(*plain);
        EXPECT_TRUE(node.has_value());
        return node ? *node : Node("<undecodable>");
    }

    void Send(const Node& node) {
        auto ct = keys_.send.Encrypt(wa::EncodeStanza(node).value()).value();
        Feed(noise::EncodeFrame(ct).value());
    }

    Node Query(const Node& iq) {
        Send(iq);
        return Receive();
    }

    // Registration up to the pair-device IQ; returns the refs.
    std::vector<std::string> Register() {
        Handshake(RegistrationPayload());
        Node pd = Receive();
        EXPECT_EQ(pd.tag, "iq");
        EXPECT_EQ(pd.AttrOr("xmlns", ""), "md");
        const Node* refs = pd.Child("pair-device");
        std::vector<std::string> out;
        if (!refs) return out;
        for (const Node* r : refs->Children("ref")) out.push_back(std::string(r->ContentString().value_or("")));
        Send(Node("iq", Attrs{{"to", "@s.whatsapp.net"}, {"type", "result"}, {"id", std::string(pd.AttrOr("id", ""))}}));
        return out;
    }

    std::string Qr(const std::string& ref) const {
        return "https://wa.me/settings/linked_devices#" + ref + "," + Base64Encode(K(noise_key.pub)) + "," +
               Base64Encode(K(identity.pub)) + "," + Base64Encode(adv_secret) + ",1";
    }

    // Handles pair-success as a companion does (HMAC, account signature) and answers with the
    // device signature. `tamper` corrupts the reply.
    void CompletePairing(const Node& iq, bool tamper = false) {
        const Node* ps = iq.Child("pair-success");
        ASSERT_NE(ps, nullptr);
        const Bytes* container = ps->Child("device-identity")->ContentBytes();
        auto hmac = wa::ParseProto<wa::ADVSignedDeviceIdentityHMAC>(*container).value();
        const auto mac = crypto::HmacSha256(adv_secret, AsBytes(hmac.details()));
        ASSERT_EQ(hmac.hmac(), std::string(mac.begin(), mac.end()));
        auto account = wa::ParseProto<wa::ADVSignedDeviceIdentity>(AsBytes(hmac.details())).value();
        const Key32 account_key = crypto::ToKey32(AsBytes(account.accountsignaturekey())).value();
        const Bytes acct_msg = Concat({Bytes{6, 0}, AsBytes(account.details()), K(identity.pub)});
        ASSERT_TRUE(crypto::Verify(account_key, acct_msg, AsBytes(account.accountsignature())));
        auto details = wa::ParseProto<wa::ADVDeviceIdentity>(AsBytes(account.details())).value();
        key_index = details.keyindex();
        const Bytes dev_msg = Concat({Bytes{6, 1}, AsBytes(account.details()), K(identity.pub), K(account_key)});
        auto sig = crypto::Sign(identity.priv, dev_msg);
        if (tamper) sig[10] ^= 1;
        account.set_devicesignature(std::string(sig.begin(), sig.end()));
        account.clear_accountsignaturekey();
        Send(Node("iq", Attrs{{"to", "@s.whatsapp.net"}, {"type", "result"}, {"id", std::string(iq.AttrOr("id", ""))}},
                  NodeList{Node("pair-device-sign", Attrs{},
                                NodeList{Node("device-identity", Attrs{{"key-index", std::to_string(key_index)}},
                                              wa::SerializeProto(account))})}));
    }

    bool connection_closed() const { return wire.closed || (conn_ && conn_->closed()); }

    KeyPair spk = crypto::GenerateKeyPair();
    std::uint32_t key_index = 0;

private:
    SimServer& server_;
    std::unique_ptr<SimConnection> conn_;
    noise::FrameReader reader_;
    noise::TransportKeys keys_;
};

SimState FreshState() {
    SimState s;
    s.keys = GenerateServerKeys(static_cast<std::int64_t>(std::time(nullptr)));
    return s;
}

[[maybe_unused]] Node Iq(std::string xmlns, std::string type, NodeList children, std::string id = "q1") {
    Node n("iq", Attrs{{"id", std::move(id)}, {"xmlns", std::move(xmlns)}, {"type", std::move(type)},
                       {"to", "@s.whatsapp.net"}});
    n.content = std::move(children);
    return n;
}

class SimTest : public ::testing::Test {
protected:
    SimTest() : server(FreshState()) { account = server.CreateAccount(kPhone, "Sim Phone").value(); }

    // Pairs a new client fully and returns it (its connection closed after 515).
    std::unique_ptr<Client> Pair() {
        auto c = std::make_unique<Client>(server);
        auto refs = c->Register();
        EXPECT_EQ(refs.size(), 6u);
        auto scan = server.Scan(kPhone, c->Qr(refs.at(2)));
        EXPECT_TRUE(scan.has_value()) << scan.error().message;
        Node ps = c->Receive();
        c->CompletePairing(ps);
        Node err = c->Receive();
        EXPECT_EQ(err.tag, "stream:error");
        EXPECT_EQ(err.AttrOr("code", ""), "515");
        EXPECT_TRUE(c->connection_closed());
        return c;
    }

    std::unique_ptr<Client> Login(const Client& paired, std::uint32_t device) {
        auto c = std::make_unique<Client>(server);
        c->noise_key = paired.noise_key;
        c->identity = paired.identity;
        c->Handshake(Client::LoginPayload(std::stoull(kPhone), device));
        return c;
    }

    SimServer server;
    const Account* account = nullptr;
};

}  // namespace
}  // namespace wadesk::sim
