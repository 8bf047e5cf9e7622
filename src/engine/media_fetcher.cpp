#include "engine/media_fetcher.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include <future>

#include "core/log.h"
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

std::string EncodeMediaRef(const wa::MediaRef& ref) {
    return json::serialize(json::object{{"kind", KindName(ref.kind)},
                                        {"directPath", ref.direct_path},
                                        {"mediaKey", Base64Encode(ref.media_key)},
                                        {"fileSha256", Base64Encode(ref.file_sha256)},
                                        {"fileEncSha256", Base64Encode(ref.file_enc_sha256)},
                                        {"fileLength", ref.file_length}});
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

domain::MediaInfo MediaInfoOf(const std::string& type, const wa::MessageContent::Media& media) {
    domain::MediaInfo info;
    info.mimetype = media.mimetype;
    info.size = media.size;
    info.file_name = media.file_name;
    info.duration = media.seconds;
    info.width = media.width;
    info.height = media.height;
    const auto kind = wa::crypto::MediaKindForType(type);
    if (kind && !media.direct_path.empty() && media.media_key.size() == 32) {
        info.status = "pending";
        info.ref = EncodeMediaRef(wa::MediaRef{*kind, media.direct_path, media.media_key, media.file_sha256,
                                               media.file_enc_sha256, static_cast<std::uint64_t>(media.size)});
    } else {
        info.status = "failed";
    }
    return info;
}

Result<Bytes> FetchMediaFile(wa::Session& session, const wa::MediaRef& ref, std::uint64_t max_bytes) {
    Result<Bytes> file = MakeError("media_conn_failed", "");
    for (int attempt = 0; attempt < 2; ++attempt) {
        // A second attempt asks for a fresh media_conn: the hosts may have changed.
        auto promise = std::make_shared<std::promise<Result<wa::MediaConn>>>();
        auto answer = promise->get_future();
        session.FetchMediaConn(attempt > 0, [promise](Result<wa::MediaConn> r) { promise->set_value(std::move(r)); });
        if (answer.wait_for(kMediaConnWait) != std::future_status::ready) {
            file = MakeError("media_conn_failed", "no media_conn answer in time");
            continue;
        }
        auto conn = answer.get();
        if (!conn) {
            file = conn.error();
            continue;
        }
        file = wa::DownloadMedia(*conn, ref, max_bytes);
        if (file || file.error().code != "download_failed") break;
    }
    return file;
}

MediaFetcher::MediaFetcher(store::Repository& repo, store::BlobStore& blobs,
                           std::atomic<service::EngineEvents*>& events, SessionLookup sessions,
                           std::uint64_t max_bytes, int threads)
    : repo_(repo),
      blobs_(blobs),
      events_(events),
      sessions_(std::move(sessions)),
      max_bytes_(max_bytes),
      pool_(std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(std::max(1, threads)))) {}

MediaFetcher::~MediaFetcher() {
    pool_->join();
}

void MediaFetcher::Enqueue(std::string session_id, std::string message_id, std::string ref) {
    boost::asio::post(*pool_, [this, session_id = std::move(session_id), message_id = std::move(message_id),
                               ref = std::move(ref)] { Run(session_id, message_id, ref); });
}

void MediaFetcher::Run(const std::string& session_id, const std::string& message_id, const std::string& ref_json) {
    domain::MediaInfo outcome;
    outcome.ref = ref_json;
    outcome.status = "failed";
    std::string why;
    const auto ref = DecodeMediaRef(ref_json);
    auto session = sessions_(session_id);
    if (!ref) {
        why = "no_media";
    } else if (!session) {
        why = "session_not_running";
    } else {
        outcome.size = static_cast<std::int64_t>(ref->file_length);
        Result<Bytes> file = FetchMediaFile(*session, *ref, max_bytes_);
        if (file) {
            auto key = blobs_.Put(*file);
            if (key) {
                outcome.status = "ready";
                outcome.sha256 = *key;
                outcome.size = static_cast<std::int64_t>(file->size());
            } else {
                why = key.error().code;
            }
        } else if (file.error().code == "too_large") {
            outcome.status = "too_large";
        } else {
            why = file.error().code;
        }
    }
    if (!why.empty()) spdlog::warn("[WhatsApp] Session {}: media of {} not downloaded: {}", session_id, message_id, why);
    try {
        auto row = repo_.UpdateMessageMedia(session_id, message_id, outcome);
        if (!row) return;
        if (auto* ev = events_.load()) ev->OnMessageMediaChanged(session_id, *row);
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: media state of {} not stored: {}", session_id, message_id, e.what());
    }
}

}  // namespace wadesk::engine
