#pragma once
// Reading a history sync (wa-protocol §10): the payload a HISTORY_SYNC_NOTIFICATION carries, and
// the chats, messages, push names and PN<->LID pairs in it, as the receive path reports live
// messages (IncomingMessage). No I/O: the caller stores and imports the result.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "whatsapp/client/connection.h"
#include "whatsapp/proto/wa.pb.h"

namespace wadesk::wa {

// A history payload inflates to at most this many bytes (a FULL chunk of a busy phone is a few MB).
inline constexpr std::size_t kMaxHistoryPayload = 64u << 20;

// A stored message of a conversation: as a live one is reported, plus the status the phone kept
// for it ("sent", "delivered", "read", "played"; empty when it states none).
struct HistoryMessage {
    IncomingMessage message;
    std::string status;
};

// One conversation of a chunk. `jid` is the conversation id as the phone names it; `jid_alt` the
// same contact in the other domain when the chunk states it (pnJid / lidJid).
struct HistoryChat {
    std::string jid;
    std::string jid_alt;
    std::string name;
    std::uint32_t unread_count = 0;
    bool archived = false;
    bool pinned = false;
    bool muted = false;
    bool is_group = false;
    std::vector<HistoryMessage> messages;  // oldest first; kind kContent only
};

struct HistoryChunk {
    int sync_type = 0;  // HistorySync.syncType (INITIAL_BOOTSTRAP 0, FULL 2, RECENT 3, PUSH_NAME 4, ...)
    std::uint32_t chunk_order = 0;
    std::uint32_t progress = 0;  // 0..100 as the phone states it
    std::vector<HistoryChat> chats;
    std::vector<std::pair<std::string, std::string>> push_names;   // (user JID, name)
    std::vector<std::pair<std::string, std::string>> lid_mappings;  // (PN user JID, LID user JID), each of its kind
    std::size_t message_count = 0;
};

// The HistorySync a notification carries. Inline payloads (initialHistBootstrapInlinePayload)
// are inflated here. Errors: "history_external_blob" when the payload is an external blob (it
// must be downloaded from the media hosts first: pass its inflated bytes to ParseHistoryPayload),
// "inflate_failed" / "inflate_too_large" / "trailing_bytes" / "bad_protobuf" for a payload that
// cannot be read.
Result<HistorySync> OpenHistoryNotification(const Message::HistorySyncNotification& notification);

// Inflates and parses a history blob's zlib stream. Errors as above.
Result<HistorySync> ParseHistoryPayload(BytesView zlib_stream);

// The chats and messages of `sync` as our account (`own_jid`, any of its device JIDs) sees them. Conversations only count in the sync
// types that carry them (INITIAL_BOOTSTRAP, RECENT, FULL, ON_DEMAND); push names only in PUSH_NAME
// chunks; PN<->LID pairs in every chunk (as WhatsApp clients read them). Messages without content
// (system stubs) and protocol messages (revokes, key shares) are left out: history shows what the
// phone shows.
HistoryChunk ReadHistory(const HistorySync& sync, const std::string& own_jid);

}  // namespace wadesk::wa
