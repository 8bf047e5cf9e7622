#pragma once
// Helpers around the generated protobuf types of wa.proto (namespace wadesk::wa).
//
// Parsing peer bytes never throws: ParseProto returns an Error (code "bad_protobuf") for
// malformed input.
#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/proto/wa.pb.h"

namespace wadesk::wa {

template <class M>
Result<M> ParseProto(BytesView bytes) {
    M message;
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return MakeError("bad_protobuf", "malformed " + std::string(M::descriptor()->name()));
    }
    return message;
}

template <class M>
Bytes SerializeProto(const M& message) {
    Bytes out(message.ByteSizeLong());
    message.SerializeToArray(out.data(), static_cast<int>(out.size()));
    return out;
}

// The innermost content of `message`: follows the FutureProofMessage wrappers (viewOnce,
// ephemeral, documentWithCaption, viewOnceV2, viewOnceV2Extension, edited) and
// deviceSentMessage.message, at most 8 levels deep. Returns `message` itself when unwrapped.
const Message& UnwrapMessage(const Message& message);

// What a chat shows of a message.
struct MessageContent {
    struct Media {
        std::string mimetype;
        std::int64_t size = 0;   // fileLength, bytes
        std::string file_name;  // documents only
        // Where the file is and how to open it (wa-protocol §11); empty when the message lacks them.
        std::string url;
        std::string direct_path;
        Bytes media_key;
        Bytes file_sha256;
        Bytes file_enc_sha256;
        std::uint32_t seconds = 0;  // audio, video
        std::uint32_t width = 0;    // image, video, sticker
        std::uint32_t height = 0;
    };
    // text, image, video, audio, voice (audio recorded as a voice note), document, sticker,
    // location, contact, reaction; "unsupported" for anything else (polls, protocol messages...).
    std::string type = "unsupported";
    // The text, a caption, a location as "name, address (lat, lon)", a contact's display name,
    // a reaction's emoji ("" when a reaction is taken back); "" for unsupported content.
    std::string body;
    std::optional<Media> media;  // for image, video, audio, voice, document, sticker
    std::string quoted_id;       // the message id it replies to (contextInfo.stanzaId) or reacts to
};

// Describes UnwrapMessage(message).
MessageContent DescribeMessage(const Message& message);

// What a media message states of its uploaded file (wa-protocol §11).
struct MediaMessageSpec {
    std::string type;  // image, video, audio, voice (ptt), document, sticker
    std::string url;
    std::string direct_path;
    std::string mimetype;
    Bytes media_key;
    Bytes file_sha256;
    Bytes file_enc_sha256;
    std::uint64_t file_length = 0;
    std::int64_t media_key_timestamp = 0;
    std::string caption;    // image, video, document
    std::string file_name;  // document
    std::uint32_t seconds = 0;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
};

// imageMessage / videoMessage / audioMessage (ptt for voice) / documentMessage (inside
// documentWithCaptionMessage when captioned) / stickerMessage; an unknown type is a document.
// `mediatype` gets the stanza's <enc mediatype> (image, video, ptt, audio, document, sticker).
Message MediaMessage(const MediaMessageSpec& spec, std::string* mediatype = nullptr);

// The contextInfo of the media message `message` carries (image, video, audio, document, also
// inside documentWithCaptionMessage, sticker), created when absent; nullptr for other content.
// A reply's quote (stanzaId, participant, quotedMessage) goes there.
ContextInfo* MutableMediaContext(Message& message);

}  // namespace wadesk::wa
