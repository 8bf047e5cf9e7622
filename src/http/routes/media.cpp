// Message files (docs/api.md "Media"), both under the message's read right (canRead; 404 without
// it):
//   GET  /api/whatsapp/sessions/{sessionId}/messages/{messageId}/media            the bytes
//   POST /api/whatsapp/sessions/{sessionId}/messages/{messageId}/media/download   fetch again
// and the multipart form of POST .../chats/{chatId}/send (SendMultipart, called by chats.cpp).
#include <set>

#include "core/byte_range.h"
#include "core/utf8.h"
#include "http/api.h"
#include "http/json.h"
#include "http/multipart.h"
#include "http/routes/routes.h"
#include "service/views.h"

namespace wadesk::http {

namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A MIME type safe to put into a header, else application/octet-stream.
std::string ContentTypeOf(const std::string& mimetype) {
    if (mimetype.empty() || mimetype.size() > 200) return "application/octet-stream";
    for (unsigned char c : mimetype) {
        if (c < 0x20 || c == 0x7f) return "application/octet-stream";
    }
    return mimetype;
}

// RFC 6266 / 8187: an ASCII fallback name plus the UTF-8 name percent-encoded.
std::string ContentDisposition(const domain::Message& m) {
    std::string name = m.media->file_name;
    if (name.empty()) name = std::string(Name(m.type)) + "-" + m.id;
    std::string ascii, encoded;
    static const char* kHex = "0123456789ABCDEF";
    for (unsigned char c : name) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '-' || c == '_';
        ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
        if (plain) {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += kHex[c >> 4];
            encoded += kHex[c & 15];
        }
    }
    using domain::MessageType;
    const bool inline_kind = m.type == MessageType::kImage || m.type == MessageType::kSticker ||
                             m.type == MessageType::kAudio || m.type == MessageType::kVoice ||
                             m.type == MessageType::kVideo;
    return std::string(inline_kind ? "inline" : "attachment") + "; filename=\"" + ascii + "\"; filename*=UTF-8''" +
           encoded;
}

bool EtagMatches(std::string_view if_none_match, const std::string& etag) {
    while (!if_none_match.empty()) {
        const auto comma = if_none_match.find(',');
        std::string_view tag = Trim(if_none_match.substr(0, comma));
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == "*" || tag == etag) return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

bool IsUploadRequest(std::string_view method, std::string_view target) {
    if (method != "POST") return false;
    const std::string_view path = target.substr(0, target.find('?'));
    // /api/whatsapp/sessions/{id}/chats/{chat}/send
    constexpr std::string_view kPrefix = "/api/whatsapp/sessions/";
    if (!path.starts_with(kPrefix) || !path.ends_with("/send")) return false;
    const std::string_view middle = path.substr(kPrefix.size(), path.size() - kPrefix.size() - 5);
    const auto slash = middle.find('/');
    return slash != std::string_view::npos && middle.substr(slash).starts_with("/chats/") &&
           middle.find('/', slash + 7) == std::string_view::npos;
}

Response SendMultipart(service::WadeskService& service, const service::Actor& actor, const Request& req,
                       std::uint64_t max_file_bytes) {
    const auto boundary = FormBoundary(req.Header("content-type"));
    if (!boundary)
        throw HttpError(HttpErrorCode::kInvalidMultipart, "Content-Type must be multipart/form-data with a boundary");
    auto parts = ParseMultipart(*boundary, req.body);
    if (!parts) throw HttpError(HttpErrorCode::kInvalidMultipart, parts.error().message);
    service::SendRequest sr;
    service::OutgoingFile file;
    bool has_file = false;
    std::set<std::string> seen;
    for (const auto& p : *parts) {
        if (!seen.insert(p.name).second)
            throw HttpError(HttpErrorCode::kInvalidField, "field '" + p.name + "' appears twice");
        if (p.name == "file") {
            if (!p.filename)
                throw HttpError(HttpErrorCode::kInvalidField, "field 'file' must be a file part (with a filename)");
            if (p.data.size() > max_file_bytes) {
                throw HttpError(HttpErrorCode::kPayloadTooLarge,
                                "the file exceeds " + std::to_string(max_file_bytes) + " bytes");
            }
            has_file = true;
            file.data = p.data;
            file.file_name = *p.filename;
            file.mimetype = p.content_type;
            if (file.file_name.size() > 255 || !IsValidUtf8(file.file_name))
                throw HttpError(HttpErrorCode::kInvalidField, "the file name must be UTF-8 of at most 255 bytes");
            if (file.mimetype.size() > 200 || file.mimetype.find_first_of("\r\n") != std::string::npos)
                throw HttpError(HttpErrorCode::kInvalidField, "the file's Content-Type is invalid");
            continue;
        }
        const std::string value(p.data);
        if (!IsValidUtf8(value))
            throw HttpError(HttpErrorCode::kInvalidField, "field '" + p.name + "' must be UTF-8 text");
        if (p.name == "message")
            sr.text = value;
        else if (p.name == "clientMessageId")
            sr.client_message_id = value;
        else if (p.name == "quotedMessageId")
            sr.quoted_message_id = value;
        else if (p.name == "type")
            file.type = value;
        else
            throw HttpError(HttpErrorCode::kInvalidField, "unknown field '" + p.name + "'");
    }
    if (!has_file) throw HttpError(HttpErrorCode::kMissingField, "field 'file' is required");
    auto result = service.messages().SendMedia(actor, req.Param("sessionId"), req.Param("chatId"), sr, file);
    return Ok(service::MessageView(result.message), result.created ? 201 : 200);
}

void AddMediaRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* service = ctx.service;
    const std::string base = "/api/whatsapp/sessions/{sessionId}/messages/{messageId}/media";
    t.Authed("GET", base, [service](Request& req, const service::Actor& actor) {
        const service::MediaFile file =
            service->messages().GetMedia(actor, req.Param("sessionId"), req.Param("messageId"));
        const std::string etag = "\"" + file.sha256 + "\"";
        Response res;
        res.content_type = ContentTypeOf(file.message.media->mimetype);
        res.headers = {{"ETag", etag},
                       {"Accept-Ranges", "bytes"},
                       {"Cache-Control", "private, max-age=86400"},
                       {"Content-Disposition", ContentDisposition(file.message)},
                       // A file is never run as a page of ours (an HTML or SVG document it may be).
                       {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox"}};
        if (EtagMatches(req.Header("if-none-match"), etag)) {
            res.status = 304;
            return res;
        }
        const std::string& range = req.Header("range");
        if (!range.empty()) {
            auto span = ParseByteRange(range, file.size);
            if (!span) {
                res.status = 416;
                res.headers.emplace_back("Content-Range", "bytes */" + std::to_string(file.size));
                return res;
            }
            const Bytes part = service->messages().ReadMedia(file, span->first, span->second - span->first + 1);
            res.status = 206;
            res.headers.emplace_back("Content-Range", "bytes " + std::to_string(span->first) + "-" +
                                                          std::to_string(span->second) + "/" +
                                                          std::to_string(file.size));
            res.body.assign(part.begin(), part.end());
            return res;
        }
        const Bytes all = service->messages().ReadMedia(file, 0, file.size);
        res.body.assign(all.begin(), all.end());
        return res;
    });
    t.Authed("POST", base + "/download", [service](Request& req, const service::Actor& actor) {
        return Ok(service::MessageView(
                      service->messages().DownloadMediaAgain(actor, req.Param("sessionId"), req.Param("messageId"))),
                  202);
    });
}

}  // namespace wadesk::http
