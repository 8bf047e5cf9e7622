#include "whatsapp/client/credentials.h"

#include <gtest/gtest.h>

#include "whatsapp/client/credential_store.h"

namespace wadesk::wa {
namespace {

TEST(Credentials, GeneratedAreWellFormed) {
    Credentials c = GenerateCredentials();
    EXPECT_GE(c.registration_id, 1u);
    EXPECT_LE(c.registration_id, 0x3FFFu);
    EXPECT_EQ(c.adv_secret.size(), 32u);
    EXPECT_EQ(c.signed_pre_key.id, 1u);
    EXPECT_TRUE(SignedPreKeyIsValid(c));
    EXPECT_EQ(crypto::KeyPairFromPrivate(c.noise.priv).pub, c.noise.pub);
    EXPECT_EQ(crypto::KeyPairFromPrivate(c.identity.priv).pub, c.identity.pub);
    EXPECT_NE(c.noise.pub, c.identity.pub);
    EXPECT_FALSE(c.Registered());

    Credentials other = GenerateCredentials();
    EXPECT_NE(c.noise.priv, other.noise.priv);
    EXPECT_NE(c.adv_secret, other.adv_secret);
}

TEST(Credentials, SignedPreKeySignatureCoversTheTypedKey) {
    Credentials c = GenerateCredentials();
    Bytes typed = SignalPublicKey(c.signed_pre_key.key.pub);
    ASSERT_EQ(typed.size(), 33u);
    EXPECT_EQ(typed[0], 0x05);
    EXPECT_TRUE(crypto::Verify(c.identity.pub, typed, c.signed_pre_key.signature));
    c.signed_pre_key.signature[5] ^= 1;
    EXPECT_FALSE(SignedPreKeyIsValid(c));
}

TEST(Credentials, RoundTripsThroughTheBlob) {
    Credentials c = GenerateCredentials();
    c.next_pre_key_id = 813;
    c.first_unuploaded_pre_key_id = 812;
    c.platform = "android";
    c.me = Me{"15551234567:5@s.whatsapp.net", "100000000000011:5@lid", "Alice"};
    c.account = Bytes{1, 2, 3, 4};
    c.routing_info = Bytes{9, 9};

    Bytes blob = EncodeCredentials(c);
    auto back = DecodeCredentials(blob);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->noise.priv, c.noise.priv);
    EXPECT_EQ(back->noise.pub, c.noise.pub);
    EXPECT_EQ(back->identity.priv, c.identity.priv);
    EXPECT_EQ(back->identity.pub, c.identity.pub);
    EXPECT_EQ(back->registration_id, c.registration_id);
    EXPECT_EQ(back->signed_pre_key.id, c.signed_pre_key.id);
    EXPECT_EQ(back->signed_pre_key.key.priv, c.signed_pre_key.key.priv);
    EXPECT_EQ(back->signed_pre_key.signature, c.signed_pre_key.signature);
    EXPECT_EQ(back->adv_secret, c.adv_secret);
    EXPECT_EQ(back->next_pre_key_id, 813u);
    EXPECT_EQ(back->first_unuploaded_pre_key_id, 812u);
    EXPECT_EQ(back->platform, "android");
    ASSERT_TRUE(back->me.has_value());
    EXPECT_EQ(back->me->jid, c.me->jid);
    EXPECT_EQ(back->me->lid, c.me->lid);
    EXPECT_EQ(back->me->name, "Alice");
    EXPECT_EQ(back->account, c.account);
    EXPECT_EQ(back->routing_info, c.routing_info);
    EXPECT_TRUE(back->Registered());
    EXPECT_EQ(EncodeCredentials(*back), blob);
}

TEST(Credentials, UnpairedHaveNoMe) {
    Credentials c = GenerateCredentials();
    auto back = DecodeCredentials(EncodeCredentials(c));
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->me.has_value());
}

TEST(Credentials, RejectsDamagedBlobs) {
    Bytes blob = EncodeCredentials(GenerateCredentials());
    EXPECT_EQ(DecodeCredentials({}).error().code, "bad_credentials");
    Bytes wrong_magic = blob;
    wrong_magic[3] = 2;
    EXPECT_FALSE(DecodeCredentials(wrong_magic));
    // Every truncation point is an error, never a crash.
    for (std::size_t n = 0; n < blob.size(); ++n) {
        EXPECT_FALSE(DecodeCredentials(BytesView(blob.data(), n))) << "truncated at " << n;
    }
    // A key of the wrong size.
    Bytes bad_len = blob;
    bad_len[4 + 4] = 31;  // length low byte of the first record (noise priv)
    EXPECT_FALSE(DecodeCredentials(bad_len));
}

TEST(Credentials, SkipsUnknownFields) {
    Bytes blob = EncodeCredentials(GenerateCredentials());
    Bytes extended = blob;
    const Bytes unknown = {200, 0, 0, 0, 3, 'x', 'y', 'z'};
    extended.insert(extended.end() - 5, unknown.begin(), unknown.end());  // before the end record
    EXPECT_TRUE(DecodeCredentials(extended));
    Bytes trailing = blob;
    trailing.push_back(0);
    EXPECT_FALSE(DecodeCredentials(trailing));
}

TEST(MemoryCredentialStore, GetPutDelete) {
    MemoryCredentialStore store;
    EXPECT_FALSE(store.Get("a"));
    store.Put("a", Bytes{1, 2});
    ASSERT_TRUE(store.Get("a"));
    EXPECT_EQ(*store.Get("a"), (Bytes{1, 2}));
    store.Put("a", Bytes{3});
    EXPECT_EQ(*store.Get("a"), (Bytes{3}));
    store.Delete("a");
    EXPECT_FALSE(store.Get("a"));
    store.Delete("missing");
    EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace wadesk::wa
