#include "sim/media_host.h"

#include <boost/json.hpp>

#include <charconv>

#include "core/byte_range.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::sim {
namespace json = boost::json;

namespace {

std::string PercentDecode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            unsigned v = 0;
            auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (ec == std::errc() && p == s.data() + i + 3) {
                out.push_back(static_cast<char>(v));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
    return out;
}

// The decoded value of `key` in a query string ("" when absent).
std::string QueryValue(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return "";
}

MediaHttpResponse JsonError(int status, std::string_view code) {
    MediaHttpResponse r;
    r.status = status;
    const std::string body = json::serialize(json::object{{"error", code}});
    r.body.assign(body.begin(), body.end());
    return r;
}

bool KnownType(std::string_view t) {
    return t == "image" || t == "video" || t == "audio" || t == "document" || t == "md-msg-hist" ||
           t == "md-app-state" || t == "sticker-pack" || t == "thumbnail-link";
}

}  // namespace

std::string MediaHost::IssueAuth(std::int64_t now) {
    std::string auth = Base64Encode(RandomBytes(30));
    auth_[auth] = now + kAuthTtl;
    return auth;
}

std::string MediaHost::Sign(std::string_view path, std::string_view oe) const {
    const auto mac = wa::crypto::HmacSha256(secret_, AsBytes(std::string(path) + "|" + std::string(oe)));
    return Base64UrlEncode(BytesView(mac.data(), 16));
}

std::string MediaHost::Store(std::string_view type, Bytes file, std::int64_t now) {
    (void)type;
    const std::string path = "/v/t62.7118-24/" + ToHex(RandomBytes(16)) + ".enc";
    char oe[17];
    const auto expires = now + kFileTtl;
    auto [end, ec] = std::to_chars(oe, oe + 16, static_cast<std::uint64_t>(expires), 16);
    const std::string oe_hex(oe, end);
    files_[path] = File{std::move(file), expires, 0, false};
    return path + "?ccb=11-4&oh=" + Sign(path, oe_hex) + "&oe=" + oe_hex + "&_nc_sid=5e03e0";
}

const Bytes* MediaHost::Find(std::string_view direct_path) const {
    auto it = files_.find(std::string(direct_path.substr(0, direct_path.find('?'))));
    if (it == files_.end() || it->second.gone) return nullptr;
    return &it->second.bytes;
}

const Bytes* MediaHost::Kept(std::string_view direct_path) const {
    auto it = files_.find(std::string(direct_path.substr(0, direct_path.find('?'))));
    if (it == files_.end() || it->second.lost) return nullptr;
    return &it->second.bytes;
}

Result<void> MediaHost::Expire(std::string_view direct_path, int status, bool lost) {
    auto it = files_.find(std::string(direct_path.substr(0, direct_path.find('?'))));
    if (it == files_.end()) return MakeError("no_media", "no such file on the media host");
    it->second.gone = status == 404 ? 404 : 410;
    if (lost) {
        it->second.lost = true;
        it->second.bytes.clear();
    }
    return {};
}

std::string MediaHost::UrlFor(std::string_view direct_path) const {
    return "https://" + hostname + std::string(direct_path) + "&mms3=true";
}

MediaHttpResponse MediaHost::Handle(const MediaHttpRequest& request, std::int64_t now) {
    const std::string_view target = request.target;
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

    if (path.starts_with("/mms/")) {
        // /mms/<type>/<token>
        const std::string_view rest = path.substr(5);
        const auto slash = rest.find('/');
        const std::string_view type = rest.substr(0, slash);
        const std::string_view token = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        const std::string auth = QueryValue(query, "auth");
        auto a = auth_.find(auth);
        if (auth.empty() || a == auth_.end() || a->second < now) return JsonError(401, "bad_auth");
        if (request.method == "DELETE") return JsonError(200, "");
        if (request.method != "POST") return JsonError(405, "method_not_allowed");
        if (!KnownType(type)) return JsonError(400, "bad_type");
        if (request.body.size() > kMaxUpload) return JsonError(413, "too_large");
        auto want = Base64UrlDecode(PercentDecode(token));
        const auto got = wa::crypto::Sha256(request.body);
        if (!want || want->size() != 32 || !ConstantTimeEqual(*want, BytesView(got.data(), 32))) {
            return JsonError(400, "bad_token");
        }
        const std::string direct_path = Store(type, Bytes(request.body.begin(), request.body.end()), now);
        MediaHttpResponse r;
        const std::string body =
            json::serialize(json::object{{"url", UrlFor(direct_path)}, {"direct_path", direct_path}});
        r.body.assign(body.begin(), body.end());
        return r;
    }

    if (request.method != "GET" && request.method != "HEAD") return JsonError(405, "method_not_allowed");
    auto it = files_.find(std::string(path));
    if (it == files_.end()) return JsonError(404, "not_found");
    const std::string oh = QueryValue(query, "oh");
    const std::string oe = QueryValue(query, "oe");
    if (oh.empty() || oe.empty() || oh != Sign(path, oe)) return JsonError(403, "bad_signature");
    if (it->second.gone == 404) return JsonError(404, "not_found");
    if (it->second.gone || it->second.expires_at < now) return JsonError(410, "expired");
    const Bytes& bytes = it->second.bytes;
    MediaHttpResponse r;
    r.content_type = "application/octet-stream";
    if (!request.range.empty()) {
        auto range = ParseByteRange(request.range, bytes.size());
        if (!range) {
            r.status = 416;
            r.content_range = "bytes */" + std::to_string(bytes.size());
            return r;
        }
        r.status = 206;
        r.content_range = "bytes " + std::to_string(range->first) + "-" + std::to_string(range->second) + "/" +
                          std::to_string(bytes.size());
        if (request.method == "GET") r.body.assign(bytes.begin() + range->first, bytes.begin() + range->second + 1);
        return r;
    }
    if (request.method == "GET") r.body = bytes;
    return r;
}

}  // namespace wadesk::sim
