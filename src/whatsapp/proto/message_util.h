#pragma once
// Helpers around the generated protobuf types of wa.proto (namespace wadesk::wa).
//
// Parsing peer bytes never throws: ParseProto returns an Error (code "bad_protobuf") for
// malformed input.
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

}  // namespace wadesk::wa
