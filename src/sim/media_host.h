#pragma once
// The emulator's media host (wa-protocol §11): what WhatsApp's mmg hosts do for files, without
// sockets (net.cpp serves it over HTTPS). Uploads with a media_conn auth token
// (`POST /mms/<type>/<token>?auth=…&token=…`, the body's SHA-256 = the token), downloads by
// direct path with Range, and the real host's answers for what is gone: 404 unknown, 403 a
// direct path whose signed `oh`/`oe` were altered, 410 expired. Runs on the sim's one thread.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::sim {

struct MediaHttpRequest {
    std::string_view method;
    std::string_view target;  // path and query
    std::string_view range;   // the Range header, "" when absent
    BytesView body;
};

struct MediaHttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string content_range;  // for 206 / 416
    Bytes body;
};

class MediaHost {
public:
    static constexpr std::int64_t kConnTtl = 300;         // media_conn ttl, seconds
    static constexpr std::int64_t kAuthTtl = 21600;       // auth_ttl, seconds
    static constexpr std::int64_t kFileTtl = 30 * 86400;  // a direct path's `oe`
    static constexpr std::uint64_t kMaxUpload = 100ull << 20;

    // "127.0.0.1:PORT", set once the HTTPS listener is bound ("" = no media host).
    std::string hostname;

    // A fresh upload credential for a media_conn answer (standard base64, URL-encode it).
    std::string IssueAuth(std::int64_t now);
    // Stores an encrypted file as if uploaded (the phones' own uploads) and returns its direct path.
    std::string Store(std::string_view type, Bytes file, std::int64_t now);
    // The stored bytes of a direct path (its query ignored), if still served.
    const Bytes* Find(std::string_view direct_path) const;
    // Makes a direct path answer `status` (410 or 404) from now on (control API; the
    // expired-media tests). `lost`: the bytes are dropped too, so no phone can upload the file
    // again (Kept answers nullptr). Error no_media.
    Result<void> Expire(std::string_view direct_path, int status = 410, bool lost = false);
    // The bytes of a direct path even after it expired: what the phones still have on their own
    // storage to upload again for a media retry request. nullptr when unknown or lost.
    const Bytes* Kept(std::string_view direct_path) const;
    // "https://<hostname><direct_path>&mms3=true", the url field of a media message.
    std::string UrlFor(std::string_view direct_path) const;

    MediaHttpResponse Handle(const MediaHttpRequest& request, std::int64_t now);

private:
    struct File {
        Bytes bytes;
        std::int64_t expires_at = 0;
        int gone = 0;  // 0 = served, else the status answered (410, 404)
        bool lost = false;
    };
    std::string Sign(std::string_view path, std::string_view oe) const;

    Bytes secret_ = RandomBytes(32);           // signs `oh`
    std::map<std::string, std::int64_t> auth_; // auth -> valid until
    std::map<std::string, File> files_;        // by path (no query)
};

}  // namespace wadesk::sim
