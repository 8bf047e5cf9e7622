#include "whatsapp/noise/handshake.h"

#include <gtest/gtest.h>

#include "whatsapp/noise/frame.h"

namespace wadesk::wa::noise {
namespace {

KeyPair Fixed(std::uint8_t b) {
    Key32 k;
    k.fill(b);
    return crypto::KeyPairFromPrivate(k);
}
std::string Hex(const Key32& k) { return ToHex(BytesView(k.data(), k.size())); }
BytesView V(const Key32& k) { return {k.data(), k.size()}; }
constexpr char kClientWrite[] = "c31a41f546e9dbcff8d081f3ef6d21d9c2f5f3d5e0dd117666b8a736ba1034a9";
constexpr char kClientRead[] = "1a8727358ef04e4c6e458345ff8a7d5bc4952a553fa3c48023e9b9d1af9b89f2";

// wa-protocol §17: ce = 0x11.., se = 0x22.., ss = 0x33.., cs = 0x44..
TEST(NoiseSymmetricState, MatchesReferenceVector) {
    const KeyPair ce = Fixed(0x11), se = Fixed(0x22), ss = Fixed(0x33), cs = Fixed(0x44);
    SymmetricState st(BytesView(kWaHeader.data(), kWaHeader.size()));
    EXPECT_EQ(Hex(st.h()), "ffff0c9267310966f1311170c04b38c79504285bf5edf763e5c946492a50a755");
    st.MixHash(V(ce.pub));
    EXPECT_EQ(Hex(st.h()), "6c9ea30317f933b43ebefedd04d07fa1428b9530c67179ef1189ce3a91089bae");
    ASSERT_TRUE(st.MixKey(V(crypto::SharedSecret(ce.priv, se.pub).value())).has_value());
    EXPECT_EQ(Hex(st.ck()).substr(0, 8), "822357b9");
    EXPECT_EQ(Hex(st.ck()).substr(56), "f53c704c");
    EXPECT_EQ(Hex(st.k()), "beb6a635fd2edde7607ce687048ec6bf9576aab2535146c1b3bfc47df83ce9bf");
    ASSERT_TRUE(st.MixKey(V(crypto::SharedSecret(ce.priv, ss.pub).value())).has_value());
    EXPECT_EQ(Hex(st.ck()).substr(0, 8), "7a0507cd");
    EXPECT_EQ(Hex(st.ck()).substr(56), "072583cd");
    EXPECT_EQ(Hex(st.k()), "b95b5077c1e3a691a7ed30900420bdfbdb3af89c0babcbd8d70c13c787b0046e");
    ASSERT_TRUE(st.MixKey(V(crypto::SharedSecret(cs.priv, se.pub).value())).has_value());
    EXPECT_EQ(Hex(st.ck()), "f398805a9f14327f20ac49143d1941234ca5b52492a791b47b53c711e543903e");
    auto [write, read] = st.Split();
    EXPECT_EQ(Hex(write), kClientWrite);
    EXPECT_EQ(Hex(read), kClientRead);
}

TEST(NoiseHandshake, FullHandshakeWithFixedKeysAndTransport) {
    Initiator client(Fixed(0x44), Fixed(0x11));
    Responder server(Fixed(0x33), wadesk::ToBytes("cert-chain"), Fixed(0x22));
    const Key32 e = client.WriteClientHello();
    auto hello = server.ReadClientHello(V(e));
    ASSERT_TRUE(hello.has_value()) << hello.error().message;
    EXPECT_EQ(hello->static_ciphertext.size(), 48u);
    auto server_id = client.ReadServerHello(*hello);
    ASSERT_TRUE(server_id.has_value()) << server_id.error().message;
    EXPECT_EQ(server_id->server_static, Fixed(0x33).pub);
    EXPECT_EQ(ToString(server_id->cert_chain), "cert-chain");
    auto finish = client.WriteClientFinish(AsBytes("client-payload"));
    ASSERT_TRUE(finish.has_value());
    auto client_id = server.ReadClientFinish(*finish);
    ASSERT_TRUE(client_id.has_value()) << client_id.error().message;
    EXPECT_EQ(client_id->client_static, Fixed(0x44).pub);
    EXPECT_EQ(ToString(client_id->payload), "client-payload");
    EXPECT_EQ(client.state().h(), server.state().h());

    auto ck = client.Split();
    auto sk = server.Split();
    ASSERT_TRUE(ck.has_value() && sk.has_value());
    EXPECT_EQ(Hex(ck->send.key()), kClientWrite);
    EXPECT_EQ(Hex(ck->recv.key()), kClientRead);
    EXPECT_EQ(sk->send.key(), ck->recv.key());
    EXPECT_EQ(sk->recv.key(), ck->send.key());

    for (int i = 0; i < 3; ++i) {
        auto c2s = ck->send.Encrypt(AsBytes("ping"));
        ASSERT_TRUE(c2s.has_value());
        EXPECT_EQ(ToString(sk->recv.Decrypt(*c2s).value()), "ping");
    }
    auto s2c = sk->send.Encrypt(AsBytes("pong"));
    EXPECT_EQ(ToString(ck->recv.Decrypt(*s2c).value()), "pong");
    // Replaying a frame fails: the counter moved on.
    auto replay = ck->send.Encrypt(AsBytes("x"));
    EXPECT_TRUE(sk->recv.Decrypt(*replay).has_value());
    EXPECT_FALSE(sk->recv.Decrypt(*replay).has_value());
}

TEST(NoiseHandshake, RandomKeysAgree) {
    for (int i = 0; i < 5; ++i) {
        Initiator client(crypto::GenerateKeyPair());
        Responder server(crypto::GenerateKeyPair(), Bytes(200, 9));
        auto hello = server.ReadClientHello(V(client.WriteClientHello()));
        ASSERT_TRUE(hello.has_value());
        ASSERT_TRUE(client.ReadServerHello(*hello).has_value());
        auto finish = client.WriteClientFinish(Bytes(500, 1));
        ASSERT_TRUE(server.ReadClientFinish(*finish).has_value());
        EXPECT_EQ(client.Split()->send.key(), server.Split()->recv.key());
    }
}

// Flip one byte of every handshake field in turn: the receiving side must fail cleanly and then
// refuse to go on.
TEST(NoiseHandshake, TamperedServerHelloFails) {
    for (int field = 0; field < 3; ++field) {
        for (std::size_t pos : {std::size_t{0}, std::size_t{17}, std::size_t{47}}) {
            Initiator client(crypto::GenerateKeyPair());
            Responder server(crypto::GenerateKeyPair(), Bytes(64, 5));
            auto hello = server.ReadClientHello(V(client.WriteClientHello())).value();
            if (field == 0) hello.ephemeral[pos % 32] ^= 0x40;
            if (field == 1) hello.static_ciphertext[pos] ^= 0x01;
            if (field == 2) hello.payload_ciphertext[pos] ^= 0x01;
            EXPECT_FALSE(client.ReadServerHello(hello).has_value()) << field << "/" << pos;
            EXPECT_FALSE(client.WriteClientFinish(AsBytes("p")).has_value());
            EXPECT_FALSE(client.Split().has_value());
        }
    }
}

TEST(NoiseHandshake, TamperedClientFinishFails) {
    for (int field = 0; field < 2; ++field) {
        for (std::size_t pos : {std::size_t{0}, std::size_t{20}, std::size_t{47}}) {
            Initiator client(crypto::GenerateKeyPair());
            Responder server(crypto::GenerateKeyPair(), Bytes(64, 5));
            auto hello = server.ReadClientHello(V(client.WriteClientHello())).value();
            ASSERT_TRUE(client.ReadServerHello(hello).has_value());
            auto finish = client.WriteClientFinish(Bytes(60, 3)).value();
            if (field == 0) finish.static_ciphertext[pos] ^= 0x01;
            if (field == 1) finish.payload_ciphertext[pos] ^= 0x01;
            EXPECT_FALSE(server.ReadClientFinish(finish).has_value()) << field << "/" << pos;
            EXPECT_FALSE(server.Split().has_value());
        }
    }
}

TEST(NoiseHandshake, TamperedClientHelloMakesKeysDisagree) {
    Initiator client(crypto::GenerateKeyPair());
    Responder server(crypto::GenerateKeyPair(), Bytes(64, 5));
    Key32 e = client.WriteClientHello();
    e[3] ^= 0x01;
    auto hello = server.ReadClientHello(V(e));
    ASSERT_TRUE(hello.has_value());
    EXPECT_FALSE(client.ReadServerHello(*hello).has_value());
}

TEST(NoiseHandshake, RejectsMalformedAndOutOfOrderInput) {
    Responder server(crypto::GenerateKeyPair(), Bytes(8, 1));
    EXPECT_FALSE(server.ReadClientHello(Bytes(31)).has_value());
    EXPECT_FALSE(server.ReadClientHello(Bytes(32, 1)).has_value());  // dead after failure

    Responder s2(crypto::GenerateKeyPair(), Bytes(8, 1));
    EXPECT_FALSE(s2.ReadClientFinish({Bytes(48), Bytes(20)}).has_value());  // before hello
    Responder s3(crypto::GenerateKeyPair(), Bytes(8, 1));
    EXPECT_FALSE(s3.ReadClientHello(Bytes(32, 0)).has_value());  // small-order ephemeral

    Initiator client(crypto::GenerateKeyPair());
    EXPECT_FALSE(client.ReadServerHello({}).has_value());  // before ClientHello
    Initiator c2(crypto::GenerateKeyPair());
    Responder s4(crypto::GenerateKeyPair(), Bytes(8, 1));
    auto hello = s4.ReadClientHello(V(c2.WriteClientHello())).value();
    hello.static_ciphertext.resize(40);
    EXPECT_FALSE(c2.ReadServerHello(hello).has_value());
}

TEST(NoiseHandshake, TamperedTransportFrameFails) {
    Initiator client(crypto::GenerateKeyPair());
    Responder server(crypto::GenerateKeyPair(), Bytes(8, 1));
    auto hello = server.ReadClientHello(V(client.WriteClientHello())).value();
    ASSERT_TRUE(client.ReadServerHello(hello).has_value());
    ASSERT_TRUE(server.ReadClientFinish(client.WriteClientFinish(Bytes(3)).value()).has_value());
    auto ck = client.Split().value();
    auto sk = server.Split().value();
    auto ct = ck.send.Encrypt(AsBytes("hello")).value();
    ct[2] ^= 1;
    auto r = sk.recv.Decrypt(ct);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "auth_failed");
    EXPECT_FALSE(sk.recv.Decrypt(Bytes(5)).has_value());
}

}  // namespace
}  // namespace wadesk::wa::noise
