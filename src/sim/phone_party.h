#pragma once
// What an emulated phone keeps as a Signal party (phone_messaging.cpp), in memory: the messages it
// decrypted (its inbox), the plaintexts it sent (to answer retry receipts, §8.1), the receipts it
// got for them, and the devices whose next message it must break on purpose. Its Signal sessions
// and prekeys live in the Account (saved with the account file); everything here is lost on a
// sim restart.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "sim/phone_signal.h"

namespace wadesk::sim {

// A message the phone decrypted.
struct InboxEntry {
    std::string id;
    std::string from;  // the sender device as the stanza named it
    std::string chat;  // the sender's user JID, or the DSM destination for an own companion's copy
    std::string text;  // conversation / extendedText text, captions; "" for other content
    std::string type;  // "text", "image", ... or the Message field name ("protocolMessage", ...)
    std::int64_t t = 0;
    int count = 0;  // the <enc count> retry counter it arrived with (0 = first delivery)
    // Media messages: the phone downloads, decrypts and verifies the file (phone_media.cpp).
    std::string media_status;  // "" (no media), "ok", or why not ("not_found", "mac_mismatch", ...)
    std::string sha256;        // hex SHA-256 of the decrypted file when "ok"
    std::uint64_t size = 0;    // its length
    std::string mimetype;
    std::string file_name;
};

// A receipt for one of the phone's own messages.
struct PhoneReceipt {
    std::string id;
    std::string from;  // the receipting device
    std::string type;  // "" = delivered, "read", "retry", ...
    int count = 0;     // retry receipts: <retry count>
};

struct PhoneSendResult {
    std::string id;
    std::vector<std::string> devices;  // device JIDs encrypted to
};

enum class Addressing { kPn, kLid };

// A file a phone sends (control API): `type` image, video, audio, ptt, document or sticker.
struct PhoneMediaSpec {
    std::string type;
    Bytes data;
    std::string mimetype;   // "" = the type's usual one
    std::string file_name;  // documents
    std::string caption;
    std::uint32_t seconds = 0;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    bool expired = false;   // the media host answers 410 for the file from the start
    bool lost = false;      // with expired: the phones do not have it either (a media retry fails)
};

struct PhoneMediaResult {
    PhoneSendResult sent;
    std::string sha256;       // hex, of the plaintext
    std::string enc_sha256;   // hex, of the uploaded file
    std::string direct_path;
    std::string media_key;    // hex
};

// The history a phone pushes to each companion it links (wa-protocol §10), as seeded through the
// control API: chats with another account (`with`: digits, or a PN or LID JID) and their messages.
struct HistorySeedMessage {
    std::string id;
    bool from_me = false;
    std::string text;
    std::int64_t t = 0;    // unix seconds
    std::string status;    // our own messages: "sent", "delivered", "read" or "" (none stated)
};
struct HistorySeedChat {
    std::string with;
    std::string name;
    std::uint32_t unread = 0;
    bool archived = false;
    bool pinned = false;
    std::vector<HistorySeedMessage> messages;  // oldest first
};

struct PhoneParty {
    using DeviceKey = std::pair<std::string, std::uint16_t>;  // (account phone, device)

    // A media message the phone sent or received, by message id: what it needs to upload the
    // file again when a companion's media retry request asks (phone_media_retry.cpp).
    struct KeptMedia {
        Bytes media_key;
        std::string upload_type;  // "image", "video", ... (the media host's type)
        std::string direct_path;  // the newest one
    };
    std::map<std::string, KeptMedia> media;  // the newest 1024
    std::deque<std::string> media_order;

    struct Sent {
        std::string chat;   // the chat JID as addressed (PN or LID)
        Bytes message;      // serialized Message (not padded, not DSM-wrapped)
        std::string type;   // stanza type
        std::map<DeviceKey, int> answered;  // retry receipts answered per device (at most 5)
    };

    std::unique_ptr<PhoneSignal> signal;
    std::deque<InboxEntry> inbox;                 // the newest 20000
    std::deque<PhoneReceipt> receipts;            // the newest 50000
    std::map<std::string, Sent> sent;             // by message id, the newest 512
    std::deque<std::string> sent_order;
    std::set<DeviceKey> break_next;               // devices whose next message gets a bad MAC
    std::map<std::pair<std::string, DeviceKey>, int> retries;  // (id, sender device) -> retry receipts sent
    std::vector<HistorySeedChat> history;          // pushed to each companion once, after its first prekey upload
    std::set<std::uint16_t> history_pushed;        // companions that got it
    bool history_corrupt = false;                  // push a payload that does not inflate
    // Groups: the devices holding the phone's current sender key, by group JID (they get no SKDM
    // with the next message); emptied when the key is replaced.
    std::map<std::string, std::set<DeviceKey>> sender_key_holders;
};

}  // namespace wadesk::sim
