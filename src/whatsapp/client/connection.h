#pragma once
// Connection: one WhatsApp Web connection as an I/O-free state machine, from the Noise handshake
// to close. The driver (session.h, or a test) moves bytes and time in and out:
//
//   Start(now)          -> sink.SendBytes(intro + ClientHello)
//   OnData(bytes, now)  websocket binary message payloads from the server, in order
//   OnTick(now)         call at NextDeadline() (QR rotation, pings, idle and IQ timeouts)
//   sink.Close(info)    the connection is over; the driver closes the socket and decides,
//                       from info.kind, whether to reconnect (session.h does this)
//
// Phases: handshake -> (registration: QR codes, pair-success, then 515 restart) |
//         (login: success, after-login sequence) -> connected -> closed.
// Credentials are written to the CredentialStore whenever they change (pairing, pre-keys).
// REQUIRES: all calls on one thread/strand; referenced objects outlive the Connection.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "whatsapp/proto/message_util.h"
#include "core/result.h"
#include "whatsapp/binary/node.h"
#include "whatsapp/client/config.h"
#include "whatsapp/client/credential_store.h"
#include "whatsapp/client/credentials.h"
#include "whatsapp/client/media_retry.h"
#include "whatsapp/client/signal_manager.h"

namespace wadesk::wa {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class CloseKind {
    kRestartRequired,  // 515 after pairing: reconnect at once with the saved credentials
    kLoggedOut,        // 401/403/406, device_removed, our own logout: credentials are void
    kReplaced,         // 440 conflict replaced: another connection took over; do not reconnect
    kQrTimeout,        // all QR refs expired without a scan
    kTransient,        // network loss, 5xx, timeouts: reconnect with backoff
    kFatal,            // bad server certificate, client outdated, pairing failed: stop
    kStopped,          // Stop() by the owner
};
std::string_view CloseKindName(CloseKind kind);

struct CloseInfo {
    CloseKind kind = CloseKind::kTransient;
    int code = 0;        // WhatsApp status code when there is one (515, 401, 440, 408, 500...)
    std::string reason;  // short machine-readable reason ("qr_timeout", "device_removed", ...)
};

// What a received stanza carried, once decrypted.
enum class MessageKind {
    kContent,        // something to show: text, media, location, contact, reaction...
    kUndecryptable,  // could not be read (why: `failure`); a retry may still bring it
    kRevoke,         // the sender deleted message `target_id` for everyone
    kEdit,           // the sender changed message `target_id`; `content` is the new content
    kProtocol,       // protocol data only (history sync, app-state keys...): no message to show
};

struct IncomingMessage {
    MessageKind kind = MessageKind::kContent;
    std::string id;
    std::string chat;        // chat JID (the peer for 1:1, destinationJid for our own sends)
    std::string sender;      // sender device JID
    std::string sender_alt;  // the sender user in the other domain (LID for a PN sender, PN for a LID
                             // sender): sender_lid / sender_pn, else from the session's LidMap; empty
                             // when unknown
    std::string chat_alt;    // the chat in the other domain, from the LidMap; empty when unknown
    std::string push_name;
    bool from_me = false;
    std::int64_t timestamp = 0;  // unix seconds
    std::string text;            // conversation / extendedTextMessage text; empty for other types
    MessageContent content;      // kind, text or caption, media metadata, quoted / reacted-to id
    Bytes message;               // the decrypted Message protobuf (unwrapped from deviceSentMessage)
    std::string target_id;       // kRevoke / kEdit: the message it changes
    std::string failure;         // kUndecryptable: why ("signal_no_session", "bad_protobuf", ...)
    bool is_group = false;       // the chat is a group (chat = the group JID)
    int retry_count = 0;         // the <enc count> of a resend after our retry receipt
    bool history_notification = false;  // kProtocol: a history sync from our phone, kept under
                                        // store_keys::HistoryNotification(id) for import
};

// One outgoing 1:1 text (Connection::Send).
struct OutgoingText {
    std::string id;    // the WhatsApp message id; empty: NewMessageId(). A re-send keeps its id
    std::string to;    // the chat: a user JID (PN or LID)
    std::string text;
    // Set when replying: the message goes out as extendedTextMessage with contextInfo.
    struct Quote {
        std::string stanza_id;    // the quoted message's WhatsApp id
        std::string participant;  // its sender's user JID (our own JID for our messages)
        std::string text;         // its text, carried as quotedMessage.conversation
    };
    std::optional<Quote> quote;
    // A prebuilt message (media, wa-protocol §11) sent instead of `text`, as <message type='media'>
    // with <enc mediatype>; a `quote` goes into its media message's contextInfo.
    std::optional<Message> content;
    std::string mediatype;
};

// A group's state or a change to it (wa-protocol §18): a w:gp2 notification, or the metadata of
// a w:g2 query / the `participating` list fetched after every login.
struct GroupMember {
    std::string jid;   // as WhatsApp named it (LID in LID-addressed groups), no device
    std::string alt;   // the same member in the other domain (`phone_number` / `lid`), may be empty
    std::string rank;  // "" (member), "admin", "superadmin"
};
struct GroupEvent {
    std::string id;      // the notification id (empty for metadata)
    std::string group;   // `<id>@g.us`
    // "metadata" (the whole state: subject and every member), "create" (the same, we were added
    // to a new group), "add", "remove", "leave" (a remove of the actor itself), "promote",
    // "demote" (`members` = those affected), "subject".
    std::string action;
    std::string by;      // the actor (`participant`, device dropped), may be empty
    std::string by_alt;  // `participant_pn` / `participant_lid`
    std::string by_name; // `notify`
    std::string subject; // metadata, create, subject
    std::vector<GroupMember> members;
    std::int64_t timestamp = 0;  // unix seconds
};

// A change to a group asked of WhatsApp (w:g2, §18.1; Connection::ManageGroup).
struct GroupAction {
    std::string action;  // "create", "add", "remove", "promote", "demote", "subject", "leave"
    std::string group;   // `<id>@g.us`; empty for create
    std::string subject; // create, subject
    std::vector<std::string> participants;  // user JIDs (PN or LID): create, add/remove/promote/demote
};
struct GroupActionResult {
    std::string group;  // create: the new group's JID
    // add/remove/promote/demote: per participant as asked, 0 when done, else WhatsApp's code
    // (409 already a member, 404 not a member or unknown, 403 an invitation is needed, ...).
    std::vector<std::pair<std::string, int>> participants;
};

struct ReceiptEvent {
    std::vector<std::string> ids;
    std::string from;    // the device that sent the receipt (the group, for a group's receipt)
    std::string type;    // "" delivered, "read", "played", "inactive", "sender", ...
    std::int64_t timestamp = 0;
    // Who receipted, as a user JID: the group member (`participant`) or the 1:1 peer (`from`),
    // and its JID in the other domain (PN <-> LID) when the LidMap knows it. Empty when the
    // receipt comes from one of our own devices.
    std::string recipient;
    std::string recipient_alt;
};

// Where a Connection reports. Default implementations ignore the event.
class ClientEvents {
public:
    virtual ~ClientEvents() = default;
    // A QR to show; valid until the next OnQr or for `ttl`.
    virtual void OnQr(const std::string& /*qr_text*/, std::chrono::seconds /*ttl*/) {}
    // Pairing verified and stored (a 515 restart follows).
    virtual void OnPaired(const Me& /*me*/) {}
    // Logged in and the after-login sequence is done.
    virtual void OnConnected(const Me& /*me*/) {}
    // A decrypted stanza, before anything is sent back. `writes` are the credential changes its
    // decryption made (Signal ratchet, consumed pre-key, the buffered plaintext, protocol data)
    // when the receive runs in a write batch (Session does; empty otherwise): commit them and the
    // message in one transaction and return true; only then is the receipt sent. On false
    // nothing was stored and nothing is sent: the writes are dropped, the Signal state is as
    // before, and WhatsApp redelivers the stanza later.
    virtual bool OnMessage(const IncomingMessage& /*message*/, const CredentialWrites& /*writes*/) { return true; }
    // Session only: a <message> stanza arrived. Return true to take it over (decrypt and commit
    // it elsewhere, then call Connection::CompleteMessage); false lets the connection process it
    // inline on its own thread.
    virtual bool TakeMessage(const Node& /*stanza*/) { return false; }
    virtual void OnReceipt(const ReceiptEvent& /*receipt*/) {}
    // A group's state or a change to it (connection_groups.cpp). Notifications are acked first:
    // a change that cannot be stored is caught up by the `participating` fetch of the next login.
    virtual void OnGroup(const GroupEvent& /*event*/) {}
    // Server ack of one of our sends (error 0 = accepted).
    virtual void OnSendAck(const std::string& /*message_id*/, int /*error*/) {}
    // One of our sends could not go out: `reason` is "no_devices", "usync_failed",
    // "key_fetch_failed" or "encryption_failed". Not reported when the connection closes while the
    // send is under way: the message did not fail, it is sent again on the next connection.
    virtual void OnSendFailed(const std::string& /*message_id*/, const std::string& /*reason*/) {}
};

// What the connection sends back for a received <message> stanza (wa-protocol §8).
struct MessageOutcome {
    enum class Reply {
        kReceipt,  // settled: a receipt of `receipt` kind (the receipt is the ack)
        kRetry,    // not decrypted: retry receipt number `retry_count`, then an ack of the failed copy
        kNack,     // refused: <ack error=nack_code>
        kNone,     // not stored (the commit failed): nothing is sent, WhatsApp redelivers it
    };
    enum class ReceiptKind {
        kDelivery,  // "" or "inactive", as our presence says
        kSender,    // our own device's copy of a message we sent: type sender, recipient = chat
        kPeer,      // protocol traffic between our own devices: type peer_msg
        kHistSync,  // a history-sync notification: type hist_sync, to our own user
    };
    Reply reply = Reply::kNone;
    ReceiptKind receipt = ReceiptKind::kDelivery;
    int nack_code = 0;
    int retry_count = 0;
    std::string recipient;  // kSender: the chat
};

class ConnectionSink {
public:
    virtual ~ConnectionSink() = default;
    virtual void SendBytes(Bytes data) = 0;
    virtual void Close(const CloseInfo& info) = 0;
};

class Connection {
public:
    Connection(const ClientConfig& config, Credentials& creds, CredentialStore& store, SignalManager& signal,
               ConnectionSink& sink, ClientEvents& events);
    ~Connection();

    enum class Phase { kIdle, kHandshake, kAwaitingServer, kPairing, kLoggingIn, kConnected, kClosed };
    Phase phase() const;

    void Start(TimePoint now);
    void OnData(BytesView data, TimePoint now);
    void OnTick(TimePoint now);
    std::optional<TimePoint> NextDeadline() const;

    // The transport failed (read/write error, peer closed): closes with kTransient.
    void OnTransportClosed(std::string reason);
    // Closes with kStopped; nothing is sent.
    void Stop();
    // Sends remove-companion-device and closes with kLoggedOut. REQUIRES: connected.
    void Logout();

    // Links by pairing code (wa-protocol §5.2) instead of a QR scan: sends companion_hello for
    // `phone_digits` and gives `done` the 8-character code once the server accepted it (code
    // entered on the phone -> primary_hello -> companion_finish -> pair-success as with a QR).
    // QR rotation stops; the code is given up after kPairingCodeTtl (close kQrTimeout,
    // "pairing_code_timeout"). Errors: session_not_pairing (no pair-device yet, or already
    // paired), bad_phone, phone_not_registered (server 404), pairing_code_refused, iq_timeout.
    void RequestPairingCode(std::string phone_digits, std::function<void(Result<std::string>)> done);

    // Sends a stanza (encrypted). Ignored unless the handshake is done and not closed.
    void SendNode(const Node& node);
    // Sends an IQ (an id is assigned when it has none); `on_response` gets the result or error
    // stanza, or nullptr on timeout. Returns the id.
    std::string SendIq(Node iq, std::function<void(const Node*)> on_response);

    // 1:1 text send: usync + key fetch + Signal per device + stanza. Returns the message id;
    // the outcome arrives as OnSendAck. Error when not connected or the JID is not a user.
    Result<std::string> SendText(std::string_view to_jid, std::string_view text);
    // The same for a full OutgoingText (own id, quote). Before the stanza leaves, the plaintext is
    // kept in the CredentialStore under store_keys::SentMessage(id) so that a retry receipt
    // (wa-protocol §8.1) can be answered; the owner prunes old ones (store_keys::kSentPrefix).
    // Failures after the call arrive as OnSendFailed / OnSendAck(error).
    Result<std::string> Send(const OutgoingText& message);

    // Sends what `outcome` says for a <message> stanza taken over by ClientEvents::TakeMessage
    // (receipt, retry receipt, NACK, or nothing). Ignored once closed.
    void CompleteMessage(const Node& stanza, const MessageOutcome& outcome);

    // Read receipts for messages of one chat.
    Result<void> MarkRead(std::string_view chat_jid, std::string_view sender_jid, const std::vector<std::string>& ids);
    // Asks WhatsApp for a group change (connection_groups.cpp). `done` gets the answer, or an
    // error: "not_connected", "bad_request", "iq_timeout", or "wa_<code>" with WhatsApp's code for
    // the whole request (401 not an admin, 403 not a participant, 404 no such group, 406 refused).
    void ManageGroup(const GroupAction& action, std::function<void(Result<GroupActionResult>)> done);
    // Asks for the state of `group_jid` (w:g2 query); the answer is reported as a "metadata"
    // GroupEvent (nothing when WhatsApp refuses: not a member, no such group).
    void QueryGroup(const std::string& group_jid);

    // Asks our own phone to upload a file again that the media host no longer has (a media retry
    // request, wa-protocol §11; media_retry.h). `done` gets the new direct path, or an error:
    // not_connected, bad_request, bad_key, media_retry_failed (the phone answered it cannot),
    // bad_notification, media_retry_timeout (no answer within `wait`). A second request for the
    // same message replaces the first (whose `done` gets media_retry_failed). When the connection
    // closes first, `done` is dropped, not called (as for IQs): callers bound their own wait.
    void RequestMediaRetry(MediaRetryRequest request, std::chrono::seconds wait,
                           std::function<void(Result<std::string>)> done);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// Helpers shared with tests.
std::string NewMessageId();  // "3EB0" + 18 uppercase hex digits

}  // namespace wadesk::wa
