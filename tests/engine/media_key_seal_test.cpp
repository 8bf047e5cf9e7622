// Media keys sealed at rest (media_key_seal.h): a reference's mediaKey is sealed and opened again,
// bound to its session and master key; references stored before sealing are read as they are.
#include "engine/media_key_seal.h"

#include <gtest/gtest.h>

#include "engine/media_fetcher.h"
#include "engine/sealed_credential_store.h"

namespace wadesk::engine {
namespace {

wa::MediaRef Ref() {
    return {wa::crypto::MediaKind::kImage, "/v/t62.7118-24/a.enc?oh=1&oe=2", RandomBytes(32), RandomBytes(32),
            RandomBytes(32), 1234};
}

TEST(MediaKeySeal, SealsTheKeyAndOpensItForTheSameSession) {
    const auto key = MediaKeySealKey(CredentialKey("master key one"));
    const auto ref = Ref();
    const std::string clear = EncodeMediaRef(ref, {"3EB0AA", "15550002222@s.whatsapp.net", false, ""});
    const std::string sealed = SealMediaRef(clear, key, "session-1");
    EXPECT_EQ(sealed.find("\"mediaKey\""), std::string::npos);
    EXPECT_EQ(sealed.find(Base64Encode(ref.media_key)), std::string::npos) << "the key is not stored in clear";
    EXPECT_NE(sealed.find("mediaKeySealed"), std::string::npos);
    EXPECT_NE(sealed.find(ref.direct_path), std::string::npos) << "the other fields stay readable";
    EXPECT_NE(SealMediaRef(clear, key, "session-1"), sealed) << "a fresh nonce per write";

    auto opened = OpenMediaRef(sealed, key, "session-1");
    ASSERT_TRUE(opened);
    auto decoded = DecodeMediaRef(*opened);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->media_key, ref.media_key);
    EXPECT_EQ(decoded->direct_path, ref.direct_path);
    EXPECT_EQ(DecodeMediaOrigin(*opened).message_id, "3EB0AA");
    // Sealing a sealed reference changes nothing.
    EXPECT_EQ(SealMediaRef(sealed, key, "session-1"), sealed);
}

TEST(MediaKeySeal, AnotherSessionOrMasterKeyCannotOpenIt) {
    const auto key = MediaKeySealKey(CredentialKey("master key one"));
    const std::string sealed = SealMediaRef(EncodeMediaRef(Ref()), key, "session-1");
    EXPECT_EQ(OpenMediaRef(sealed, key, "session-2").error().code, "media_key_unreadable");
    EXPECT_EQ(OpenMediaRef(sealed, MediaKeySealKey(CredentialKey("master key two")), "session-1").error().code,
              "media_key_unreadable");
    EXPECT_EQ(OpenMediaRef(R"({"mediaKeySealed":"bm90IGEga2V5"})", key, "session-1").error().code,
              "media_key_unreadable");
    EXPECT_EQ(OpenMediaRef(R"({"mediaKeySealed":7})", key, "session-1").error().code, "media_key_unreadable");
}

TEST(MediaKeySeal, ReferencesStoredBeforeSealingStayReadable) {
    const auto key = MediaKeySealKey(CredentialKey("master key one"));
    const auto ref = Ref();
    const std::string old = EncodeMediaRef(ref);
    auto opened = OpenMediaRef(old, key, "session-1");
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, old);
    EXPECT_EQ(DecodeMediaRef(*opened)->media_key, ref.media_key);
    // Not JSON, or no key at all: passed through untouched.
    EXPECT_EQ(SealMediaRef("not json", key, "s"), "not json");
    EXPECT_EQ(*OpenMediaRef("not json", key, "s"), "not json");
    EXPECT_EQ(SealMediaRef(R"({"kind":"image"})", key, "s"), R"({"kind":"image"})");
}

}  // namespace
}  // namespace wadesk::engine
