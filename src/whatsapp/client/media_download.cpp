#include "whatsapp/client/media_download.h"

namespace wadesk::wa {

Result<Bytes> DownloadMedia(const MediaConn& conn, const MediaRef& ref, std::uint64_t max_bytes,
                            const HttpsFetcher& fetch) {
    if (ref.direct_path.empty() || !ref.direct_path.starts_with('/') || ref.media_key.size() != 32) {
        return MakeError("no_media", "the message names no downloadable file");
    }
    if (ref.file_length > max_bytes) return MakeError("too_large", "the file is larger than the limit");
    std::string target = ref.direct_path;
    target += ref.direct_path.find('?') == std::string::npos ? '?' : '&';
    target += "hash=" + Base64UrlEncode(ref.file_enc_sha256) + "&mms-type=" +
              std::string(crypto::MediaUploadType(ref.kind)) + "&__wa-mms=";
    // The encrypted file: PKCS#7-padded plaintext plus the 10-byte MAC.
    const std::uint64_t max_file = max_bytes + 16 + crypto::kMediaMacSize;
    Error last = MakeError("download_failed", "media_conn named no host");
    for (const auto& host : conn.hosts) {
        HttpsRequestSpec spec;
        spec.host = host;
        spec.target = target;
        spec.max_body = static_cast<std::size_t>(max_file);
        auto answer = fetch(spec);
        if (!answer) {
            if (answer.error().code == "too_large") return answer.error();
            last = MakeError("download_failed", answer.error().message);
            continue;
        }
        if (answer->status == 404 || answer->status == 410) {
            return MakeError("expired", "the media host no longer has the file (" + std::to_string(answer->status) + ")");
        }
        if (answer->status == 403) return MakeError("forbidden", "the media host refused the direct path (403)");
        if (answer->status != 200) {
            last = MakeError("download_failed", "media host answered " + std::to_string(answer->status));
            continue;
        }
        return crypto::DecryptMedia(ref.media_key, ref.kind, answer->body,
                                    {crypto::ToDigest(ref.file_enc_sha256), crypto::ToDigest(ref.file_sha256),
                                     ref.file_length ? std::optional<std::uint64_t>(ref.file_length) : std::nullopt});
    }
    return last;
}

}  // namespace wadesk::wa
