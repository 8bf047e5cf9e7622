// Pairing-code crypto (wa-protocol §5.2). The vectors were computed with Baileys 7's own functions
// (bytesToCrockford, derivePairingCodeKey, aesEncryptCTR, hkdf, aesEncryptGCM, Curve.sharedKey)
// over fixed inputs, so these pin our code to the reference client byte for byte.
#include <gtest/gtest.h>

#include "whatsapp/client/pairing_code.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::wa {
namespace {

Bytes H(std::string_view hex) { return FromHex(hex).value(); }
Bytes Fill(std::uint8_t v, std::size_t n) { return Bytes(n, v); }
crypto::KeyPair KeyOf(std::uint8_t v) {
    crypto::Key32 k;
    k.fill(v);
    return crypto::KeyPairFromPrivate(k);
}
crypto::Key32 K(std::string_view hex) { return crypto::ToKey32(H(hex)).value(); }

TEST(PairingCode, EncodesFiveBytesLikeBaileys) {
    EXPECT_EQ(EncodePairingCode(H("0123456789")), "15JMBSWA");
    EXPECT_EQ(EncodePairingCode(H("0000000000")), "11111111");
    EXPECT_EQ(EncodePairingCode(H("ffffffffff")), "ZZZZZZZZ");
    EXPECT_EQ(EncodePairingCode(H("f0e1d2c3b4")), "Y4HX6HXM");
}

TEST(PairingCode, NewCodesAreWellFormedAndDiffer) {
    const std::string a = NewPairingCode();
    const std::string b = NewPairingCode();
    EXPECT_TRUE(IsPairingCode(a)) << a;
    EXPECT_TRUE(IsPairingCode(b)) << b;
    EXPECT_NE(a, b);
    EXPECT_FALSE(IsPairingCode("15JMBSW"));
    EXPECT_FALSE(IsPairingCode("15JMBSWI"));  // I is not in the alphabet
    EXPECT_FALSE(IsPairingCode("15jmbswa"));
    EXPECT_FALSE(IsPairingCode("15JM-BSWA"));
}

TEST(PairingCode, WrapsTheEphemeralLikeBaileys) {
    const auto eph = KeyOf(0x01);
    EXPECT_EQ(ToHex(crypto::View(eph.pub)), "a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209");
    auto wrapped = WrapEphemeral("15JMBSWA", eph.pub, Fill(0x11, 32), Fill(0x22, 16));
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(ToHex(*wrapped),
              "1111111111111111111111111111111111111111111111111111111111111111"
              "22222222222222222222222222222222"
              "4ee902f721915968bfab72cd051043f906c9afd1cd471a35ed86112a7bb5da9d");
    auto back = UnwrapEphemeral("15JMBSWA", *wrapped);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, eph.pub);
    // Another code gives another key (CTR has no integrity: the failure shows later, in the bundle).
    auto other = UnwrapEphemeral("15JMBSWB", *wrapped);
    ASSERT_TRUE(other);
    EXPECT_NE(*other, eph.pub);
}

TEST(PairingCode, RejectsBadSizes) {
    const auto eph = KeyOf(0x01);
    EXPECT_FALSE(WrapEphemeral("15JMBSWA", eph.pub, Fill(0, 31), Fill(0, 16)));
    EXPECT_FALSE(WrapEphemeral("15JMBSWA", eph.pub, Fill(0, 32), Fill(0, 12)));
    EXPECT_EQ(UnwrapEphemeral("15JMBSWA", Fill(0, 79)).error().code, "bad_wrapped_key");
    EXPECT_EQ(UnwrapEphemeral("15JMBSWA", Fill(0, 81)).error().code, "bad_wrapped_key");
    const auto k = KeyOf(0x02);
    EXPECT_FALSE(BuildCompanionFinish(eph, k.pub, KeyOf(3), k.pub, Fill(5, 31), Fill(6, 32), Fill(7, 12)));
    EXPECT_FALSE(BuildCompanionFinish(eph, k.pub, KeyOf(3), k.pub, Fill(5, 32), Fill(6, 32), Fill(7, 16)));
    // A small-order "primary ephemeral" (all zeros) is refused, not used.
    EXPECT_FALSE(BuildCompanionFinish(eph, crypto::Key32{}, KeyOf(3), k.pub, Fill(5, 32), Fill(6, 32), Fill(7, 12)));
}

TEST(PairingCode, CompanionFinishMatchesBaileys) {
    const auto eph = KeyOf(0x01);
    const auto primary_eph = KeyOf(0x02);
    const auto identity = KeyOf(0x03);
    const auto primary_identity = KeyOf(0x04);
    EXPECT_EQ(primary_eph.pub, K("ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59"));
    EXPECT_EQ(primary_identity.pub, K("ac01b2209e86354fb853237b5de0f4fab13c7fcbf433a61c019369617fecf10b"));
    auto finish = BuildCompanionFinish(eph, primary_eph.pub, identity, primary_identity.pub, Fill(0x05, 32),
                                       Fill(0x06, 32), Fill(0x07, 12));
    ASSERT_TRUE(finish);
    EXPECT_EQ(finish->wrapped_key_bundle.size(), kWrappedKeyBundleSize);
    EXPECT_EQ(ToHex(finish->wrapped_key_bundle),
              "0606060606060606060606060606060606060606060606060606060606060606"
              "070707070707070707070707"
              "5caf688e61c1bf064c9031e530ea97104be141f56e29f6ca52ab7eead871c3c227514e0478a97ec270a699152d01960d"
              "1c354d14c123a4c06f3d6521fce016ce793d33ad31198200de5f77f6efa3d6e57bee15bf74974e9c7431c5a78a0a79f7"
              "5499f5923a423cc808b60e41c695bc2d");
    EXPECT_EQ(ToHex(finish->adv_secret), "fd518ca5dd266b8d3bf2ec6583591621a66a59bafdfc57418bdf1de1f572f3f1");

    // The phone's view: X25519(primary_eph.priv, eph.pub) opens the bundle.
    auto shared = crypto::SharedSecret(primary_eph.priv, eph.pub).value();
    auto key = crypto::Hkdf(crypto::View(shared), Fill(0x06, 32),
                            AsBytes("link_code_pairing_key_bundle_encryption_key"), 32).value();
    BytesView sealed(finish->wrapped_key_bundle);
    auto plain = crypto::AesGcmDecrypt(key, sealed.subspan(32, 12), sealed.subspan(44), {});
    ASSERT_TRUE(plain);
    EXPECT_EQ(Bytes(plain->begin(), plain->begin() + 32), crypto::ToBytes(identity.pub));
}

}  // namespace
}  // namespace wadesk::wa
