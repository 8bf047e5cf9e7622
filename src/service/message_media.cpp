// The files of media messages (docs/api.md "Media"): serving a downloaded file under the
// message's read right, fetching one again on demand, and showing a message again when its file
// changed state (whatsapp:message_updated).
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "service/errors.h"
#include "service/inbound_adapter.h"
#include "service/message_service.h"
#include "service/views.h"

namespace wadesk::service {

namespace {

[[noreturn]] void MediaNotFound(const std::string& what) {
    throw ServiceError(ErrorCode::kNotFound, what + " not found");
}

}  // namespace

MediaFile MessageService::GetMedia(const Actor& actor, const std::string& session_id, const std::string& message_id) {
    ReadableSession(actor, session_id);
    if (!IsWellFormedId(message_id)) MediaNotFound("message");
    auto m = repo_.FindMessage(actor.who.company_id, session_id, message_id);
    if (!m) MediaNotFound("message");
    if (!m->media || m->media->status != domain::MediaStatus::kReady || !blobs_) MediaNotFound("media");
    auto size = blobs_->Size(m->media->sha256);
    if (!size) MediaNotFound("media");
    const std::string sha256 = m->media->sha256;
    return MediaFile{std::move(*m), sha256, *size};
}

Bytes MessageService::ReadMedia(const MediaFile& file, std::uint64_t offset, std::uint64_t length) {
    if (!blobs_) MediaNotFound("media");
    auto bytes = blobs_->Range(file.sha256, offset, length);
    if (!bytes) {
        if (bytes.error().code == "not_found") MediaNotFound("media");
        throw ServiceError(ErrorCode::kStorageUnavailable, bytes.error().message);
    }
    return std::move(*bytes);
}

domain::Message MessageService::DownloadMediaAgain(const Actor& actor, const std::string& session_id,
                                                   const std::string& message_id) {
    ReadableSession(actor, session_id);
    if (!IsWellFormedId(message_id)) MediaNotFound("message");
    auto m = repo_.FindMessage(actor.who.company_id, session_id, message_id);
    if (!m) MediaNotFound("message");
    if (!m->media || m->media->ref.empty()) MediaNotFound("media");
    if (m->media->status != domain::MediaStatus::kFailed && m->media->status != domain::MediaStatus::kTooLarge)
        return *m;
    // "pending" is stored before the download is queued: its outcome must land after it.
    domain::MediaInfo pending = *m->media;
    pending.status = domain::MediaStatus::kPending;
    auto row = repo_.UpdateMessageMedia(session_id, m->id, pending);
    if (!row) MediaNotFound("message");
    // Shown as pending before the download can end: the outcome's event must come after this one
    // in every stream, or a page would keep showing "pending" after a fast failure.
    auto updated = [&](const domain::Message& shown) {
        Emit(shown.company_id, session_id, "whatsapp:message_updated",
             {{"sessionId", session_id}, {"chatId", shown.chat_id}, {"message", MessageView(shown)}});
    };
    updated(*row);
    auto started = engine_.DownloadMedia(session_id, m->id, pending.ref);
    if (!started) {
        if (auto back = repo_.UpdateMessageMedia(session_id, m->id, *m->media)) updated(*back);
        throw ServiceError(started.error(), FailureKind::kUnavailable);
    }
    return *row;
}

void InboundAdapter::OnMessageMediaChanged(const std::string& session_id, const domain::Message& message) {
    try {
        Emit(message.company_id, session_id, "whatsapp:message_updated",
             {{"sessionId", session_id}, {"chatId", message.chat_id}, {"message", MessageView(message)}});
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: message_updated of {} not emitted: {}", session_id, message.id, e.what());
    }
}

namespace {

// The message type of a file from its MIME type (`document` when unknown).
domain::MessageType TypeForMime(std::string_view mime) {
    if (mime == "image/webp") return domain::MessageType::kSticker;
    if (mime.starts_with("image/")) return domain::MessageType::kImage;
    if (mime.starts_with("video/")) return domain::MessageType::kVideo;
    if (mime.starts_with("audio/")) return domain::MessageType::kAudio;
    return domain::MessageType::kDocument;
}

}  // namespace

SendResult MessageService::SendMedia(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                                     SendRequest request, const OutgoingFile& file) {
    // Rights first: nothing is kept for a caller who may not send.
    ReadableSession(actor, session_id);
    if (!access_.CanWrite(actor.who, session_id))
        throw ServiceError(ErrorCode::kForbidden, "sending in this session needs canWrite");
    const std::optional<domain::MessageType> type =
        file.type.empty() ? TypeForMime(file.mimetype) : domain::ParseMessageType(file.type);
    if (!type || !domain::IsMediaType(*type)) {
        throw ServiceError(ErrorCode::kInvalidField,
                           "field 'type' must be image, video, audio, voice, document or sticker");
    }
    if (file.data.empty()) throw ServiceError(ErrorCode::kInvalidField, "field 'file' must not be empty");
    if (!blobs_) throw ServiceError(ErrorCode::kStorageUnavailable, "no blob store");
    auto key = blobs_->Put(AsBytes(file.data));
    if (!key) throw ServiceError(ErrorCode::kStorageUnavailable, key.error().message);
    domain::MediaInfo media;
    media.mimetype = file.mimetype.empty() ? "application/octet-stream" : file.mimetype;
    media.size = static_cast<std::int64_t>(file.data.size());
    media.file_name = file.file_name;
    media.sha256 = *key;
    media.status = domain::MediaStatus::kReady;
    request.type = *type;
    request.media = std::move(media);
    return Send(actor, session_id, chat_ref, request);
}

}  // namespace wadesk::service
