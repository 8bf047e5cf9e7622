#include "whatsapp/proto/message_util.h"

#include <cstdio>

namespace wadesk::wa {

const Message& UnwrapMessage(const Message& message) {
    const Message* m = &message;
    for (int depth = 0; depth < 8; ++depth) {
        const Message* inner = nullptr;
        if (m->has_devicesentmessage() && m->devicesentmessage().has_message()) {
            inner = &m->devicesentmessage().message();
        } else if (m->has_ephemeralmessage() && m->ephemeralmessage().has_message()) {
            inner = &m->ephemeralmessage().message();
        } else if (m->has_viewoncemessage() && m->viewoncemessage().has_message()) {
            inner = &m->viewoncemessage().message();
        } else if (m->has_viewoncemessagev2() && m->viewoncemessagev2().has_message()) {
            inner = &m->viewoncemessagev2().message();
        } else if (m->has_viewoncemessagev2extension() && m->viewoncemessagev2extension().has_message()) {
            inner = &m->viewoncemessagev2extension().message();
        } else if (m->has_documentwithcaptionmessage() && m->documentwithcaptionmessage().has_message()) {
            inner = &m->documentwithcaptionmessage().message();
        } else if (m->has_editedmessage() && m->editedmessage().has_message()) {
            inner = &m->editedmessage().message();
        }
        if (inner == nullptr) break;
        m = inner;
    }
    return *m;
}

namespace {

Bytes Raw(const std::string& s) { return Bytes(s.begin(), s.end()); }

template <class M>
MessageContent::Media MediaOf(const M& m) {
    MessageContent::Media media;
    media.mimetype = m.mimetype();
    media.size = static_cast<std::int64_t>(m.filelength());
    media.url = m.url();
    media.direct_path = m.directpath();
    media.media_key = Raw(m.mediakey());
    media.file_sha256 = Raw(m.filesha256());
    media.file_enc_sha256 = Raw(m.fileencsha256());
    if constexpr (requires { m.seconds(); }) media.seconds = m.seconds();
    if constexpr (requires { m.width(); }) {
        media.width = m.width();
        media.height = m.height();
    }
    return media;
}

std::string LocationText(const Message::LocationMessage& l) {
    std::string out = l.name();
    if (!l.address().empty()) out += out.empty() ? l.address() : ", " + l.address();
    char coords[64];
    std::snprintf(coords, sizeof coords, "%s(%.6f, %.6f)", out.empty() ? "" : " ", l.degreeslatitude(),
                  l.degreeslongitude());
    return out + coords;
}

}  // namespace

MessageContent DescribeMessage(const Message& message) {
    const Message& m = UnwrapMessage(message);
    MessageContent c;
    const ContextInfo* context = nullptr;
    if (m.has_conversation()) {
        c.type = "text";
        c.body = m.conversation();
    } else if (m.has_extendedtextmessage()) {
        c.type = "text";
        c.body = m.extendedtextmessage().text();
        context = &m.extendedtextmessage().contextinfo();
    } else if (m.has_imagemessage()) {
        c.type = "image";
        c.body = m.imagemessage().caption();
        c.media = MediaOf(m.imagemessage());
        context = &m.imagemessage().contextinfo();
    } else if (m.has_videomessage()) {
        c.type = "video";
        c.body = m.videomessage().caption();
        c.media = MediaOf(m.videomessage());
        context = &m.videomessage().contextinfo();
    } else if (m.has_audiomessage()) {
        c.type = m.audiomessage().ptt() ? "voice" : "audio";
        c.media = MediaOf(m.audiomessage());
        context = &m.audiomessage().contextinfo();
    } else if (m.has_documentmessage()) {
        c.type = "document";
        c.body = m.documentmessage().caption();
        c.media = MediaOf(m.documentmessage());
        c.media->file_name = m.documentmessage().filename();
        context = &m.documentmessage().contextinfo();
    } else if (m.has_stickermessage()) {
        c.type = "sticker";
        c.media = MediaOf(m.stickermessage());
        context = &m.stickermessage().contextinfo();
    } else if (m.has_locationmessage()) {
        c.type = "location";
        c.body = LocationText(m.locationmessage());
        context = &m.locationmessage().contextinfo();
    } else if (m.has_contactmessage()) {
        c.type = "contact";
        c.body = m.contactmessage().displayname();
        context = &m.contactmessage().contextinfo();
    } else if (m.has_reactionmessage()) {
        c.type = "reaction";
        c.body = m.reactionmessage().text();
        c.quoted_id = m.reactionmessage().key().id();
    }
    if (context) c.quoted_id = context->stanzaid();
    return c;
}

Message MediaMessage(const MediaMessageSpec& spec, std::string* mediatype) {
    Message message;
    auto fill = [&](auto* m) {
        m->set_url(spec.url);
        m->set_mimetype(spec.mimetype);
        m->set_filesha256(std::string(spec.file_sha256.begin(), spec.file_sha256.end()));
        m->set_fileencsha256(std::string(spec.file_enc_sha256.begin(), spec.file_enc_sha256.end()));
        m->set_filelength(spec.file_length);
        m->set_mediakey(std::string(spec.media_key.begin(), spec.media_key.end()));
        m->set_directpath(spec.direct_path);
        m->set_mediakeytimestamp(spec.media_key_timestamp);
    };
    std::string kind = spec.type;
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
    } else if (spec.type == "audio" || spec.type == "voice" || spec.type == "ptt") {
        auto* m = message.mutable_audiomessage();
        fill(m);
        const bool ptt = spec.type != "audio";
        if (ptt) m->set_ptt(true);
        if (spec.seconds) m->set_seconds(spec.seconds);
        kind = ptt ? "ptt" : "audio";
    } else if (spec.type == "sticker") {
        auto* m = message.mutable_stickermessage();
        fill(m);
        if (spec.width) m->set_width(spec.width);
        if (spec.height) m->set_height(spec.height);
    } else {
        auto* m = spec.caption.empty()
                      ? message.mutable_documentmessage()
                      : message.mutable_documentwithcaptionmessage()->mutable_message()->mutable_documentmessage();
        fill(m);
        m->set_filename(spec.file_name.empty() ? "file" : spec.file_name);
        m->set_title(m->filename());
        if (!spec.caption.empty()) m->set_caption(spec.caption);
        kind = "document";
    }
    if (mediatype) *mediatype = kind;
    return message;
}

ContextInfo* MutableMediaContext(Message& message) {
    Message* m = &message;
    if (m->has_documentwithcaptionmessage() && m->documentwithcaptionmessage().has_message())
        m = m->mutable_documentwithcaptionmessage()->mutable_message();
    if (m->has_imagemessage()) return m->mutable_imagemessage()->mutable_contextinfo();
    if (m->has_videomessage()) return m->mutable_videomessage()->mutable_contextinfo();
    if (m->has_audiomessage()) return m->mutable_audiomessage()->mutable_contextinfo();
    if (m->has_documentmessage()) return m->mutable_documentmessage()->mutable_contextinfo();
    if (m->has_stickermessage()) return m->mutable_stickermessage()->mutable_contextinfo();
    return nullptr;
}

}  // namespace wadesk::wa
