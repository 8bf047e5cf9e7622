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
    if (spec.expired) (void)media_.Expire(direct_path, 410, spec.lost);
    const std::string url = media_.UrlFor(direct_path);
    const std::string mime = spec.mimetype.empty() ? DefaultMime(spec.type) : spec.mimetype;

    wa::MediaMessageSpec m{spec.type, url, direct_path, mime, media_key,
                           Bytes(enc->file_sha256.begin(), enc->file_sha256.end()),
                           Bytes(enc->file_enc_sha256.begin(), enc->file_enc_sha256.end()), enc->file_length, t,
                           spec.caption, spec.file_name, spec.seconds, spec.width, spec.height};
    std::string mediatype;
    const wa::Message message = wa::MediaMessage(m, &mediatype);
    auto sent = PhoneSendMessage(phone, to, message, addressing, std::move(id), {"media", mediatype},
                                 SendFanout::kAllDevices, Persistence::kNow);
    if (!sent) return sent.error();
    if (Account* me = MutableAccount(phone)) {
        if (PhoneParty* party = Party(*me)) PhoneKeepMedia(*party, sent->id, message);
    }
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
