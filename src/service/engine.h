#pragma once
// The seam between the service layer and a WhatsApp engine (the native client in
// whatsapp/client, or NullEngine until it is wired). The service drives the engine through
// Engine; the engine reports back through EngineEvents, which the service layer implements
// (InboundAdapter, service/inbound_adapter.h).
//
// Threading contract:
// - Engine methods are called from worker-pool threads and must not block for long: they queue
//   work onto the engine's own executors and return.
// - EngineEvents methods do blocking database work: the engine calls them from a thread where
//   blocking is allowed (its own worker or the shared worker pool), never from an I/O strand.
// - OnIncomingMessage returns only after the message is committed, in one transaction with the
//   engine's own writes for it (`also`: the Signal state its decryption advanced, the buffered
//   plaintext); the engine acknowledges the message to WhatsApp after it returns true
//   (invariant 2), and does not ack on false (then nothing of it was stored).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/model.h"
#include "store/repository.h"

namespace wadesk::service {

struct OutgoingMessage {
    std::string session_id;
    std::string message_id;       // our row id (status pending)
    std::string wa_message_id;    // its WhatsApp id, given when the row was created: every
                                  // (re)send uses it, so the recipient sees one message
    std::string chat_jid;         // canonical recipient JID
    std::string body;
    std::string quoted_wa_message_id;  // empty when not a reply
    std::string quoted_sender_jid;     // the quoted message's sender (user JID; ours for our own)
    std::string quoted_body;           // the quoted message's text
    domain::MessageType type = domain::MessageType::kText;  // text, or the media type (IsMediaType)
    std::optional<domain::MediaInfo> media;  // the file to upload and send (sha256 = its blob key)
};

// What an incoming stanza means for the stored messages.
enum class IncomingKind {
    kContent,        // a message to store and show
    kUndecryptable,  // stored and shown as "undecryptable"; a later resend under the same id replaces it
    kRevoke,         // the sender deleted `target_wa_message_id` for everyone
    kEdit,           // the sender changed `target_wa_message_id` to `type`/`body`
};

struct IncomingMessage {
    IncomingKind kind = IncomingKind::kContent;
    std::string target_wa_message_id;         // kRevoke / kEdit
    std::string failure;                      // kUndecryptable: why, for logs
    std::string chat_jid;         // canonical: the PN JID of a contact when known (wa-protocol §13)
    std::string chat_lid;         // LID alias when known
    std::string chat_name;        // the chat's own name (a group subject), may be empty; a 1:1 chat
                                  // shows its contact's name instead
    bool is_group = false;
    std::string wa_message_id;
    bool from_me = false;         // sent from the phone itself
    std::string sender_jid;
    std::string sender_name;      // the sender's push name ("notify"); also kept as its contact's
    std::string sender_phone;     // digits, when the sender's PN is known
    std::string sender_lid;       // the sender's LID user JID when known
    domain::MessageType type = domain::MessageType::kText;
    std::string body;
    std::string quoted_wa_message_id;         // replied-to or reacted-to message
    std::optional<domain::MediaInfo> media;    // file metadata of image/video/audio/document/sticker
    std::int64_t timestamp_ms = 0;
    bool from_history = false;
    std::optional<domain::MessageStatus> status;  // history: the status the phone kept (sent, delivered,
                                                  // read, played); none: sent for our own, delivered for others'
};

// Someone history sync names (wa-protocol §10, §13): a push name, the phone's name for a 1:1
// conversation, or a PN<->LID pair. jid canonical as a chat's (PN when known), lid the alias.
struct HistoryContact {
    std::string jid;
    std::string lid;
    std::string name;       // the phone's name for the contact; empty when the chunk states none
    std::string push_name;  // likewise
};

// A part of one history-sync chunk (wa-protocol §10) to store. A chunk is imported in batches,
// each committed on its own; `first`/`last` mark the chunk's first and last batch.
struct HistoryChat {
    std::string jid;        // canonical, as IncomingMessage::chat_jid
    std::string lid;        // LID alias when known
    std::string name;       // the phone's name for the chat (contact name or group subject)
    bool is_group = false;
    int unread_count = 0;   // as the phone counts it; set on chats the import creates
    bool archived = false;  // likewise
    bool pinned = false;
    bool muted = false;
    std::vector<IncomingMessage> messages;  // oldest first, from_history set
};

struct HistoryBatch {
    std::string chunk_id;        // the notification's message id
    std::string sync_type;       // "initial_bootstrap", "recent", "full", "push_name", "on_demand", ...
    int chunk_order = 0;
    int progress = 0;            // 0..100, the phone's own estimate for the whole sync
    bool first = false;          // the chunk's first batch
    bool last = false;           // the chunk's last batch
    std::int64_t chunk_chats = 0;     // in the whole chunk
    std::int64_t chunk_messages = 0;  // in the whole chunk
    std::vector<HistoryChat> chats;   // a chat of many messages may appear in several batches
    std::vector<HistoryContact> contacts;  // the chunk's contacts: in its first batch
    // Set when the chunk cannot be read (yet): nothing is stored, the import is reported failed
    // with this reason, and the chunk stays kept for a later try.
    std::string failure;
};

// A group's state or a change to it, as WhatsApp told (wa-protocol §18): the whole state
// ("metadata": after login or a query; "create": we were added to a new group) or one change
// ("add", "remove", "leave", "promote", "demote": `participants` are those affected; "subject").
struct GroupChange {
    std::string id;              // the notification's id (empty for metadata)
    std::string group_jid;       // `<id>@g.us`
    std::string action;
    domain::GroupParticipant by;  // the actor (jid/phone/lid/name; admin unused), may be empty
    std::string subject;
    std::vector<domain::GroupParticipant> participants;
    std::int64_t timestamp_ms = 0;
};

// A change to a group asked of WhatsApp (Engine::ManageGroup).
struct GroupRequest {
    std::string action;       // "create", "add", "remove", "promote", "demote", "subject", "leave"
    std::string group_jid;    // empty for create
    std::string subject;      // create, subject
    std::vector<std::string> participants;  // user JIDs
};
struct GroupAnswer {
    std::string group_jid;  // create: the new group
    // add/remove/promote/demote: (JID as asked, 0 = done, else WhatsApp's code).
    std::vector<std::pair<std::string, int>> participants;
};

// A receipt of a recipient (a group member, or the 1:1 peer) for our outgoing messages: one
// device of it has them ("delivered"), read or played them.
struct RecipientReceipt {
    std::vector<std::string> wa_message_ids;
    domain::MessageStatus status = domain::MessageStatus::kDelivered;  // kDelivered, kRead, kPlayed
    domain::GroupParticipant who;  // jid (PN when known), phone, lid; name and admin unused
    std::int64_t at_ms = 0;
};

class EngineEvents {
public:
    virtual ~EngineEvents() = default;
    // A new (or rotated) QR to scan: raw text, a "data:image/png;base64,..." rendering, expiry.
    virtual void OnQr(const std::string& session_id, const std::string& qr_text, const std::string& png_data_url,
                      std::int64_t expires_at_ms) = 0;
    // Linked and logged in as `phone` (digits), `name` (push name), own device `jid`.
    virtual void OnReady(const std::string& session_id, const std::string& phone, const std::string& name,
                         const std::string& jid) = 0;
    // Any other status change of SPEC §3 (with a reason such as "qr_timeout", "unlinked_from_phone").
    virtual void OnStatus(const std::string& session_id, domain::SessionStatus status, const std::string& reason) = 0;
    // Commits the message (deduplicated by wa_message_id), its events and `also`'s writes in one
    // transaction; true when durably stored. `also` may run more than once (a retried
    // transaction) and writes only through the transaction it is given.
    using CommitHook = std::function<void(store::Transaction& tx)>;
    virtual bool OnIncomingMessage(const std::string& session_id, const IncomingMessage& message,
                                   const CommitHook& also) = 0;
    // Commits one history batch (chats, their messages as history, progress events) and
    // `also`'s writes in one transaction; true when durably stored. A batch imported twice stores
    // nothing twice (messages are deduplicated by wa_message_id).
    virtual bool OnHistory(const std::string& session_id, const HistoryBatch& batch, const CommitHook& also) = 0;
    // The engine gave our outgoing row `message_id` its WhatsApp id and handed it to the server
    // (for engines that choose ids themselves; the native engine sends with
    // OutgoingMessage::wa_message_id and reports the server's ack as OnMessageStatus "sent").
    virtual void OnMessageSent(const std::string& session_id, const std::string& message_id,
                               const std::string& wa_message_id) = 0;
    // A status for a message: "sent" (the server accepted it), "delivered", "read", "played".
    virtual void OnMessageStatus(const std::string& session_id, const std::string& wa_message_id,
                                 domain::MessageStatus status) = 0;
    // A recipient's receipt (service/message_receipts.cpp): kept per recipient (its best status
    // and when), and the message's own status moves as OnMessageStatus moves it.
    virtual void OnRecipientReceipt(const std::string& session_id, const RecipientReceipt& receipt) {
        for (const auto& id : receipt.wa_message_ids) OnMessageStatus(session_id, id, receipt.status);
    }
    // Our send `wa_message_id` could not go out ("no_devices", "key_fetch_failed",
    // "encryption_failed", "usync_failed", "server_error_<code>", ...). Not called when the
    // session was merely not connected: the message stays pending and leaves on OnReady.
    virtual void OnMessageFailed(const std::string& session_id, const std::string& wa_message_id,
                                 const std::string& reason) = 0;
    // The file of media message `message` (the row after the change) became ready, too large, or
    // could not be fetched: the service shows the message again (whatsapp:message_updated).
    virtual void OnMessageMediaChanged(const std::string& /*session_id*/, const domain::Message& /*message*/) {}
    // A group's state or a change (groups_service.cpp): the chat's subject and participants are
    // updated, a change is stored as a `system` message and announced as whatsapp:group_updated.
    virtual void OnGroupChange(const std::string& /*session_id*/, const GroupChange& /*change*/) {}
};

class Engine {
public:
    virtual ~Engine() = default;
    // REQUIRES: called once, before any other method.
    virtual void SetEvents(EngineEvents* events) = 0;
    // Connects the session: resumes with stored credentials or begins pairing (QR events).
    virtual void Start(const domain::WaSession& session) = 0;
    // Closes the connection, keeps credentials (status "disconnected").
    virtual void Stop(const std::string& session_id) = 0;
    // Unlinks the device at WhatsApp and forgets credentials (status "logged_out").
    virtual void Logout(const std::string& session_id) = 0;
    // Asks for an 8-character pairing code for `phone_digits`. Errors: "engine_unavailable",
    // "session_not_pairing", "phone_not_registered" (WhatsApp does not know the number),
    // "engine_timeout" (no answer from WhatsApp).
    virtual Result<std::string> RequestPairingCode(const std::string& session_id, const std::string& phone_digits) = 0;
    // Hands one message to the session. When the session is not connected nothing is sent and
    // nothing is reported (the service sends pending messages again on OnReady). Handing the same
    // wa_message_id twice to one connection sends it once.
    virtual void Send(const OutgoingMessage& message) = 0;
    // Sends one read receipt for `wa_message_ids` (non-empty) in `chat_jid`; `sender_jid` names
    // their sender in a group chat (empty for 1:1). Dropped when the session is not connected.
    virtual void MarkRead(const std::string& session_id, const std::string& chat_jid, const std::string& sender_jid,
                          const std::vector<std::string>& wa_message_ids) = 0;
    // Fetches the file of media message `message_id` again (media ref JSON `ref`, as stored), in
    // the background; the outcome arrives as OnMessageMediaChanged. Error engine_unavailable.
    virtual Result<void> DownloadMedia(const std::string& /*session_id*/, const std::string& /*message_id*/,
                                       const std::string& /*ref*/) {
        return MakeError("engine_unavailable", "the WhatsApp engine cannot download media");
    }
    // Asks WhatsApp for the state of group `group_jid` (w:g2 query) in the background; the answer
    // arrives as OnGroupChange "metadata". Dropped when the session is not connected.
    virtual void FetchGroupMetadata(const std::string& /*session_id*/, const std::string& /*group_jid*/) {}
    // Appends the engine's own series (Prometheus text format) to `out`.
    virtual void RenderMetrics(std::string& /*out*/) {}
    // Asks WhatsApp for a group change and waits for its answer. Errors: "session_not_connected",
    // "engine_timeout", "engine_unavailable", or "wa_<code>" with WhatsApp's code (401 not an
    // admin, 403 not a participant, 404 no such group, 406 refused).
    virtual Result<GroupAnswer> ManageGroup(const std::string& /*session_id*/, const GroupRequest& /*request*/) {
        return MakeError("engine_unavailable", "this WhatsApp engine does not manage groups");
    }
};

// The engine of a build without the WhatsApp client: accepts every call and never reports
// anything, so sessions honestly stay "initializing" and sends stay "pending".
class NullEngine : public Engine {
public:
    void SetEvents(EngineEvents*) override {}
    void Start(const domain::WaSession&) override {}
    void Stop(const std::string&) override {}
    void Logout(const std::string&) override {}
    Result<std::string> RequestPairingCode(const std::string&, const std::string&) override {
        return MakeError("engine_unavailable", "the WhatsApp engine is not available in this build");
    }
    void Send(const OutgoingMessage&) override {}
    void MarkRead(const std::string&, const std::string&, const std::string&, const std::vector<std::string>&) override {}
};

}  // namespace wadesk::service
