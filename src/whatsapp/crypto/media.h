#pragma once
// WhatsApp's file encryption (wa-protocol §11): media, history blobs and app-state blobs are
// AES-256-CBC encrypted under keys expanded from a random 32-byte mediaKey with HKDF-SHA256 and a
// per-kind info string, followed by a 10-byte truncated HMAC-SHA256 over iv ‖ ciphertext.
// Shared by the client and the emulator; pure functions.
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::wa::crypto {

// What a file is, as far as its keys and its upload path go.
enum class MediaKind { kImage, kVideo, kAudio, kDocument, kSticker, kHistory, kAppState };

// "WhatsApp Image Keys", "WhatsApp Video Keys", ... (stickers use the image keys).
std::string_view MediaKeyInfo(MediaKind kind);
// The upload path type: "image", "video", "audio", "document", "md-msg-hist", "md-app-state"
// (stickers go up as "image"). Upload target: /mms/<type>/<token>.
std::string_view MediaUploadType(MediaKind kind);
// From a message type of ours ("image", "video", "audio", "voice", "document", "sticker").
std::optional<MediaKind> MediaKindForType(std::string_view type);

inline constexpr std::size_t kMediaMacSize = 10;

struct MediaKeys {
    Bytes iv;          // 16
    Bytes cipher_key;  // 32
    Bytes mac_key;     // 32
};

// HKDF-SHA256(media_key, no salt, info, 112) split into iv, cipher key, mac key (the ref key is
// unused). Error bad_media_key when media_key is not 32 bytes.
Result<MediaKeys> ExpandMediaKey(BytesView media_key, MediaKind kind);

struct EncryptedMedia {
    Bytes file;                // ciphertext ‖ mac: what is uploaded
    Digest32 file_sha256{};    // of the plaintext
    Digest32 file_enc_sha256{};// of `file`
    std::uint64_t file_length = 0;  // plaintext bytes
};

Result<EncryptedMedia> EncryptMedia(BytesView media_key, MediaKind kind, BytesView plain);

// What the message says the file is; every given hash is checked.
struct MediaExpectation {
    std::optional<Digest32> file_enc_sha256;
    std::optional<Digest32> file_sha256;
    std::optional<std::uint64_t> file_length;
};

// Checks, in order: SHA-256 of `file` = fileEncSha256 (enc_hash_mismatch), the MAC (mac_mismatch),
// decryption (decrypt_failed), SHA-256 of the plaintext = fileSha256 (hash_mismatch), length
// (length_mismatch). A file shorter than one block plus the MAC is too_short.
Result<Bytes> DecryptMedia(BytesView media_key, MediaKind kind, BytesView file, const MediaExpectation& expect);

// Digest32 from a message's bytes field; nullopt unless exactly 32 bytes.
std::optional<Digest32> ToDigest(BytesView b);

}  // namespace wadesk::wa::crypto
