#include "engine/media_fetcher.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include <cctype>
#include <future>

#include "core/clock.h"
#include "core/log.h"
#include "engine/media_key_seal.h"
#include "whatsapp/client/session.h"

namespace wadesk::engine {
namespace json = boost::json;
using wa::crypto::MediaKind;

namespace {

constexpr std::chrono::seconds kMediaConnWait{30};

constexpr std::pair<MediaKind, std::string_view> kKindNames[] = {
    {MediaKind::kImage, "image"},     {MediaKind::kVideo, "video"},       {MediaKind::kAudio, "audio"},
    {MediaKind::kDocument, "document"}, {MediaKind::kSticker, "sticker"}, {MediaKind::kHistory, "history"},
    {MediaKind::kAppState, "app-state"}};

std::string_view KindName(MediaKind kind) {
    for (const auto& [k, name] : kKindNames) {
        if (k == kind) return name;
    }
    return "document";
}

std::optional<MediaKind> KindNamed(std::string_view name) {
    for (const auto& [k, n] : kKindNames) {
        if (n == name) return k;
    }
    return std::nullopt;
}

std::string StringAt(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

}  // namespace

std::string EncodeMediaRef(const wa::MediaRef& ref, const MediaOrigin& origin) {
    json::object o{{"kind", KindName(ref.kind)},
                   {"directPath", ref.direct_path},
                   {"mediaKey", Base64Encode(ref.media_key)},
                   {"fileSha256", Base64Encode(ref.file_sha256)},
                   {"fileEncSha256", Base64Encode(ref.file_enc_sha256)},
                   {"fileLength", ref.file_length}};
    if (!origin.message_id.empty()) {
        o["waId"] = origin.message_id;
        o["chat"] = origin.chat;
        o["fromMe"] = origin.from_me;
        if (!origin.participant.empty()) o["participant"] = origin.participant;
    }
    return json::serialize(o);
}

MediaOrigin DecodeMediaOrigin(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return {};
    const auto& o = v.as_object();
    MediaOrigin origin{StringAt(o, "waId"), StringAt(o, "chat"), false, StringAt(o, "participant")};
    if (auto it = o.find("fromMe"); it != o.end() && it->value().is_bool()) origin.from_me = it->value().as_bool();
    if (origin.chat.empty()) origin.message_id.clear();
    return origin;
}

std::optional<wa::MediaRef> DecodeMediaRef(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    auto kind = KindNamed(StringAt(o, "kind"));
    auto key = Base64Decode(StringAt(o, "mediaKey"));
    auto sha = Base64Decode(StringAt(o, "fileSha256"));
    auto enc = Base64Decode(StringAt(o, "fileEncSha256"));
    if (!kind || !key || !sha || !enc) return std::nullopt;
    wa::MediaRef ref{*kind, StringAt(o, "directPath"), std::move(*key), std::move(*sha), std::move(*enc), 0};
    if (auto it = o.find("fileLength"); it != o.end() && it->value().is_number()) {
        ref.file_length = it->value().to_number<std::uint64_t>();
    }
    return ref;
}

domain::MediaInfo MediaInfoOf(const std::string& type, const wa::MessageContent::Media& media,
                              const MediaOrigin& origin) {
    domain::MediaInfo info;
    info.mimetype = media.mimetype;
    info.size = media.size;
    info.file_name = media.file_name;
    info.duration = media.seconds;
    info.width = media.width;
    info.height = media.height;
    const auto kind = wa::crypto::MediaKindForType(type);
    if (kind && !media.direct_path.empty() && media.media_key.size() == 32) {
        info.status = domain::MediaStatus::kPending;
        info.ref = EncodeMediaRef(wa::MediaRef{*kind, media.direct_path, media.media_key, media.file_sha256,
                                               media.file_enc_sha256, static_cast<std::uint64_t>(media.size)},
                                    origin);
    } else {
        info.status = domain::MediaStatus::kFailed;
    }
    return info;
}

namespace {

// The session's media_conn (a fresh one when `refresh`), waited for on this worker thread.
Result<wa::MediaConn> MediaConnOf(wa::Session& session, bool refresh) {
    auto promise = std::make_shared<std::promise<Result<wa::MediaConn>>>();
    auto answer = promise->get_future();
    session.FetchMediaConn(refresh, [promise](Result<wa::MediaConn> r) { promise->set_value(std::move(r)); });
    if (answer.wait_for(kMediaConnWait) != std::future_status::ready)
        return MakeError("media_conn_failed", "no media_conn answer in time");
    return answer.get();
}

std::string UrlEncode(std::string_view s) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace

Result<Bytes> FetchMediaFile(wa::Session& session, const wa::MediaRef& ref, std::uint64_t max_bytes) {
    Result<Bytes> file = MakeError("media_conn_failed", "");
    for (int attempt = 0; attempt < 2; ++attempt) {
        // A second attempt asks for a fresh media_conn: the hosts may have changed.
        auto conn = MediaConnOf(session, attempt > 0);
        if (!conn) {
            file = conn.error();
            continue;
        }
        file = wa::DownloadMedia(*conn, ref, max_bytes);
        if (file || file.error().code != "download_failed") break;
    }
    return file;
}

MediaFetcher::MediaFetcher(store::MessageRepository& repo, store::BlobStore& blobs,
                           std::atomic<service::EngineEvents*>& events, SessionLookup sessions,
                           std::uint64_t max_bytes, int threads, std::chrono::seconds retry_wait,
                           std::optional<wa::crypto::Digest32> seal_key)
    : repo_(repo),
      blobs_(blobs),
      events_(events),
      sessions_(std::move(sessions)),
      max_bytes_(max_bytes),
      retry_wait_(retry_wait),
      seal_key_(seal_key),
      pool_(std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(std::max(1, threads)))) {}

MediaFetcher::~MediaFetcher() {
    pool_->join();
}

void MediaFetcher::Enqueue(std::string session_id, std::string message_id, std::string ref) {
    boost::asio::post(*pool_, [this, session_id = std::move(session_id), message_id = std::move(message_id),
                               ref = std::move(ref)] { Run(session_id, message_id, ref); });
}

void MediaFetcher::SealStoredRefs(std::string session_id) {
    if (!seal_key_) return;
    boost::asio::post(*pool_, [this, session_id = std::move(session_id)] {
        constexpr int kBatch = 200;
        std::int64_t sealed = 0;
        try {
            for (;;) {
                const auto rows = repo_.ListClearMediaRefs(session_id, kBatch);
                int replaced = 0;
                for (const auto& [id, ref] : rows) {
                    const std::string now_sealed = SealMediaRef(ref, *seal_key_, session_id);
                    if (now_sealed != ref && repo_.ReplaceMediaRef(session_id, id, ref, now_sealed)) ++replaced;
                }
                sealed += replaced;
                // A batch that sealed nothing holds only references that cannot be sealed: stop.
                if (rows.size() < static_cast<std::size_t>(kBatch) || replaced == 0) break;
            }
        } catch (const std::exception& e) {
            spdlog::error("[WhatsApp] Session {}: sealing stored media keys failed: {}", session_id, e.what());
        }
        if (sealed > 0) spdlog::info("[WhatsApp] Session {}: sealed {} stored media key(s)", session_id, sealed);
    });
}

void MediaFetcher::Upload(service::OutgoingMessage m, std::function<void(Result<Uploaded>)> done) {
    boost::asio::post(*pool_, [this, m = std::move(m), done = std::move(done)] { done(RunUpload(m)); });
}

Result<MediaFetcher::Uploaded> MediaFetcher::RunUpload(const service::OutgoingMessage& m) {
    if (!m.media) return MakeError("no_media", "the message has no file");
    const std::string type(Name(m.type));
    const auto kind = wa::crypto::MediaKindForType(type);
    if (!kind) return MakeError("no_media", "not a media type: " + type);
    auto plain = blobs_.Get(m.media->sha256);
    if (!plain) return MakeError("no_media", "the file is not in the blob store");
    auto session = sessions_(m.session_id);
    if (!session) return MakeError("session_not_running", "the session is not running");
    const Bytes media_key = RandomBytes(32);
    auto enc = wa::crypto::EncryptMedia(media_key, *kind, *plain);
    if (!enc) return MakeError("upload_failed", enc.error().message);
    const std::string token = Base64UrlEncode(BytesView(enc->file_enc_sha256.data(), 32));
    std::string url, direct_path, last = "media_conn named no host";
    for (int attempt = 0; attempt < 2 && direct_path.empty(); ++attempt) {
        auto conn = MediaConnOf(*session, attempt > 0);  // a new auth when the first try failed
        if (!conn) {
            last = conn.error().message;
            continue;
        }
        for (const auto& host : conn->hosts) {
            const std::string target = "/mms/" + std::string(wa::crypto::MediaUploadType(*kind)) + "/" + token +
                                       "?auth=" + UrlEncode(conn->auth) + "&token=" + token;
            auto answer = wa::HttpsRequest({"POST", host, target, enc->file, 1 << 20, std::chrono::seconds(120)});
            if (!answer || answer->status != 200) {
                last = answer ? "media host answered " + std::to_string(answer->status) : answer.error().message;
                continue;
            }
            boost::system::error_code ec;
            json::value v = json::parse(AsString(answer->body), ec);
            if (ec || !v.is_object()) {
                last = "the upload answer is not JSON";
                continue;
            }
            url = StringAt(v.as_object(), "url");
            direct_path = StringAt(v.as_object(), "direct_path");
            if (!direct_path.empty()) break;
            last = "the upload answer has no direct_path";
        }
    }
    if (direct_path.empty()) return MakeError("upload_failed", last);
    wa::MediaMessageSpec spec{type,
                              url,
                              direct_path,
                              m.media->mimetype,
                              media_key,
                              Bytes(enc->file_sha256.begin(), enc->file_sha256.end()),
                              Bytes(enc->file_enc_sha256.begin(), enc->file_enc_sha256.end()),
                              enc->file_length,
                              NowMs() / 1000,
                              m.body,
                              m.media->file_name,
                              static_cast<std::uint32_t>(m.media->duration),
                              static_cast<std::uint32_t>(m.media->width),
                              static_cast<std::uint32_t>(m.media->height)};
    Uploaded out;
    out.message = wa::MediaMessage(spec, &out.mediatype);
    return out;
}

namespace {

// The phone's answer to a media retry request, waited for on this worker thread (a little longer
// than the connection's own bound, which also covers a connection that closes meanwhile).
Result<std::string> MediaRetryOf(wa::Session& session, const wa::MediaRef& ref, const MediaOrigin& origin,
                                 std::chrono::seconds wait) {
    auto promise = std::make_shared<std::promise<Result<std::string>>>();
    auto answer = promise->get_future();
    wa::MediaRetryRequest request{origin.message_id, origin.chat, origin.from_me, origin.participant, ref.media_key};
    session.RequestMediaRetry(std::move(request), wait,
                              [promise](Result<std::string> r) { promise->set_value(std::move(r)); });
    if (answer.wait_for(wait + std::chrono::seconds(5)) != std::future_status::ready)
        return MakeError("media_retry_timeout", "the phone did not answer the media retry request in time");
    return answer.get();
}

}  // namespace

Result<Bytes> MediaFetcher::Fetch(wa::Session& session, wa::MediaRef& ref, const MediaOrigin& origin,
                                  bool& ref_changed) {
    Result<Bytes> file = FetchMediaFile(session, ref, max_bytes_);
    if (file || file.error().code != "expired" || origin.message_id.empty()) return file;
    // Once per download: the phone uploads the file again under a new direct path.
    auto path = MediaRetryOf(session, ref, origin, retry_wait_);
    if (!path) return path.error();
    spdlog::info("[WhatsApp] media of {} uploaded again by the phone", origin.message_id);
    ref.direct_path = *path;
    ref_changed = true;
    return FetchMediaFile(session, ref, max_bytes_);
}

void MediaFetcher::Run(const std::string& session_id, const std::string& message_id, const std::string& stored_ref) {
    domain::MediaInfo outcome;
    outcome.ref = stored_ref;
    outcome.status = domain::MediaStatus::kFailed;
    std::string why;
    // The stored reference has its media key sealed (media_key_seal.h), or in clear when stored
    // before sealing: it is written back sealed either way.
    Result<std::string> opened = seal_key_ ? OpenMediaRef(stored_ref, *seal_key_, session_id)
                                           : Result<std::string>(boost::system::in_place_value, stored_ref);
    const std::string ref_json = opened ? *opened : std::string();
    auto ref = DecodeMediaRef(ref_json);
    const MediaOrigin origin = DecodeMediaOrigin(ref_json);
    auto session = sessions_(session_id);
    if (!opened) {
        why = opened.error().code;
    } else if (!ref) {
        why = "no_media";
    } else if (!session) {
        why = "session_not_running";
    } else {
        outcome.size = static_cast<std::int64_t>(ref->file_length);
        bool ref_changed = false;
        Result<Bytes> file = Fetch(*session, *ref, origin, ref_changed);
        if (ref_changed) outcome.ref = EncodeMediaRef(*ref, origin);
        if (file) {
            auto key = blobs_.Put(*file);
            if (key) {
                outcome.status = domain::MediaStatus::kReady;
                outcome.sha256 = *key;
                outcome.size = static_cast<std::int64_t>(file->size());
            } else {
                why = key.error().code;
            }
        } else if (file.error().code == "too_large") {
            outcome.status = domain::MediaStatus::kTooLarge;
        } else {
            why = file.error().code;
        }
    }
    if (!why.empty()) spdlog::warn("[WhatsApp] Session {}: media of {} not downloaded: {}", session_id, message_id, why);
    try {
        if (seal_key_ && opened) outcome.ref = SealMediaRef(outcome.ref, *seal_key_, session_id);
        auto row = repo_.UpdateMessageMedia(session_id, message_id, outcome);
        if (!row) return;
        if (auto* ev = events_.load()) ev->OnMessageMediaChanged(session_id, *row);
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: media state of {} not stored: {}", session_id, message_id, e.what());
    }
}

}  // namespace wadesk::engine
