// The emulated phones' media (wa-protocol §11): a phone sends image, video, audio / voice note,
// document and sticker messages whose files it encrypts with a fresh media key and puts on the
// sim's media host, and it opens the media it receives — fetches the file from the media host by
// its direct path, checks fileEncSha256, the MAC and fileSha256, and notes the result and the
// plaintext's SHA-256 in its inbox. The phone lives in the same process as the media host, so it
// reads the host's store directly instead of going through HTTPS.
#include <spdlog/spdlog.h>

#include "sim/server.h"
#include "whatsapp/crypto/media.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;

namespace {

std::string DefaultMime(std::string_view type) {
    if (type == "image") return "image/jpeg";
    if (type == "video") return "video/mp4";
    if (type == "ptt") return "audio/ogg; codecs=opus";
    if (type == "audio") return "audio/mpeg";
    if (type == "sticker") return "image/webp";
    return "application/octet-stream";
}

std::optional<crypto::MediaKind> KindOf(std::string_view type) {
    if (type == "ptt") return crypto::MediaKind::kAudio;
    return crypto::MediaKindForType(type);
}

std::string Raw(const crypto::Digest32& d) { return std::string(d.begin(), d.end()); }
std::string Raw(BytesView b) { return std::string(b.begin(), b.end()); }

}  // namespace

Result<PhoneMediaResult> SimServer::PhoneSendMedia(std::string_view phone, std::string_view to,
                                                   const PhoneMediaSpec& spec, Addressing addressing, std::string id) {
    if (!FindAccount(phone)) return MakeError("no_account", "no such account");
    const auto kind = KindOf(spec.type);
    if (!kind) return MakeError("bad_request", "'type' is image, video, audio, ptt, document or sticker");
    if (spec.data.empty()) return MakeError("bad_request", "the file is empty");
    if (media_.hostname.empty()) return MakeError("no_media_host", "the sim runs without a media host");
    const Bytes media_key = RandomBytes(32);
    auto enc = crypto::EncryptMedia(media_key, *kind, spec.data);
    if (!enc) return enc.error();
    const std::int64_t t = now();
    const std::string direct_path = media_.Store(crypto::MediaUploadType(*kind), enc->file, t);
    if (spec.expired) (void)media_.Expire(direct_path);
    const std::string url = media_.UrlFor(direct_path);
    const std::string mime = spec.mimetype.empty() ? DefaultMime(spec.type) : spec.mimetype;

    wa::Message message;
    std::string mediatype = spec.type;
    auto fill = [&](auto* m) {
        m->set_url(url);
        m->set_mimetype(mime);
        m->set_filesha256(Raw(enc->file_sha256));
        m->set_fileencsha256(Raw(enc->file_enc_sha256));
        m->set_filelength(enc->file_length);
        m->set_mediakey(Raw(media_key));
        m->set_directpath(direct_path);
        m->set_mediakeytimestamp(t);
    };
    if (spec.type == "image") {
        auto* m = message.mutable_imagemessage();
        fill(m);
        if (!spec.caption.empty()) m->set_caption(spec.caption);
        if (spec.width) m->set_width(spec.width);
        if (spec.height) m->set_height(spec.height);
    } else if (spec.type == "video") {
        auto* m = message.mutable_videomessage();
        fill(m);
        if (!spec.caption.empty()) m->set_caption(spec.caption);
        if (spec.seconds) m->set_seconds(spec.seconds);
        if (spec.width) m->set_width(spec.width);
        if (spec.height) m->set_height(spec.height);
    } else if (spec.type == "audio" || spec.type == "ptt") {
        auto* m = message.mutable_audiomessage();
        fill(m);
        if (spec.type == "ptt") m->set_ptt(true);
        if (spec.seconds) m->set_seconds(spec.seconds);
    } else if (spec.type == "sticker") {
        auto* m = message.mutable_stickermessage();
        fill(m);
        if (spec.width) m->set_width(spec.width);
        if (spec.height) m->set_height(spec.height);
    } else {
        // A captioned document travels as documentWithCaptionMessage{message{documentMessage}}.
        auto* m = spec.caption.empty()
                      ? message.mutable_documentmessage()
                      : message.mutable_documentwithcaptionmessage()->mutable_message()->mutable_documentmessage();
        fill(m);
        m->set_filename(spec.file_name.empty() ? "file" : spec.file_name);
        m->set_title(m->filename());
        if (!spec.caption.empty()) m->set_caption(spec.caption);
    }
    auto sent = PhoneSendMessage(phone, to, message, addressing, std::move(id), {"media", mediatype},
                                 SendFanout::kAllDevices, Persistence::kNow);
    if (!sent) return sent.error();
    return PhoneMediaResult{std::move(*sent), ToHex(BytesView(enc->file_sha256.data(), 32)),
                            ToHex(BytesView(enc->file_enc_sha256.data(), 32)), direct_path, ToHex(media_key)};
}

void SimServer::PhoneOpenMedia(const wa::Message& message, InboxEntry& entry) {
    const auto content = wa::DescribeMessage(message);
    if (!content.media) return;
    const auto& media = *content.media;
    entry.mimetype = media.mimetype;
    entry.file_name = media.file_name;
    const auto kind = crypto::MediaKindForType(content.type);
    const Bytes* file = media.direct_path.empty() ? nullptr : media_.Find(media.direct_path);
    if (!kind || !file) {
        entry.media_status = "not_found";
        return;
    }
    auto plain = crypto::DecryptMedia(media.media_key, *kind, *file,
                                      {crypto::ToDigest(media.file_enc_sha256), crypto::ToDigest(media.file_sha256),
                                       static_cast<std::uint64_t>(media.size)});
    if (!plain) {
        spdlog::info("[sim] media of {} does not open: {}", entry.id, plain.error().message);
        entry.media_status = plain.error().code;
        return;
    }
    const auto digest = crypto::Sha256(*plain);
    entry.media_status = "ok";
    entry.sha256 = ToHex(BytesView(digest.data(), 32));
    entry.size = plain->size();
}

}  // namespace wadesk::sim
