#include "whatsapp/crypto/media.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <algorithm>

namespace wadesk::wa::crypto {

std::string_view MediaKeyInfo(MediaKind kind) {
    switch (kind) {
        case MediaKind::kImage:
        case MediaKind::kSticker: return "WhatsApp Image Keys";
        case MediaKind::kVideo: return "WhatsApp Video Keys";
        case MediaKind::kAudio: return "WhatsApp Audio Keys";
        case MediaKind::kDocument: return "WhatsApp Document Keys";
        case MediaKind::kHistory: return "WhatsApp History Keys";
        case MediaKind::kAppState: return "WhatsApp App State Keys";
    }
    return "";
}

std::string_view MediaUploadType(MediaKind kind) {
    switch (kind) {
        case MediaKind::kImage:
        case MediaKind::kSticker: return "image";
        case MediaKind::kVideo: return "video";
        case MediaKind::kAudio: return "audio";
        case MediaKind::kDocument: return "document";
        case MediaKind::kHistory: return "md-msg-hist";
        case MediaKind::kAppState: return "md-app-state";
    }
    return "";
}

std::optional<MediaKind> MediaKindForType(std::string_view type) {
    if (type == "image") return MediaKind::kImage;
    if (type == "sticker") return MediaKind::kSticker;
    if (type == "video") return MediaKind::kVideo;
    if (type == "audio" || type == "voice") return MediaKind::kAudio;
    if (type == "document") return MediaKind::kDocument;
    return std::nullopt;
}

Result<MediaKeys> ExpandMediaKey(BytesView media_key, MediaKind kind) {
    if (media_key.size() != 32) return MakeError("bad_media_key", "a media key is 32 bytes");
    auto expanded = Hkdf(media_key, {}, AsBytes(MediaKeyInfo(kind)), 112);
    if (!expanded) return expanded.error();
    const Bytes& e = *expanded;
    return MediaKeys{Bytes(e.begin(), e.begin() + 16), Bytes(e.begin() + 16, e.begin() + 48),
                     Bytes(e.begin() + 48, e.begin() + 80)};
}

namespace {

// HMAC-SHA256(macKey, iv ‖ ciphertext), fed in two parts (no copy of the file).
Digest32 MediaMac(const MediaKeys& keys, BytesView ciphertext) {
    Digest32 mac{};
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
    std::size_t len = 0;
    // On an OpenSSL failure the MAC stays zero, which no file carries: it fails verification.
    if (ctx && EVP_MAC_init(ctx, keys.mac_key.data(), keys.mac_key.size(), params) == 1 &&
        EVP_MAC_update(ctx, keys.iv.data(), keys.iv.size()) == 1 &&
        EVP_MAC_update(ctx, ciphertext.data(), ciphertext.size()) == 1) {
        EVP_MAC_final(ctx, mac.data(), &len, mac.size());
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return mac;
}

}  // namespace

Result<EncryptedMedia> EncryptMedia(BytesView media_key, MediaKind kind, BytesView plain) {
    auto keys = ExpandMediaKey(media_key, kind);
    if (!keys) return keys.error();
    auto ct = AesCbcEncrypt(keys->cipher_key, keys->iv, plain);
    if (!ct) return ct.error();
    const Digest32 mac = MediaMac(*keys, *ct);
    EncryptedMedia out;
    out.file = std::move(*ct);
    out.file.insert(out.file.end(), mac.begin(), mac.begin() + kMediaMacSize);
    out.file_sha256 = Sha256(plain);
    out.file_enc_sha256 = Sha256(out.file);
    out.file_length = plain.size();
    return out;
}

Result<Bytes> DecryptMedia(BytesView media_key, MediaKind kind, BytesView file, const MediaExpectation& expect) {
    if (file.size() < 16 + kMediaMacSize) return MakeError("too_short", "the file is shorter than one block and its MAC");
    if (expect.file_enc_sha256 && Sha256(file) != *expect.file_enc_sha256) {
        return MakeError("enc_hash_mismatch", "SHA-256 of the downloaded file differs from fileEncSha256");
    }
    auto keys = ExpandMediaKey(media_key, kind);
    if (!keys) return keys.error();
    const BytesView ciphertext = file.first(file.size() - kMediaMacSize);
    const Digest32 mac = MediaMac(*keys, ciphertext);
    if (!ConstantTimeEqual(BytesView(mac.data(), kMediaMacSize), file.last(kMediaMacSize))) {
        return MakeError("mac_mismatch", "the file's MAC does not verify");
    }
    auto plain = AesCbcDecrypt(keys->cipher_key, keys->iv, ciphertext);
    if (!plain) return MakeError("decrypt_failed", plain.error().message);
    if (expect.file_sha256 && Sha256(*plain) != *expect.file_sha256) {
        return MakeError("hash_mismatch", "SHA-256 of the plaintext differs from fileSha256");
    }
    if (expect.file_length && plain->size() != *expect.file_length) {
        return MakeError("length_mismatch", "the plaintext length differs from fileLength");
    }
    return plain;
}

std::optional<Digest32> ToDigest(BytesView b) {
    if (b.size() != 32) return std::nullopt;
    Digest32 d{};
    std::copy(b.begin(), b.end(), d.begin());
    return d;
}

}  // namespace wadesk::wa::crypto
