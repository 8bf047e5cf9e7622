// libFuzzer target: a decrypted Message protobuf as the receive path reads it (receive.cpp after
// Signal and unpadding): parsing, unwrapping, what a chat shows of it, and the PN<->LID pairs an
// own-device LID migration sync teaches.
// Invariants: a parsed message serializes to bytes that parse back to the same serialization;
// DescribeMessage gives a known type, media exactly for media types and a size that is a byte
// count (never negative); after learning, every stored pair resolves both ways to each other.
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.h"
#include "quiet_protobuf.h"
#include "whatsapp/client/lid_map.h"
#include "whatsapp/proto/message_util.h"

using namespace wadesk;
using namespace wadesk::wa;

namespace {

void CheckDescription(const Message& message) {
    static const std::set<std::string> kMedia = {"image", "video", "audio", "voice", "document", "sticker"};
    static const std::set<std::string> kOther = {"text", "location", "contact", "reaction", "unsupported"};
    const MessageContent c = DescribeMessage(message);
    const bool media = kMedia.count(c.type) > 0;
    FUZZ_CHECK(media || kOther.count(c.type) > 0, "DescribeMessage gives an unknown type");
    FUZZ_CHECK(media == c.media.has_value(), "media described for a type without media, or missing");
    FUZZ_CHECK(!c.media || c.media->size >= 0, "a media size is negative");
    FUZZ_CHECK(c.type != "unsupported" || c.body.empty(), "unsupported content has a body");
}

void CheckLidMap(const Message& message) {
    MemoryCredentialStore store;
    LidMap map(store);
    map.LearnFromOwnMessage(message);
    for (const auto& [key, value] : store.items()) {
        const std::string user = key.substr(key.rfind('/') + 1);
        const std::string other = ToString(value);
        if (key.rfind("lid-map/pn/", 0) == 0) {
            FUZZ_CHECK(map.LidForPn(user) == other && map.PnForLid(other) == user, "a PN pair does not resolve back");
        } else if (key.rfind("lid-map/lid/", 0) == 0) {
            FUZZ_CHECK(map.PnForLid(user) == other && map.LidForPn(other) == user, "a LID pair does not resolve back");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto message = ParseProto<Message>(BytesView(data, size));
    if (!message) return 0;
    const Bytes once = SerializeProto(*message);
    auto again = ParseProto<Message>(once);
    FUZZ_CHECK(again && SerializeProto(*again) == once, "a parsed message does not round-trip");
    CheckDescription(*message);
    if (message->has_devicesentmessage()) CheckDescription(message->devicesentmessage().message());
    CheckLidMap(*message);
    return 0;
}
