#pragma once
// Downloading a file WhatsApp holds for a message or a history notification (wa-protocol §11):
// from each host media_conn named, in order (never a fixed host), then decrypted and verified
// (fileEncSha256, MAC, fileSha256, length). Blocking; run it on a worker pool.
#include <cstdint>
#include <functional>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/client/media_conn.h"
#include "whatsapp/client/media_http.h"
#include "whatsapp/crypto/media.h"

namespace wadesk::wa {

// What a message (or a history notification) says of its file.
struct MediaRef {
    crypto::MediaKind kind = crypto::MediaKind::kDocument;
    std::string direct_path;
    Bytes media_key;
    Bytes file_sha256;
    Bytes file_enc_sha256;
    std::uint64_t file_length = 0;  // 0 = not stated
};

using HttpsFetcher = std::function<Result<HttpsResult>(const HttpsRequestSpec&)>;

// Errors: too_large (the stated length, or what a host sends, is beyond max_bytes), expired (a
// host answered 404 or 410: ask the phone to upload it again), forbidden (403), no_media (no
// direct path or media key), download_failed (no host answered), and DecryptMedia's codes
// (enc_hash_mismatch, mac_mismatch, hash_mismatch, length_mismatch, ...).
Result<Bytes> DownloadMedia(const MediaConn& conn, const MediaRef& ref, std::uint64_t max_bytes,
                            const HttpsFetcher& fetch = HttpsRequest);

}  // namespace wadesk::wa
