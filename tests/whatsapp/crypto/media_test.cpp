// Media encryption against vectors derived with the openssl command line (kdf HKDF, enc
// -aes-256-cbc, dgst -mac HMAC), independently of this code:
//   K=0102…20; openssl kdf -keylen 112 -kdfopt digest:SHA256 -kdfopt hexkey:$K
//       -kdfopt 'info:WhatsApp Image Keys' HKDF
//   openssl enc -aes-256-cbc -K <[16:48]> -iv <[0:16]> -in plain
//   (iv ‖ ct) | openssl dgst -sha256 -mac HMAC -macopt hexkey:<[48:80]>  → first 10 bytes
#include "whatsapp/crypto/media.h"

#include <gtest/gtest.h>

namespace wadesk::wa::crypto {
namespace {

Bytes H(std::string_view hex) { return *FromHex(hex); }
std::string Hex(const Digest32& d) { return ToHex(BytesView(d.data(), d.size())); }

const Bytes kKey = H("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
constexpr std::string_view kPlain = "The quick brown fox jumps over the lazy dog.";
constexpr std::string_view kFile =
    "d2b126c30d0a72ea4265a91efb6d0b2998c7358000333fbfbc6dc33b49655e47d5abf6063de733233a00fa79f3ce8001c963281a5e9d731c"
    "252d";

TEST(MediaKeys, ExpansionPerKind) {
    struct Case {
        MediaKind kind;
        std::string_view expanded;  // the first 80 of the 112 bytes (the ref key is unused)
    } cases[] = {
        {MediaKind::kImage,
         "3b9f9f4d37282def2d0991b71465445db9f77e196a7f6c73c65b21b72f6d6e5374cf4e9f7abafc69"
         "79d03712ce54f608ff4838374597f9a73b627dc218c459b8615dc6bdce9153804a532593d00a1af1"},
        {MediaKind::kAudio,
         "3f6a3d1202b0d224d19ade3d195217f394ec8ff1f61b7974f048ae645128fabcfc6f7508808eaf9c"
         "5b0fbdd6d3430197d47201d46e7f438654eb297b7ba42dea31858504291a1c7670a2bbb057151b94"},
        {MediaKind::kDocument,
         "68e03f0fe2063ce15a6e4c8bcb272679da78ac5787981cd5927421e1132c64adbea0ed9f8b155948"
         "7e3ad10287f64ca21bd6f016ac4cb82cd4479df52b5b4292d12524d2ef9b79cfb3010372af8bb810"},
        {MediaKind::kHistory,
         "52ee933ef7adf074633540073ffebf7e48854d39458d765d4866f97c36e970f75577889d329f4118"
         "61cb90870ede7e438bb1d6cba55a0996dd7f65ba68bfde6ae353f523206b79377996aed465a95006"},
    };
    for (const auto& c : cases) {
        auto keys = ExpandMediaKey(kKey, c.kind);
        ASSERT_TRUE(keys.has_value());
        EXPECT_EQ(ToHex(keys->iv) + ToHex(keys->cipher_key) + ToHex(keys->mac_key), c.expanded) << MediaKeyInfo(c.kind);
    }
    EXPECT_EQ(ExpandMediaKey(kKey, MediaKind::kSticker)->cipher_key, ExpandMediaKey(kKey, MediaKind::kImage)->cipher_key);
    EXPECT_EQ(ExpandMediaKey(BytesView(kKey).first(31), MediaKind::kImage).error().code, "bad_media_key");
}

TEST(MediaCrypto, EncryptMatchesOpenssl) {
    auto enc = EncryptMedia(kKey, MediaKind::kImage, AsBytes(kPlain));
    ASSERT_TRUE(enc.has_value());
    EXPECT_EQ(ToHex(enc->file), kFile);
    EXPECT_EQ(Hex(enc->file_enc_sha256), "a915db011839e51deccc6cf7a48b06aec2bf26883fc7dacd8995ede2264162bc");
    EXPECT_EQ(Hex(enc->file_sha256), "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c");
    EXPECT_EQ(enc->file_length, kPlain.size());
}

TEST(MediaCrypto, DecryptVerifiesEverything) {
    const Bytes file = H(kFile);
    MediaExpectation ok{ToDigest(H("a915db011839e51deccc6cf7a48b06aec2bf26883fc7dacd8995ede2264162bc")),
                        ToDigest(H("ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c")), kPlain.size()};
    auto plain = DecryptMedia(kKey, MediaKind::kImage, file, ok);
    ASSERT_TRUE(plain.has_value()) << plain.error().message;
    EXPECT_EQ(AsString(*plain), kPlain);

    // Wrong kind: other keys, the MAC fails.
    EXPECT_EQ(DecryptMedia(kKey, MediaKind::kAudio, file, {}).error().code, "mac_mismatch");
    // A flipped ciphertext byte: the encrypted hash, then (unchecked) the MAC.
    Bytes bad = file;
    bad[3] ^= 1;
    EXPECT_EQ(DecryptMedia(kKey, MediaKind::kImage, bad, ok).error().code, "enc_hash_mismatch");
    EXPECT_EQ(DecryptMedia(kKey, MediaKind::kImage, bad, {}).error().code, "mac_mismatch");
    // A flipped MAC byte.
    bad = file;
    bad.back() ^= 1;
    EXPECT_EQ(DecryptMedia(kKey, MediaKind::kImage, bad, {}).error().code, "mac_mismatch");
    // Hashes and length that do not match the plaintext.
    MediaExpectation wrong_plain = ok;
    wrong_plain.file_sha256 = ToDigest(H(std::string(64, 'a')));
    EXPECT_EQ(DecryptMedia(kKey, MediaKind::kImage, file, wrong_plain).error().code, "hash_mismatch");
    MediaExpectation wrong_length = ok;
    wrong_length.file_length = 1;
    EXPECT_EQ(DecryptMedia(kKey, MediaKind::kImage, file, wrong_length).error().code, "length_mismatch");
    EXPECT_EQ(DecryptMedia(kKey, MediaKind::kImage, BytesView(file).first(20), {}).error().code, "too_short");
}

TEST(MediaCrypto, RoundTripsEmptyAndLarge) {
    for (std::size_t n : {0u, 15u, 16u, 17u, 1u << 20}) {
        Bytes plain(n);
        for (std::size_t i = 0; i < n; ++i) plain[i] = static_cast<std::uint8_t>(i * 7);
        const Bytes key = RandomBytes(32);
        auto enc = EncryptMedia(key, MediaKind::kDocument, plain);
        ASSERT_TRUE(enc.has_value());
        EXPECT_EQ(enc->file.size(), (n / 16 + 1) * 16 + kMediaMacSize);
        auto back = DecryptMedia(key, MediaKind::kDocument, enc->file,
                                 {enc->file_enc_sha256, enc->file_sha256, enc->file_length});
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, plain);
    }
}

TEST(MediaKinds, UploadTypesAndMessageTypes) {
    EXPECT_EQ(MediaUploadType(MediaKind::kSticker), "image");
    EXPECT_EQ(MediaUploadType(MediaKind::kHistory), "md-msg-hist");
    EXPECT_EQ(MediaKindForType("voice"), MediaKind::kAudio);
    EXPECT_EQ(MediaKindForType("text"), std::nullopt);
}

}  // namespace
}  // namespace wadesk::wa::crypto
