#include "whatsapp/crypto/media.h"

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

Digest32 MediaMac(const MediaKeys& keys, BytesView ciphertext) {
    Bytes signed_part;
    signed_part.reserve(keys.iv.size() + ciphertext.size());
    Append(signed_part, keys.iv);
    Append(signed_part, ciphertext);
    return HmacSha256(keys.mac_key, signed_part);
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
