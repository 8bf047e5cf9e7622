#include "whatsapp/crypto/primitives.h"

#include <gtest/gtest.h>

namespace wadesk::wa::crypto {
namespace {

Bytes H(std::string_view hex) { return *FromHex(hex); }
std::string Hex(const Digest32& d) { return ToHex(BytesView(d.data(), d.size())); }

TEST(Sha256, KnownAnswers) {
    EXPECT_EQ(Hex(Sha256(AsBytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Hex(Sha256({AsBytes("a"), AsBytes("bc")})), Hex(Sha256(AsBytes("abc"))));
}

TEST(HmacSha256, Rfc4231Case2) {
    EXPECT_EQ(Hex(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hkdf, Rfc5869Case1) {
    auto okm = Hkdf(H("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), H("000102030405060708090a0b0c"),
                    H("f0f1f2f3f4f5f6f7f8f9"), 42);
    ASSERT_TRUE(okm.has_value());
    EXPECT_EQ(ToHex(*okm),
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Hkdf, Rfc5869Case3EmptySaltAndInfo) {
    auto okm = Hkdf(H("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), {}, {}, 42);
    ASSERT_TRUE(okm.has_value());
    EXPECT_EQ(ToHex(*okm),
              "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Hkdf, RejectsBadLength) {
    EXPECT_FALSE(Hkdf(AsBytes("x"), {}, {}, 0).has_value());
    EXPECT_FALSE(Hkdf(AsBytes("x"), {}, {}, 255 * 32 + 1).has_value());
}

TEST(Hkdf, WhatsAppMediaKeyVector) {
    Bytes media_key;
    for (int i = 0; i < 32; ++i) media_key.push_back(static_cast<std::uint8_t>(i));
    auto out = Hkdf(media_key, {}, AsBytes("WhatsApp Image Keys"), 112);
    ASSERT_TRUE(out.has_value());
    const std::string hex = ToHex(*out);
    EXPECT_EQ(hex.substr(0, 32), "aa6a127218397cbd2383e4ccf7176a79");
    EXPECT_EQ(hex.substr(32, 64), "008c9aea9b7c5d81eb56b3f530f87d42dcc92d27b11ad6b5bd66f0560d0d8c46");
    EXPECT_EQ(hex.substr(96, 64), "91d09ffec108833c1699574c52657923fb6e3e161d9698bc6b3a05fbc508a515");
}

TEST(Pbkdf2, Rfc7914Vector) {
    auto out = Pbkdf2Sha256(AsBytes("passwd"), AsBytes("salt"), 1, 64);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(ToHex(*out),
              "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30b"
              "d509112041d3a19783");
}

TEST(AesGcm, NistVectorAndTamper) {
    // NIST GCM test case 14 (AES-256, zero key, zero IV, one zero block).
    const Bytes key(32, 0), iv(12, 0), pt(16, 0);
    auto ct = AesGcmEncrypt(key, iv, pt, {});
    ASSERT_TRUE(ct.has_value());
    EXPECT_EQ(ToHex(*ct), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
    auto back = AesGcmDecrypt(key, iv, *ct, {});
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, pt);
    Bytes bad = *ct;
    bad.back() ^= 1;
    auto r = AesGcmDecrypt(key, iv, bad, {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "auth_failed");
    EXPECT_FALSE(AesGcmDecrypt(key, iv, *ct, AsBytes("aad")).has_value());
    EXPECT_FALSE(AesGcmDecrypt(key, iv, Bytes(15), {}).has_value());
    EXPECT_FALSE(AesGcmEncrypt(Bytes(16), iv, pt, {}).has_value());
}

TEST(AesGcm, AadRoundTrip) {
    const Bytes key = RandomBytes(32), iv = RandomBytes(12), aad = RandomBytes(32);
    auto ct = AesGcmEncrypt(key, iv, AsBytes("hello"), aad);
    ASSERT_TRUE(ct.has_value());
    EXPECT_EQ(ToString(AesGcmDecrypt(key, iv, *ct, aad).value()), "hello");
    EXPECT_EQ(AesGcmDecrypt(key, iv, AesGcmEncrypt(key, iv, {}, aad).value(), aad).value(), Bytes{});
}

TEST(AesCbc, Sp80038aVectorAndPadding) {
    const Bytes key = H("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const Bytes iv = H("000102030405060708090a0b0c0d0e0f");
    const Bytes pt = H("6bc1bee22e409f96e93d7e117393172a");
    auto ct = AesCbcEncrypt(key, iv, pt);
    ASSERT_TRUE(ct.has_value());
    ASSERT_EQ(ct->size(), 32u);  // one full padding block
    EXPECT_EQ(ToHex(BytesView(ct->data(), 16)), "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
    EXPECT_EQ(AesCbcDecrypt(key, iv, *ct).value(), pt);
    EXPECT_FALSE(AesCbcDecrypt(key, iv, BytesView(ct->data(), 16)).has_value());  // bad padding
    EXPECT_FALSE(AesCbcDecrypt(key, iv, Bytes(17)).has_value());
    EXPECT_FALSE(AesCbcDecrypt(key, iv, Bytes{}).has_value());
}

TEST(AesCtr, Sp80038aVector) {
    const Bytes key = H("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const Bytes iv = H("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    auto ct = AesCtr(key, iv, H("6bc1bee22e409f96e93d7e117393172a"));
    ASSERT_TRUE(ct.has_value());
    EXPECT_EQ(ToHex(*ct), "601ec313775789a5b7a7f504bbf3d228");
    EXPECT_EQ(ToHex(AesCtr(key, iv, *ct).value()), "6bc1bee22e409f96e93d7e117393172a");
}

}  // namespace
}  // namespace wadesk::wa::crypto
