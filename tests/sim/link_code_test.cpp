// The emulated phone's pairing-code crypto (wa-protocol §5.2) against vectors computed with
// Baileys 7's own functions over fixed inputs (see tests/whatsapp/client/pairing_code_test.cpp for
// the companion side of the same vectors).
#include <gtest/gtest.h>

#include "sim/link_code.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::sim {
namespace {
namespace crypto = wa::crypto;

Bytes H(std::string_view hex) { return FromHex(hex).value(); }
Bytes Fill(std::uint8_t v, std::size_t n) { return Bytes(n, v); }
KeyPair KeyOf(std::uint8_t v) {
    Key32 k;
    k.fill(v);
    return crypto::KeyPairFromPrivate(k);
}

constexpr std::string_view kWrapped =
    "1111111111111111111111111111111111111111111111111111111111111111"
    "22222222222222222222222222222222"
    "4ee902f721915968bfab72cd051043f906c9afd1cd471a35ed86112a7bb5da9d";
constexpr std::string_view kBundle =
    "0606060606060606060606060606060606060606060606060606060606060606"
    "070707070707070707070707"
    "5caf688e61c1bf064c9031e530ea97104be141f56e29f6ca52ab7eead871c3c227514e0478a97ec270a699152d01960d"
    "1c354d14c123a4c06f3d6521fce016ce793d33ad31198200de5f77f6efa3d6e57bee15bf74974e9c7431c5a78a0a79f7"
    "5499f5923a423cc808b60e41c695bc2d";

TEST(SimLinkCode, NormalizesWhatThePhoneTypes) {
    EXPECT_EQ(NormalizeLinkCode("15JMBSWA").value(), "15JMBSWA");
    EXPECT_EQ(NormalizeLinkCode("15jm-bswa").value(), "15JMBSWA");
    for (std::string_view bad : {"", "15JMBSW", "15JMBSWAA", "15JMBSWI", "15JMBSWO", "15JMBSWU", "15JMBSW0",
                                 "1-5JMBSWA", "15JM--BSWA", "15JM BSWA"}) {
        auto r = NormalizeLinkCode(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, "bad_code");
    }
}

TEST(SimLinkCode, UnwrapsTheCompanionEphemeralOnlyWithItsCode) {
    const KeyPair eph = KeyOf(0x01);
    auto right = UnwrapWithLinkCode("15JMBSWA", H(kWrapped));
    ASSERT_TRUE(right);
    EXPECT_EQ(*right, eph.pub);
    auto wrong = UnwrapWithLinkCode("15JMBSWB", H(kWrapped));
    ASSERT_TRUE(wrong);
    EXPECT_NE(*wrong, eph.pub);
    EXPECT_EQ(ToHex(WrapWithLinkCode("15JMBSWA", eph.pub, Fill(0x11, 32), Fill(0x22, 16))), kWrapped);
    EXPECT_EQ(UnwrapWithLinkCode("15JMBSWA", Fill(0, 79)).error().code, "bad_wrapped_key");
}

TEST(SimLinkCode, OpensTheKeyBundleAndDerivesTheAdvSecret) {
    const KeyPair eph = KeyOf(0x01), primary_eph = KeyOf(0x02), companion_identity = KeyOf(0x03),
                  primary_identity = KeyOf(0x04);
    const Key32 shared = crypto::SharedSecret(primary_eph.priv, eph.pub).value();
    auto bundle = OpenKeyBundle(H(kBundle), shared);
    ASSERT_TRUE(bundle);
    EXPECT_EQ(bundle->companion_identity, companion_identity.pub);
    EXPECT_EQ(bundle->primary_identity, primary_identity.pub);
    EXPECT_EQ(bundle->random, Fill(0x05, 32));
    const Key32 identity_shared = crypto::SharedSecret(primary_identity.priv, companion_identity.pub).value();
    EXPECT_EQ(ToHex(DeriveLinkCodeAdvSecret(shared, identity_shared, bundle->random)),
              "fd518ca5dd266b8d3bf2ec6583591621a66a59bafdfc57418bdf1de1f572f3f1");
}

TEST(SimLinkCode, AWrongCodeShowsAsABundleThatDoesNotOpen) {
    const KeyPair primary_eph = KeyOf(0x02);
    // What the phone derives after unwrapping with a wrong code.
    const Key32 garbage = UnwrapWithLinkCode("15JMBSWB", H(kWrapped)).value();
    const Key32 shared = crypto::SharedSecret(primary_eph.priv, garbage).value();
    auto r = OpenKeyBundle(H(kBundle), shared);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "wrong_code");
    Bytes tampered = H(kBundle);
    tampered[100] ^= 1;
    EXPECT_EQ(OpenKeyBundle(tampered, crypto::SharedSecret(primary_eph.priv, KeyOf(0x01).pub).value()).error().code,
              "wrong_code");
    EXPECT_EQ(OpenKeyBundle(Fill(0, 155), shared).error().code, "bad_bundle");
}

}  // namespace
}  // namespace wadesk::sim
