#include "whatsapp/client/signal_manager.h"

#include <gtest/gtest.h>

#include "bundle_of.h"

namespace wadesk::wa {
namespace {

// One side of a conversation: credentials, a store and a manager over them.
struct Party {
    Credentials creds = GenerateCredentials();
    MemoryCredentialStore store;
    std::unique_ptr<SignalManager> signal;

    Party() { Reopen(); }
    void Reopen() {
        signal.reset();
        auto m = SignalManager::Create(store, creds);
        EXPECT_TRUE(m) << m.error().message;
        signal = std::move(*m);
    }
    PreKeyBundle Bundle(std::optional<PreKeyPublic> one_time) const { return testing::BundleOf(creds, one_time); }
};

const SignalAddress kAliceAddr{"15550001111", 0};
const SignalAddress kBobAddr{"100000000000022_1", 5};

TEST(SignalManager, PkmsgThenMsgBothWays) {
    Party alice, bob;
    auto pre_keys = bob.signal->GeneratePreKeys(1, 3);
    ASSERT_TRUE(pre_keys);
    ASSERT_EQ(pre_keys->size(), 3u);
    EXPECT_EQ((*pre_keys)[2].id, 3u);
    EXPECT_TRUE(bob.store.Get(store_keys::PreKey(2)).has_value());

    ASSERT_TRUE(alice.signal->ProcessBundle(kBobAddr, bob.Bundle((*pre_keys)[1])));
    EXPECT_TRUE(alice.signal->HasSession(kBobAddr));

    const Bytes hello = ToBytes("hello bob");
    auto first = alice.signal->Encrypt(kBobAddr, PadMessage(hello));
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->type, CiphertextType::kPkMsg);
    EXPECT_EQ(first->bytes[0], 0x33);

    auto plain = bob.signal->Decrypt(kAliceAddr, CiphertextType::kPkMsg, first->bytes);
    ASSERT_TRUE(plain) << plain.error().message;
    auto unpadded = UnpadMessage(*plain);
    ASSERT_TRUE(unpadded);
    EXPECT_EQ(*unpadded, hello);
    EXPECT_FALSE(bob.store.Get(store_keys::PreKey(2)).has_value()) << "one-time pre-key must be consumed";
    EXPECT_TRUE(bob.store.Get(store_keys::PreKey(1)).has_value());
    EXPECT_TRUE(bob.store.Get(store_keys::Identity(kAliceAddr.name, 0)).has_value());

    // Bob answers with a plain msg; Alice's session is now confirmed.
    auto reply = bob.signal->Encrypt(kAliceAddr, PadMessage(ToBytes("hi alice")));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->type, CiphertextType::kMsg);
    auto got = alice.signal->Decrypt(kBobAddr, CiphertextType::kMsg, reply->bytes);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*UnpadMessage(*got), ToBytes("hi alice"));

    // After the reply Alice sends msg, not pkmsg.
    auto second = alice.signal->Encrypt(kBobAddr, PadMessage(ToBytes("second")));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->type, CiphertextType::kMsg);

    // Sessions live in the store: a fresh manager over the same store continues the ratchet.
    bob.Reopen();
    auto second_plain = bob.signal->Decrypt(kAliceAddr, CiphertextType::kMsg, second->bytes);
    ASSERT_TRUE(second_plain) << second_plain.error().message;
    EXPECT_EQ(*UnpadMessage(*second_plain), ToBytes("second"));

    // Replaying a message is refused.
    auto replay = bob.signal->Decrypt(kAliceAddr, CiphertextType::kMsg, second->bytes);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().code, "signal_duplicate_message");
}

TEST(SignalManager, BundleWithoutOneTimePreKey) {
    Party alice, bob;
    ASSERT_TRUE(alice.signal->ProcessBundle(kBobAddr, bob.Bundle(std::nullopt)));
    auto msg = alice.signal->Encrypt(kBobAddr, ToBytes("x"));
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->type, CiphertextType::kPkMsg);
    auto plain = bob.signal->Decrypt(kAliceAddr, CiphertextType::kPkMsg, msg->bytes);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(*plain, ToBytes("x"));
}

TEST(SignalManager, RejectsBadSignedPreKeySignature) {
    Party alice, bob;
    PreKeyBundle b = bob.Bundle(std::nullopt);
    b.signed_pre_key_signature[10] ^= 0x40;
    auto r = alice.signal->ProcessBundle(kBobAddr, b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "signal_bad_signature");
    EXPECT_FALSE(alice.signal->HasSession(kBobAddr));
    b.signed_pre_key_signature.resize(10);
    EXPECT_FALSE(alice.signal->ProcessBundle(kBobAddr, b));
}

TEST(SignalManager, GarbageCiphertextIsAnErrorNotACrash) {
    Party alice, bob;
    ASSERT_TRUE(alice.signal->ProcessBundle(kBobAddr, bob.Bundle(std::nullopt)));
    auto msg = alice.signal->Encrypt(kBobAddr, ToBytes("payload"));
    ASSERT_TRUE(msg);
    EXPECT_FALSE(bob.signal->Decrypt(kAliceAddr, CiphertextType::kPkMsg, {}));
    EXPECT_FALSE(bob.signal->Decrypt(kAliceAddr, CiphertextType::kMsg, msg->bytes));  // wrong type
    EXPECT_EQ(bob.signal->Decrypt(kAliceAddr, CiphertextType::kMsg, ToBytes("\x33garbage")).error().code.rfind("signal_", 0),
              0u);
    for (std::size_t n = 0; n < msg->bytes.size(); n += 7) {
        EXPECT_FALSE(bob.signal->Decrypt(kAliceAddr, CiphertextType::kPkMsg, BytesView(msg->bytes.data(), n)));
    }
    auto ok = bob.signal->Decrypt(kAliceAddr, CiphertextType::kPkMsg, msg->bytes);
    ASSERT_TRUE(ok) << ok.error().message;

    // A SignalMessage ends with its 8-byte MAC: a flipped MAC bit is refused and does not
    // disturb the session, so the genuine message still decrypts afterwards.
    auto reply = bob.signal->Encrypt(kAliceAddr, ToBytes("reply"));
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->type, CiphertextType::kMsg);
    Bytes flipped = reply->bytes;
    flipped[flipped.size() - 3] ^= 1;
    EXPECT_FALSE(alice.signal->Decrypt(kBobAddr, CiphertextType::kMsg, flipped));
    auto genuine = alice.signal->Decrypt(kBobAddr, CiphertextType::kMsg, reply->bytes);
    ASSERT_TRUE(genuine) << genuine.error().message;
    EXPECT_EQ(*genuine, ToBytes("reply"));
}

TEST(SignalManager, EncryptWithoutSessionFails) {
    Party alice;
    auto r = alice.signal->Encrypt(kBobAddr, ToBytes("x"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "signal_no_session");
}

TEST(SignalAddress, FromJid) {
    EXPECT_EQ(*SignalAddressFromJid("15551234567@s.whatsapp.net"), (SignalAddress{"15551234567", 0}));
    EXPECT_EQ(*SignalAddressFromJid("15551234567:5@s.whatsapp.net"), (SignalAddress{"15551234567", 5}));
    EXPECT_EQ(*SignalAddressFromJid("100000000000011:7@lid"), (SignalAddress{"100000000000011_1", 7}));
    EXPECT_EQ(*SignalAddressFromJid("123:99@hosted"), (SignalAddress{"123_128", 99}));
    EXPECT_FALSE(SignalAddressFromJid("@s.whatsapp.net"));
    EXPECT_FALSE(SignalAddressFromJid("no-at-sign"));
    EXPECT_FALSE(SignalAddressFromJid("1:x@s.whatsapp.net"));
}

TEST(Padding, RoundTripAndErrors) {
    for (int i = 0; i < 50; ++i) {
        Bytes m = ToBytes("message");
        Bytes p = PadMessage(m);
        ASSERT_GT(p.size(), m.size());
        ASSERT_LE(p.size(), m.size() + 15);
        const std::uint8_t n = p.back();
        for (std::size_t k = m.size(); k < p.size(); ++k) EXPECT_EQ(p[k], n);
        EXPECT_EQ(*UnpadMessage(p), m);
    }
    EXPECT_FALSE(UnpadMessage({}));
    EXPECT_FALSE(UnpadMessage(Bytes{1, 2, 0}));
    EXPECT_FALSE(UnpadMessage(Bytes{1, 9}));
    EXPECT_TRUE(UnpadMessage(Bytes{2, 2}));
}

}  // namespace
}  // namespace wadesk::wa
