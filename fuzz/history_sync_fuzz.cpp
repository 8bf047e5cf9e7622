// libFuzzer target: a history sync (wa-protocol §10) as the importer reads it (history.cpp). The
// first byte selects the entry point:
//   0: a HistorySyncNotification protobuf → OpenHistoryNotification (its inline payload inflated)
//   1: a zlib stream → ParseHistoryPayload (the payload of an inline or downloaded chunk)
//   2: a HistorySync protobuf as inflated, so mutations reach the conversations a stream hides
// and each HistorySync that opens goes through ReadHistory as our account sees it.
// Invariants: failures carry one of the documented codes; an opened sync re-deflates and opens
// again to the same serialization; ReadHistory's message count is the sum of its chats', every
// chat is a non-device user or group JID (a group has no alternate identity), its messages are
// oldest first, carry an id and this chat, and our own name us as sender; PN<->LID pairs are each
// of their kind; push names come only from PUSH_NAME chunks, named, and conversations only from
// the types that carry them.
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.h"
#include "quiet_protobuf.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/client/history.h"
#include "whatsapp/proto/message_util.h"

using namespace wadesk;
using namespace wadesk::wa;

namespace {

const std::string kOwnJid = "15550001111:7@s.whatsapp.net";
const std::string kOwnUser = "15550001111@s.whatsapp.net";

bool IsUserJidOf(const std::string& text, bool lid) {
    auto jid = ParseJid(text);
    return jid && jid->device == 0 && (lid ? jid->IsLid() : jid->IsPnUser()) && jid->ToString() == text;
}

void CheckChunk(const HistorySync& sync) {
    const HistoryChunk chunk = ReadHistory(sync, kOwnJid);
    FUZZ_CHECK(chunk.sync_type == sync.synctype(), "the chunk's type is not the sync's");
    std::size_t messages = 0;
    const bool carries = sync.synctype() == HistorySync::INITIAL_BOOTSTRAP || sync.synctype() == HistorySync::RECENT ||
                         sync.synctype() == HistorySync::FULL || sync.synctype() == HistorySync::ON_DEMAND;
    FUZZ_CHECK(carries || chunk.chats.empty(), "conversations read from a type that carries none");
    for (const HistoryChat& chat : chunk.chats) {
        auto jid = ParseJid(chat.jid);
        FUZZ_CHECK(jid && jid->device == 0 && (jid->IsUserServer() || jid->IsGroup()), "a chat is not a user or group");
        FUZZ_CHECK(jid->IsGroup() == chat.is_group, "is_group does not follow the JID");
        FUZZ_CHECK(!chat.is_group || chat.jid_alt.empty(), "a group has an alternate identity");
        std::int64_t last = 0;
        for (const HistoryMessage& hm : chat.messages) {
            const IncomingMessage& m = hm.message;
            FUZZ_CHECK(!m.id.empty(), "a history message has no id");
            FUZZ_CHECK(m.chat == chat.jid && m.is_group == chat.is_group, "a message names another chat");
            FUZZ_CHECK(m.timestamp >= last, "messages are not oldest first");
            FUZZ_CHECK(!m.from_me || m.sender == kOwnUser, "our own message has another sender");
            last = m.timestamp;
        }
        messages += chat.messages.size();
    }
    FUZZ_CHECK(messages == chunk.message_count, "message_count is not the sum of the chats'");
    for (const auto& [pn, lid] : chunk.lid_mappings)
        FUZZ_CHECK(IsUserJidOf(pn, false) && IsUserJidOf(lid, true), "a PN<->LID pair of the wrong kinds");
    FUZZ_CHECK(sync.synctype() == HistorySync::PUSH_NAME || chunk.push_names.empty(), "push names outside PUSH_NAME");
    for (const auto& [jid, name] : chunk.push_names)
        FUZZ_CHECK(ParseJid(jid).has_value() && !name.empty(), "a push name without a JID or a name");
}

void CheckOpened(const Result<HistorySync>& sync) {
    static const std::set<std::string> kCodes = {"inflate_failed", "inflate_too_large", "trailing_bytes",
                                                 "bad_protobuf", "history_external_blob"};
    if (!sync) {
        FUZZ_CHECK(kCodes.count(sync.error().code) > 0, "an undocumented failure code");
        return;
    }
    const Bytes once = SerializeProto(*sync);
    auto again = ParseHistoryPayload(ZlibDeflate(once));
    FUZZ_CHECK(again && SerializeProto(*again) == once, "an opened sync does not round-trip through zlib");
    CheckChunk(*sync);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const BytesView body(data + 1, size - 1);
    switch (data[0] % 3) {
        case 0: {
            auto notification = ParseProto<Message::HistorySyncNotification>(body);
            if (notification) CheckOpened(OpenHistoryNotification(*notification));
            break;
        }
        case 1: CheckOpened(ParseHistoryPayload(body)); break;
        default: {
            auto sync = ParseProto<HistorySync>(body);
            if (sync) CheckChunk(*sync);
            break;
        }
    }
    return 0;
}
