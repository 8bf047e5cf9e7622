#pragma once
// The domain vocabulary: the rows every layer speaks (the store returns them, the service and the
// API read them), and the names of roles, session statuses and message types. Times are unix
// milliseconds (UTC). Every row that belongs to a company carries company_id, and every lookup of
// such a row takes it: a row of another company is simply not found (invariant 1).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wadesk::domain {

enum class Role { kAdmin, kManager };

struct Company {
    std::string id;
    std::string name;
    int max_sessions = 10;
    std::int64_t created_at = 0;
};

struct User {
    std::string id;
    std::string company_id;
    std::string email;          // auth::NormaliseEmail's spelling; unique across all companies (login is by email alone)
    std::string name;
    Role role = Role::kManager;
    std::string password_hash;  // argon2id encoded string; empty for externally issued users
    std::string external_id;    // subject at the external issuer (integration mode), else empty
    bool disabled = false;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t tokens_valid_after = 0;  // tokens issued before this time are void (0: none)
};

// A token signed out on its own (POST /api/auth/logout), void until it would have expired anyway.
struct RevokedToken {
    std::string token_id;      // auth::TokenId of the token
    std::string user_id;
    std::int64_t expires_at = 0;  // unix ms
};

// Session statuses of SPEC §3. Name() spells each as the API and the database (wa_sessions.status)
// spell it.
enum class SessionStatus { kInitializing, kQr, kConnected, kReconnecting, kDisconnected, kLoggedOut, kFailed };

inline constexpr SessionStatus kAllSessionStatuses[] = {
    SessionStatus::kInitializing, SessionStatus::kQr,       SessionStatus::kConnected, SessionStatus::kReconnecting,
    SessionStatus::kDisconnected, SessionStatus::kLoggedOut, SessionStatus::kFailed};

constexpr std::string_view Name(SessionStatus status) {
    switch (status) {
        case SessionStatus::kInitializing: return "initializing";
        case SessionStatus::kQr: return "qr";
        case SessionStatus::kConnected: return "connected";
        case SessionStatus::kReconnecting: return "reconnecting";
        case SessionStatus::kDisconnected: return "disconnected";
        case SessionStatus::kLoggedOut: return "logged_out";
        case SessionStatus::kFailed: return "failed";
    }
    return "failed";
}

// The status Name() spells as `name`; nullopt for any other text.
constexpr std::optional<SessionStatus> ParseSessionStatus(std::string_view name) {
    for (SessionStatus status : kAllSessionStatuses)
        if (Name(status) == name) return status;
    return std::nullopt;
}

// How much of the phone's history a session imports when it links (WaSession::history_sync):
// none; recent (what the phone sends by default: its recent chats); full (the companion asks the
// phone for its whole history, requireFullSync).
inline constexpr const char* kHistoryNone = "none";
inline constexpr const char* kHistoryRecent = "recent";
inline constexpr const char* kHistoryFull = "full";

struct WaSession {
    std::string id;
    std::string company_id;
    std::string name;
    SessionStatus status = SessionStatus::kInitializing;
    std::string status_reason;     // e.g. "qr_timeout", "unlinked_from_phone"; empty when none
    std::string phone_number;      // digits only, set once linked
    std::string display_name;
    std::string jid;               // own device JID once linked
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t connected_at = 0; // 0 = never
    std::string history_sync = kHistoryRecent;  // how much history to import on link
};

struct Access {
    std::string company_id;
    std::string session_id;
    std::string user_id;
    bool can_read = false;
    bool can_write = false;
    bool can_manage_chats = false;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

// A member of a group chat (wa_group_participants), as WhatsApp last told.
struct GroupParticipant {
    std::string jid;    // the member's PN user JID when known, else its LID JID
    std::string phone;  // digits, when known
    std::string lid;    // LID user JID, when known
    std::string name;   // push name, when known
    std::string admin = "none";  // "none", "admin" or "superadmin"

    bool operator==(const GroupParticipant&) const = default;
};

// Where a message stands: pending < sent < delivered < read < played as it moves forward; failed
// (an outgoing message that could not be sent) from pending or sent. Name() spells each as the API
// and the database (wa_messages.status, wa_message_receipts.status) spell it.
enum class MessageStatus { kPending, kSent, kDelivered, kRead, kPlayed, kFailed };

inline constexpr MessageStatus kAllMessageStatuses[] = {MessageStatus::kPending,   MessageStatus::kSent,
                                                        MessageStatus::kDelivered, MessageStatus::kRead,
                                                        MessageStatus::kPlayed,    MessageStatus::kFailed};

constexpr std::string_view Name(MessageStatus status) {
    switch (status) {
        case MessageStatus::kPending: return "pending";
        case MessageStatus::kSent: return "sent";
        case MessageStatus::kDelivered: return "delivered";
        case MessageStatus::kRead: return "read";
        case MessageStatus::kPlayed: return "played";
        case MessageStatus::kFailed: return "failed";
    }
    return "failed";
}

// The status Name() spells as `name`; nullopt for any other text.
constexpr std::optional<MessageStatus> ParseMessageStatus(std::string_view name) {
    for (MessageStatus status : kAllMessageStatuses)
        if (Name(status) == name) return status;
    return std::nullopt;
}

// What one recipient of an outgoing message did with it (wa_message_receipts): one per member of
// a group (or the contact of a 1:1 chat), not per device, with the best status its devices
// reported and when it was first reached.
struct MessageReceipt {
    std::string message_id;
    std::string company_id;
    std::string session_id;
    std::string jid;     // the recipient's PN user JID when known, else its LID JID
    std::string phone;   // digits, when known
    std::string lid;     // LID user JID, when known
    std::string name;    // read only: the contact's name, else push name, else the member's name
    MessageStatus status = MessageStatus::kDelivered;  // kDelivered, kRead or kPlayed
    std::int64_t at = 0; // unix ms
};

struct Chat {
    std::string id;
    std::string company_id;
    std::string session_id;
    std::string jid;               // canonical: user@s.whatsapp.net, group@g.us, ...
    std::string lid;               // LID alias (user@lid) when known, else empty
    std::string name;
    bool is_group = false;
    int unread_count = 0;
    std::string last_message;      // preview text of the newest message
    std::int64_t last_message_at = 0;
    bool archived = false;
    bool pinned = false;
    bool muted = false;
    std::string assigned_to;       // user id, empty when unassigned
    std::vector<std::string> labels;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    // The name of the chat's contact (its name, else its push name) for a 1:1 chat; kept by the
    // store (UpsertContact, UpsertChat). What the chat shows when `name` is empty.
    std::string contact_name;
};

// Someone the session's account knows (wa-protocol §13). `jid` is canonical as a chat's: the
// phone-number JID (user@s.whatsapp.net) when known, else the LID (user@lid); `lid` the LID alias
// when known. Unique per session by jid and by lid.
struct Contact {
    std::string id;
    std::string company_id;
    std::string session_id;
    std::string jid;
    std::string lid;
    std::string phone;             // digits of the phone-number JID; empty when only the LID is known
    std::string name;              // the phone's own name for the contact (history), else empty
    std::string push_name;         // the name the contact gave itself (message "notify", history)
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

// What a chat of this contact shows when it has no name of its own.
inline const std::string& ContactDisplayName(const Contact& c) { return c.name.empty() ? c.push_name : c.name; }

// Where the file of a media message stands. Name() spells each as the API and the database
// (wa_messages.media_status) spell it.
enum class MediaStatus { kPending, kReady, kFailed, kTooLarge };

inline constexpr MediaStatus kAllMediaStatuses[] = {MediaStatus::kPending, MediaStatus::kReady, MediaStatus::kFailed,
                                                    MediaStatus::kTooLarge};

constexpr std::string_view Name(MediaStatus status) {
    switch (status) {
        case MediaStatus::kPending: return "pending";
        case MediaStatus::kReady: return "ready";
        case MediaStatus::kFailed: return "failed";
        case MediaStatus::kTooLarge: return "too_large";
    }
    return "failed";
}

// The status Name() spells as `name`; nullopt for any other text.
constexpr std::optional<MediaStatus> ParseMediaStatus(std::string_view name) {
    for (MediaStatus status : kAllMediaStatuses)
        if (Name(status) == name) return status;
    return std::nullopt;
}

struct MediaInfo {
    std::string mimetype;
    std::int64_t size = 0;
    std::string file_name;
    std::string url;               // unused (the view computes the download URL)
    std::string sha256;            // hex SHA-256 of the decrypted file: its blob-store key; "" until ready
    MediaStatus status = MediaStatus::kFailed;  // failed until a file is known to fetch
    std::int64_t duration = 0;     // seconds, when the message states them (audio, video)
    std::int64_t width = 0;        // pixels, when stated (image, video, sticker)
    std::int64_t height = 0;
    std::string ref;               // WhatsApp's reference for the file (JSON, engine-defined); "" when none
};

// What a message is. Name() spells each as the API and the database (wa_messages.type) spell it.
// kUndecryptable: a message that could not be decrypted (yet), shown as "waiting for this
// message"; the sender's resend under the same WhatsApp id replaces it with the real content.
enum class MessageType {
    kText,
    kImage,
    kVideo,
    kAudio,
    kVoice,
    kDocument,
    kSticker,
    kLocation,
    kContact,
    kReaction,
    kSystem,
    kUnsupported,
    kUndecryptable,
};

inline constexpr MessageType kAllMessageTypes[] = {
    MessageType::kText,     MessageType::kImage,    MessageType::kVideo,       MessageType::kAudio,
    MessageType::kVoice,    MessageType::kDocument, MessageType::kSticker,     MessageType::kLocation,
    MessageType::kContact,  MessageType::kReaction, MessageType::kSystem,      MessageType::kUnsupported,
    MessageType::kUndecryptable};

constexpr std::string_view Name(MessageType type) {
    switch (type) {
        case MessageType::kText: return "text";
        case MessageType::kImage: return "image";
        case MessageType::kVideo: return "video";
        case MessageType::kAudio: return "audio";
        case MessageType::kVoice: return "voice";
        case MessageType::kDocument: return "document";
        case MessageType::kSticker: return "sticker";
        case MessageType::kLocation: return "location";
        case MessageType::kContact: return "contact";
        case MessageType::kReaction: return "reaction";
        case MessageType::kSystem: return "system";
        case MessageType::kUnsupported: return "unsupported";
        case MessageType::kUndecryptable: return "undecryptable";
    }
    return "unsupported";
}

// The type Name() spells as `name`; nullopt for any other text.
constexpr std::optional<MessageType> ParseMessageType(std::string_view name) {
    for (MessageType type : kAllMessageTypes)
        if (Name(type) == name) return type;
    return std::nullopt;
}

// The types whose message carries a file (image, video, audio, voice, document, sticker).
constexpr bool IsMediaType(MessageType type) {
    return type == MessageType::kImage || type == MessageType::kVideo || type == MessageType::kAudio ||
           type == MessageType::kVoice || type == MessageType::kDocument || type == MessageType::kSticker;
}

struct Message {
    std::string id;
    std::string company_id;
    std::string session_id;
    std::string chat_id;
    std::string wa_message_id;     // unique per session (invariant 3)
    bool from_me = false;
    std::string sender_jid;
    std::string sender_name;
    std::string sender_phone;      // digits, when the sender's phone number is known
    std::string sender_lid;        // the sender's LID (user@lid) when known, else empty
    MessageType type = MessageType::kText;
    std::string body;
    std::optional<MediaInfo> media;
    std::string quoted_message_id;
    std::int64_t timestamp = 0;    // when WhatsApp says it was sent (ms)
    MessageStatus status = MessageStatus::kPending;
    std::string sent_by;           // user id that sent it through us, else empty
    std::string client_message_id; // idempotency key of the send request, else empty
    bool edited = false;
    bool deleted = false;
    bool from_history = false;     // imported by history sync: triggers no notification
    std::int64_t created_at = 0;
    std::string failure_reason;    // why status is "failed" ("no_devices", "server_error_479", ...); else empty
};


// A durable event: the Socket.IO stream and GET /api/events both read these.
struct Event {
    std::int64_t id = 0;           // monotonically increasing, assigned by the store
    std::string company_id;
    std::string session_id;
    std::string name;              // "whatsapp:message", ...
    std::string payload_json;      // the event's data object, serialized JSON
    std::int64_t created_at = 0;
};

struct AuditEntry {
    std::int64_t id = 0;
    std::string company_id;
    std::string user_id;           // who; empty for the system
    std::string action;            // "session.create", "access.grant", "message.send", ...
    std::string target_type;       // "session", "user", "chat", "message", ...
    std::string target_id;
    std::string details_json;      // "{}" when nothing more
    std::string ip;                // from where
    std::int64_t created_at = 0;
};

}  // namespace wadesk::domain
