#include "whatsapp/crypto/curve25519.h"

#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <signal/curve.h>
#include <signal/signal_protocol.h>

#include <cstring>

namespace wadesk::wa::crypto {
namespace {

Key32 KeyFromHex(std::string_view hex) { return ToKey32(*FromHex(hex)).value(); }
Key32 Filled(std::uint8_t b) {
    Key32 k;
    k.fill(b);
    return k;
}

TEST(Curve25519, NoiseVectorPublicKeys) {
    EXPECT_EQ(ToHex(View(KeyPairFromPrivate(Filled(0x11)).pub)),
              "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13");
    EXPECT_EQ(ToHex(View(KeyPairFromPrivate(Filled(0x22)).pub)),
              "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20");
    EXPECT_EQ(ToHex(View(KeyPairFromPrivate(Filled(0x33)).pub)),
              "7b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14");
    EXPECT_EQ(ToHex(View(KeyPairFromPrivate(Filled(0x44)).pub)),
              "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b");
}

TEST(Curve25519, AgreementIsSymmetric) {
    const KeyPair a = GenerateKeyPair(), b = GenerateKeyPair();
    EXPECT_EQ(SharedSecret(a.priv, b.pub).value(), SharedSecret(b.priv, a.pub).value());
    EXPECT_NE(a.pub, b.pub);
}

TEST(Curve25519, RejectsSmallOrderPublicKey) {
    const KeyPair a = GenerateKeyPair();
    auto r = SharedSecret(a.priv, Key32{});  // u = 0 has order 4
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "weak_public_key");
}

TEST(Curve25519, ToKey32ChecksLength) {
    EXPECT_FALSE(ToKey32(Bytes(31)).has_value());
    EXPECT_FALSE(ToKey32(Bytes(33)).has_value());
    EXPECT_TRUE(ToKey32(Bytes(32)).has_value());
}

TEST(Curve25519, SignVerifyRoundTripAndTamper) {
    for (int i = 0; i < 32; ++i) {
        const KeyPair kp = GenerateKeyPair();
        Bytes msg = RandomBytes(static_cast<std::size_t>(i * 7));
        Signature sig = Sign(kp.priv, msg);
        ASSERT_TRUE(Verify(kp.pub, msg, sig)) << i;
        Signature bad = sig;
        bad[i % 64] ^= 0x01;
        EXPECT_FALSE(Verify(kp.pub, msg, bad)) << i;
        Bytes other = msg;
        other.push_back(1);
        EXPECT_FALSE(Verify(kp.pub, other, sig));
        EXPECT_FALSE(Verify(GenerateKeyPair().pub, msg, sig));
        EXPECT_FALSE(Verify(kp.pub, msg, BytesView(sig.data(), 63)));
    }
}

// Produced by curve25519-js (Baileys' libsignal-node): tests/vectors/curve25519_js_signatures.mjs
TEST(Curve25519, VerifiesCurve25519JsSignatures) {
    struct Vec {
        const char *priv, *pub, *msg, *sig;
    } vecs[] = {
        {"4444444444444444444444444444444444444444444444444444444444444444",
         "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b",
         "050faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20",
         "985d859d1ea122ebed2c56a017992cef14d61caa15972b9a9935dab757a89d203394b2f8d171ca00b229493a535269508633934eba0b93ff"
         "fe07db194924f38a"},
        {"a8abababababababababababababababababababababababababababababab6b",
         "e3712d851a0e5d79b831c5e34ab22b41a198171de209b8b8faca23a11c624859", "68656c6c6f",
         "22a3731261acf1347fec62f9f677139f5fad11194cab3eb26aa56286f205fbfe442313158b00b33453df8e69356fbdbc9b6bc43d927a41"
         "5c5675c5f0cae7ec01"},
    };
    for (const auto& v : vecs) {
        const KeyPair kp = KeyPairFromPrivate(KeyFromHex(v.priv));
        EXPECT_EQ(ToHex(View(kp.pub)), v.pub);
        EXPECT_TRUE(Verify(kp.pub, *FromHex(v.msg), *FromHex(v.sig)));
        Bytes sig = *FromHex(v.sig);
        sig[63] ^= 0x80;  // wrong sign bit
        EXPECT_FALSE(Verify(kp.pub, *FromHex(v.msg), sig));
    }
}

// Cross-check with libsignal-protocol-c (curve_calculate_signature / curve_verify_signature).
// Only random_func is used by signing; the others are unused here and report failure.
int RandomFunc(uint8_t* data, size_t len, void*) { return RAND_bytes(data, static_cast<int>(len)) == 1 ? 0 : -1; }
int HmacInit(void**, const uint8_t*, size_t, void*) { return -1; }
int HmacUpdate(void*, const uint8_t*, size_t, void*) { return -1; }
int HmacFinal(void*, signal_buffer**, void*) { return -1; }
void HmacCleanup(void*, void*) {}
int ShaInit(void**, void*) { return -1; }
int ShaUpdate(void*, const uint8_t*, size_t, void*) { return -1; }
int ShaFinal(void*, signal_buffer**, void*) { return -1; }
void ShaCleanup(void*, void*) {}
int Cipher(signal_buffer**, int, const uint8_t*, size_t, const uint8_t*, size_t, const uint8_t*, size_t, void*) {
    return -1;
}

class LibsignalC : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(signal_context_create(&ctx_, nullptr), 0);
        signal_crypto_provider provider{};
        provider.random_func = RandomFunc;
        provider.hmac_sha256_init_func = HmacInit;
        provider.hmac_sha256_update_func = HmacUpdate;
        provider.hmac_sha256_final_func = HmacFinal;
        provider.hmac_sha256_cleanup_func = HmacCleanup;
        provider.sha512_digest_init_func = ShaInit;
        provider.sha512_digest_update_func = ShaUpdate;
        provider.sha512_digest_final_func = ShaFinal;
        provider.sha512_digest_cleanup_func = ShaCleanup;
        provider.encrypt_func = Cipher;
        provider.decrypt_func = Cipher;
        ASSERT_EQ(signal_context_set_crypto_provider(ctx_, &provider), 0);
    }
    void TearDown() override { signal_context_destroy(ctx_); }
    signal_context* ctx_ = nullptr;
};

TEST_F(LibsignalC, SignaturesVerifyBothWays) {
    for (int i = 0; i < 8; ++i) {
        const KeyPair kp = GenerateKeyPair();
        const Bytes msg = RandomBytes(40 + static_cast<std::size_t>(i));

        ec_private_key* priv = nullptr;
        ASSERT_EQ(curve_decode_private_point(&priv, kp.priv.data(), 32, ctx_), 0);
        std::uint8_t pub33[33] = {0x05};
        std::memcpy(pub33 + 1, kp.pub.data(), 32);
        ec_public_key* pub = nullptr;
        ASSERT_EQ(curve_decode_point(&pub, pub33, 33, ctx_), 0);

        signal_buffer* c_sig = nullptr;
        ASSERT_EQ(curve_calculate_signature(ctx_, &c_sig, priv, msg.data(), msg.size()), 0);
        EXPECT_TRUE(Verify(kp.pub, msg, BytesView(signal_buffer_data(c_sig), signal_buffer_len(c_sig))));

        const Signature ours = Sign(kp.priv, msg);
        EXPECT_EQ(curve_verify_signature(pub, msg.data(), msg.size(), ours.data(), ours.size()), 1);
        Signature bad = ours;
        bad[5] ^= 0x10;
        EXPECT_NE(curve_verify_signature(pub, msg.data(), msg.size(), bad.data(), bad.size()), 1);

        signal_buffer_free(c_sig);
        SIGNAL_UNREF(priv);
        SIGNAL_UNREF(pub);
    }
}

}  // namespace
}  // namespace wadesk::wa::crypto
