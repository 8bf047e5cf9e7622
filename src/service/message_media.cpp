// The files of media messages (docs/api.md "Media"): serving a downloaded file under the
// message's read right, fetching one again on demand, and showing a message again when its file
// changed state (whatsapp:message_updated).
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "service/errors.h"
#include "service/views.h"
#include "service/wadesk_service.h"

namespace wadesk::service {

namespace {

[[noreturn]] void MediaNotFound(const std::string& what) {
    throw ServiceError(FailureKind::kNotFound, "not_found", what + " not found");
}

}  // namespace

MediaFile WadeskService::GetMedia(const Actor& actor, const std::string& session_id, const std::string& message_id) {
    ReadableSession(actor, session_id);
    if (!IsWellFormedId(message_id)) MediaNotFound("message");
    auto m = repo_.FindMessage(actor.who.company_id, session_id, message_id);
    if (!m) MediaNotFound("message");
    if (!m->media || m->media->status != "ready" || !blobs_) MediaNotFound("media");
    auto size = blobs_->Size(m->media->sha256);
    if (!size) MediaNotFound("media");
    const std::string sha256 = m->media->sha256;
    return MediaFile{std::move(*m), sha256, *size};
}

Bytes WadeskService::ReadMedia(const MediaFile& file, std::uint64_t offset, std::uint64_t length) {
    if (!blobs_) MediaNotFound("media");
    auto bytes = blobs_->Range(file.sha256, offset, length);
    if (!bytes) {
        if (bytes.error().code == "not_found") MediaNotFound("media");
        throw ServiceError(FailureKind::kUnavailable, "storage_unavailable", bytes.error().message);
    }
    return std::move(*bytes);
}

domain::Message WadeskService::DownloadMediaAgain(const Actor& actor, const std::string& session_id,
                                                 const std::string& message_id) {
    ReadableSession(actor, session_id);
    if (!IsWellFormedId(message_id)) MediaNotFound("message");
    auto m = repo_.FindMessage(actor.who.company_id, session_id, message_id);
    if (!m) MediaNotFound("message");
    if (!m->media || m->media->ref.empty()) MediaNotFound("media");
    if (m->media->status != "failed" && m->media->status != "too_large") return *m;
    // "pending" is stored before the download is queued: its outcome must land after it.
    domain::MediaInfo pending = *m->media;
    pending.status = "pending";
    auto row = repo_.UpdateMessageMedia(session_id, m->id, pending);
    if (!row) MediaNotFound("message");
    auto started = engine_.DownloadMedia(session_id, m->id, pending.ref);
    if (!started) {
        repo_.UpdateMessageMedia(session_id, m->id, *m->media);
        throw ServiceError(FailureKind::kUnavailable, started.error().code, started.error().message);
    }
    Emit(row->company_id, session_id, "whatsapp:message_updated",
         {{"sessionId", session_id}, {"chatId", row->chat_id}, {"message", MessageView(*row)}});
    return *row;
}

void WadeskService::OnMessageMediaChanged(const std::string& session_id, const domain::Message& message) {
    try {
        Emit(message.company_id, session_id, "whatsapp:message_updated",
             {{"sessionId", session_id}, {"chatId", message.chat_id}, {"message", MessageView(message)}});
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: message_updated of {} not emitted: {}", session_id, message.id, e.what());
    }
}

}  // namespace wadesk::service
