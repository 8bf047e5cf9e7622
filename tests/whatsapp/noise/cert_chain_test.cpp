#include "whatsapp/noise/cert_chain.h"

#include <gtest/gtest.h>

#include "whatsapp/noise/handshake.h"
#include "whatsapp/noise/messages.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa::noise {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
constexpr Validity kValid{kNow - 3600, kNow + 3600};

struct Fixture {
    crypto::KeyPair root = crypto::GenerateKeyPair();
    crypto::KeyPair inter = crypto::GenerateKeyPair();
    crypto::KeyPair server = crypto::GenerateKeyPair();
};

std::string Code(const Result<void>& r) { return r ? "ok" : r.error().code; }

TEST(CertChain, BuildsAndVerifies) {
    Fixture f;
    const Bytes chain = BuildCertChain(f.root, f.inter, f.server.pub, kValid, kValid);
    EXPECT_EQ(Code(VerifyCertChain(chain, f.server.pub, f.root.pub, kNow)), "ok");
    // Structure: serials 1 and 2, issuer serials 0 and 1.
    auto parsed = ParseProto<CertChain>(chain).value();
    auto inter = ParseProto<CertChain::NoiseCertificate::Details>(AsBytes(parsed.intermediate().details())).value();
    auto leaf = ParseProto<CertChain::NoiseCertificate::Details>(AsBytes(parsed.leaf().details())).value();
    EXPECT_EQ(inter.serial(), 1u);
    EXPECT_EQ(inter.issuerserial(), 0u);
    EXPECT_EQ(leaf.serial(), 2u);
    EXPECT_EQ(leaf.issuerserial(), 1u);
    EXPECT_EQ(leaf.key(), std::string(f.server.pub.begin(), f.server.pub.end()));
}

TEST(CertChain, RejectsWrongRoot) {
    Fixture f;
    const Bytes chain = BuildCertChain(f.root, f.inter, f.server.pub, kValid, kValid);
    EXPECT_EQ(Code(VerifyCertChain(chain, f.server.pub, crypto::GenerateKeyPair().pub, kNow)), "bad_cert_signature");
    EXPECT_EQ(Code(VerifyCertChain(chain, f.server.pub, kWhatsAppRootKey, kNow)), "bad_cert_signature");
}

TEST(CertChain, RejectsExpiredAndNotYetValid) {
    Fixture f;
    const Bytes chain = BuildCertChain(f.root, f.inter, f.server.pub, kValid, kValid);
    EXPECT_EQ(Code(VerifyCertChain(chain, f.server.pub, f.root.pub, kNow + 3601)), "cert_expired");
    EXPECT_EQ(Code(VerifyCertChain(chain, f.server.pub, f.root.pub, kNow - 3601)), "cert_expired");
    const Bytes leaf_expired = BuildCertChain(f.root, f.inter, f.server.pub, kValid, {kNow - 10, kNow - 1});
    EXPECT_EQ(Code(VerifyCertChain(leaf_expired, f.server.pub, f.root.pub, kNow)), "cert_expired");
}

TEST(CertChain, RejectsMismatchedLeafKey) {
    Fixture f;
    const Bytes chain = BuildCertChain(f.root, f.inter, f.server.pub, kValid, kValid);
    EXPECT_EQ(Code(VerifyCertChain(chain, crypto::GenerateKeyPair().pub, f.root.pub, kNow)), "cert_key_mismatch");
}

TEST(CertChain, RejectsTamperedAndMalformedChains) {
    Fixture f;
    const Bytes good = BuildCertChain(f.root, f.inter, f.server.pub, kValid, kValid);
    auto base = ParseProto<CertChain>(good).value();

    auto with = [&](auto mutate) {
        CertChain c = base;
        mutate(c);
        return Code(VerifyCertChain(SerializeProto(c), f.server.pub, f.root.pub, kNow));
    };
    EXPECT_EQ(with([](CertChain& c) { c.clear_intermediate(); }), "bad_cert_chain");
    EXPECT_EQ(with([](CertChain& c) { c.mutable_leaf()->clear_signature(); }), "bad_cert_chain");
    EXPECT_EQ(with([](CertChain& c) { c.mutable_leaf()->mutable_signature()->pop_back(); }), "bad_cert_chain");
    EXPECT_EQ(with([](CertChain& c) { (*c.mutable_leaf()->mutable_signature())[3] ^= 1; }), "bad_cert_signature");
    EXPECT_EQ(with([](CertChain& c) { (*c.mutable_intermediate()->mutable_details())[10] ^= 1; }),
              "bad_cert_signature");
    EXPECT_EQ(with([](CertChain& c) { c.mutable_leaf()->set_details("\xff\xff"); }), "bad_cert_chain");

    // Correctly signed but with a wrong issuer serial.
    CertChain::NoiseCertificate::Details d;
    d.set_serial(2);
    d.set_issuerserial(7);
    d.set_key(std::string(f.server.pub.begin(), f.server.pub.end()));
    d.set_notbefore(kValid.not_before);
    d.set_notafter(kValid.not_after);
    const Bytes details = SerializeProto(d);
    const auto sig = crypto::Sign(f.inter.priv, details);
    EXPECT_EQ(with([&](CertChain& c) {
                  c.mutable_leaf()->set_details(ToString(details));
                  c.mutable_leaf()->set_signature(std::string(sig.begin(), sig.end()));
              }),
              "bad_cert_chain");

    EXPECT_EQ(Code(VerifyCertChain(AsBytes("garbage\x01\x02"), f.server.pub, f.root.pub, kNow)), "bad_cert_chain");
    EXPECT_EQ(Code(VerifyCertChain({}, f.server.pub, f.root.pub, kNow)), "bad_cert_chain");
}

// The whole handshake through the protobuf messages with certificate verification on the client.
TEST(CertChain, HandshakeOverProtobufMessages) {
    Fixture f;
    const Bytes chain = BuildCertChain(f.root, f.inter, f.server.pub, kValid, kValid);
    Initiator client(crypto::GenerateKeyPair());
    Responder server(f.server, chain);

    auto e = ParseClientHello(EncodeClientHello(client.WriteClientHello()));
    ASSERT_TRUE(e.has_value());
    auto hello = server.ReadClientHello(BytesView(e->data(), e->size()));
    ASSERT_TRUE(hello.has_value());
    auto parsed_hello = ParseServerHello(EncodeServerHello(*hello));
    ASSERT_TRUE(parsed_hello.has_value());
    auto id = client.ReadServerHello(*parsed_hello);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(Code(VerifyCertChain(id->cert_chain, id->server_static, f.root.pub, kNow)), "ok");
    auto finish = ParseClientFinish(EncodeClientFinish(client.WriteClientFinish(AsBytes("payload")).value()));
    ASSERT_TRUE(finish.has_value());
    auto cid = server.ReadClientFinish(*finish);
    ASSERT_TRUE(cid.has_value());
    EXPECT_EQ(ToString(cid->payload), "payload");

    EXPECT_FALSE(ParseClientHello(AsBytes("\x12\x03\x0a\x01\x01")).has_value());  // 1-byte ephemeral
    EXPECT_FALSE(ParseClientHello(AsBytes("\xff")).has_value());
    EXPECT_FALSE(ParseServerHello(EncodeClientHello(Key32{})).has_value());
    EXPECT_FALSE(ParseClientFinish(Bytes{}).has_value());
}

}  // namespace
}  // namespace wadesk::wa::noise
