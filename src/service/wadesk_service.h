#pragma once
// The domain: companies, users and managers, WhatsApp sessions, access grants, chats, messages,
// statistics, audit and events. Ties the engine, the store and the event bus together.
//
// Contract:
// - Every method blocks on the database: call it from the worker pool, never an I/O thread.
// - Every method that takes an Actor enforces SPEC §2 rights itself: an object of another
//   company, or a session the actor may not read, is kNotFound; a visible object the actor may
//   not change is kForbidden. Failures throw ServiceError; store failures propagate as StoreError.
// - Every state change writes an audit entry (who, what, target, ip) and, where SPEC names one,
//   an event: Repository::AppendEvent, then EventBus::Publish. The in-memory views
//   (AccessView, the authenticator's user table) change right after the store change commits.
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "auth/rate_limiter.h"
#include "auth/token_authenticator.h"
#include "service/engine.h"
#include "service/errors.h"
#include "service/event_bus.h"
#include "service/memory_access_view.h"
#include "store/blob_store.h"
#include "store/repository.h"

namespace wadesk::service {

struct Actor {
    auth::Principal who;
    std::string ip;
};

struct LoginResult {
    auth::IssuedToken token;
    domain::User user;
};

// A login between its admission and its password check (see BeginLogin).
struct PendingLogin {
    auth::LoginAttempt attempt;    // counted against the login limits until finished
    std::optional<domain::User> user;  // nullopt: no such email
    // What the password is checked against: empty for an unknown email or an external user
    // (the check then only spends the same time and fails).
    std::string password_hash;
};

struct NewUser {
    std::string email;
    std::string password;
    std::string name;
    domain::Role role = domain::Role::kManager;
};

struct ManagerPatch {
    std::optional<std::string> name;
    std::optional<std::string> email;
    std::optional<std::string> password;
    std::optional<bool> disabled;
};

struct GrantRequest {
    std::string manager_id;
    bool can_read = true;
    bool can_write = false;
    bool can_manage_chats = false;
};

// What the caller may do on one session it can read (admins: everything).
struct SessionRights {
    std::string session_id;
    bool can_read = false;
    bool can_write = false;
    bool can_manage_chats = false;
};

struct QrState {
    std::string session_id;
    domain::SessionStatus status = domain::SessionStatus::kInitializing;
    std::string qr_text;         // empty when no QR is pending
    std::string png_data_url;
    std::int64_t expires_at_ms = 0;
};

struct ChatFilter {
    int page = 1;
    int limit = 50;
    std::string search;
    std::optional<bool> archived;
    std::optional<bool> unread;
    std::optional<std::string> assigned_to;  // user id, "" = unassigned, "me" = the actor
};

struct ContactFilter {
    int page = 1;
    int limit = 50;
    std::string search;
};

struct SendRequest {
    std::string text;                // for a file: its caption (may be empty)
    std::string quoted_message_id;   // our message id or a WhatsApp id of this chat
    std::string client_message_id;   // idempotency key
    // A file (SendMedia fills these): the message type and the stored file (status ready).
    domain::MessageType type = domain::MessageType::kText;
    std::optional<domain::MediaInfo> media;
};

// A file to send (multipart POST .../send).
struct OutgoingFile {
    std::string type;       // image, video, audio, voice, document, sticker ("" = from the MIME type)
    std::string mimetype;   // "" = application/octet-stream
    std::string file_name;
    std::string_view data;
};

struct SendResult {
    domain::Message message;
    bool created = false;  // false: an earlier request with the same clientMessageId
};

struct StatsView {
    store::CompanyStats stats;                     // per_day filled to 30 days, zeros included
    std::vector<domain::WaSession> sessions;
};

struct EventPage {
    std::vector<domain::Event> items;
    std::int64_t last_id = 0;  // the highest id examined: pass as `after` to continue
};

// A message's downloaded file, as GET .../media serves it.
struct MediaFile {
    domain::Message message;
    std::string sha256;  // blob key
    std::uint64_t size = 0;
};

class WadeskService : public EngineEvents {
public:
    WadeskService(store::Repository& repo, EventBus& bus, MemoryAccessView& access,
                  auth::TokenAuthenticator& authenticator, Engine& engine, auth::LoginLimits login_limits = {});

    // Loads the in-memory views from the store. REQUIRES: called once before serving. First
    // rewrites stored emails that are not in auth::NormaliseEmail's spelling (rows written
    // before it); a row whose normalised email another row holds already keeps its old one
    // (and is logged: it cannot sign in until an admin changes its email).
    void LoadViews();
    // Starts the engine for sessions that were connected (or reconnecting) before a restart.
    void ResumeSessions();

    // --- operator (CLI) operations, no actor
    std::pair<domain::Company, domain::User> CreateCompany(const std::string& name, const NewUser& admin,
                                                         int max_sessions = 10);
    domain::User CreateUser(const std::string& company_id, const NewUser& user);
    std::int64_t CountCompanies();

    // --- auth
    // A login in three steps, so that the password check (argon2id) can run on a pool of its
    // own (auth::PasswordPool) without holding the caller's thread:
    // BeginLogin validates the input (kBadInput), normalises the email, takes the attempt
    // through the login limits (kRateLimited "rate_limited" with retry_after_s) and looks the
    // user up; a disabled user is refused here, before any password check (kUnauthenticated
    // "user_disabled"). Then the caller checks the password against `password_hash` and calls
    // FinishLogin with the verdict (kUnauthenticated "invalid_credentials", or the token), or
    // AbandonLogin when the check could not run (the attempt then does not count).
    PendingLogin BeginLogin(const std::string& email, const std::string& password, const std::string& ip);
    // Touches no database: may run on the password pool's thread.
    LoginResult FinishLogin(const PendingLogin& pending, bool password_ok);
    void AbandonLogin(const PendingLogin& pending);
    // The three steps on the caller's thread (tools and tests).
    LoginResult Login(const std::string& email, const std::string& password, const std::string& ip);
    // Signs the actor out everywhere: every token issued to the actor so far is void (REST
    // calls answer 401 "token_revoked", live Socket.IO connections are closed).
    void LogoutAll(const Actor& actor);
    // Signs out the token the actor called with, only it (service/logout.cpp): it is refused from
    // now on, here and after a restart, until it would have expired anyway.
    void Logout(const Actor& actor);
    domain::User Me(const Actor& actor);
    // Integration mode: creates the external token's user (and its company when unknown).
    domain::User ProvisionExternal(const auth::ExternalIdentity& identity);

    // --- managers (admin)
    std::vector<domain::User> ListManagers(const Actor& actor);
    domain::User CreateManager(const Actor& actor, const NewUser& user);
    domain::User UpdateManager(const Actor& actor, const std::string& id, const ManagerPatch& patch);
    void DeleteManager(const Actor& actor, const std::string& id);
    // Signs a manager out everywhere (admin), as LogoutAll does for oneself.
    void LogoutManager(const Actor& actor, const std::string& id);

    // --- sessions
    std::vector<domain::WaSession> ListSessions(const Actor& actor);
    // `history`: domain::kHistoryNone / kHistoryRecent / kHistoryFull ("" = recent); anything else
    // fails with invalid_history.
    domain::WaSession CreateSession(const Actor& actor, const std::string& name, const std::string& history = "");
    domain::WaSession GetSession(const Actor& actor, const std::string& id);
    // Admin. Emits whatsapp:session_status (with the new name) so open consoles show it.
    // Admin: a new name and/or history setting (the setting applies from the next link).
    domain::WaSession UpdateSession(const Actor& actor, const std::string& id, const std::optional<std::string>& name,
                                   const std::optional<std::string>& history);
    void DeleteSession(const Actor& actor, const std::string& id, bool purge);
    QrState GetQr(const Actor& actor, const std::string& id);
    domain::WaSession Disconnect(const Actor& actor, const std::string& id);
    domain::WaSession StartSession(const Actor& actor, const std::string& id);
    std::string RequestPairingCode(const Actor& actor, const std::string& id, const std::string& phone);

    // --- access grants (admin, except MyRights)
    // The caller's rights on every session it can read, from the live permission view: what the
    // REST API and the event stream enforce at this moment.
    std::vector<SessionRights> MyRights(const Actor& actor);
    // A grant's canWrite or canManageChats implies canRead (a right on a session one cannot see
    // would be no right): the stored grant has canRead set whenever either is.
    std::vector<domain::Access> ListAccess(const Actor& actor, const std::string& session_id);
    domain::Access Grant(const Actor& actor, const std::string& session_id, const GrantRequest& grant);
    void Revoke(const Actor& actor, const std::string& session_id, const std::string& manager_id);

    // --- chats and messages (chat_ref: our id, a JID or a phone number)
    store::Page<domain::Chat> ListChats(const Actor& actor, const std::string& session_id, const ChatFilter& filter);
    domain::Chat GetChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref);
    domain::Chat UpdateChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                           const store::ChatPatch& patch);
    domain::Chat MarkRead(const Actor& actor, const std::string& session_id, const std::string& chat_ref);
    // canManageChats. Who a chat of the session may be assigned to: the company's enabled users
    // who can read the session now (its admins and the managers with a grant), by name.
    std::vector<domain::User> Assignees(const Actor& actor, const std::string& session_id);
    store::Page<domain::Message> ListMessages(const Actor& actor, const std::string& session_id,
                                             const std::string& chat_ref, int page, int limit,
                                             const std::string& before);
    SendResult Send(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                    const SendRequest& request);

    // --- contacts (canRead; service/contacts.cpp)
    store::Page<domain::Contact> ListContacts(const Actor& actor, const std::string& session_id,
                                             const ContactFilter& filter);

    // --- media of messages (message_media.cpp); canRead on the session, as the message itself
    // Where decrypted files are kept (REQUIRES: before serving; may stay null: no file is served).
    void SetBlobStore(store::BlobStore* blobs) { blobs_ = blobs; }
    // The message and its ready file (status "ready", blob present). not_found for an unknown or
    // unreadable message, a message without a file, or a file not (yet) downloaded.
    MediaFile GetMedia(const Actor& actor, const std::string& session_id, const std::string& message_id);
    // Bytes of a ready file (from MediaFile::sha256); an empty range for offset = size.
    Bytes ReadMedia(const MediaFile& file, std::uint64_t offset, std::uint64_t length);
    // Fetches a file again (status failed or too_large) in the background: the message becomes
    // "pending" and is shown again when the outcome arrives. A pending or ready file is left as is.
    // not_found as GetMedia; unavailable when the engine cannot download.
    domain::Message DownloadMediaAgain(const Actor& actor, const std::string& session_id, const std::string& message_id);
    // Sends a file (canWrite): kept in the blob store, stored as a message of its type with its
    // media (ready, sha256) and `request.text` as the caption, then uploaded and sent by the
    // engine. Idempotent by clientMessageId like Send. Errors as Send; invalid_field for a bad type.
    SendResult SendMedia(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                         SendRequest request, const OutgoingFile& file);

    // --- receipts per recipient (message_receipts.cpp; canRead, as the message itself)
    // Who received and read message `message_id`: one entry per recipient with its best status
    // and when it was reached. not_found for an unknown or unreadable message.
    std::vector<domain::MessageReceipt> MessageReceipts(const Actor& actor, const std::string& session_id,
                                                       const std::string& message_id);

    // --- stats, audit, events (admin for stats and audit)
    StatsView Stats(const Actor& actor);
    store::Page<domain::AuditEntry> Audit(const Actor& actor, int page, int limit);
    EventPage Events(const Actor& actor, std::int64_t after, int limit);

    // --- operations
    bool Ping();
    std::map<std::string, std::int64_t> SessionsByStatus();  // from memory, for /metrics

    // --- EngineEvents
    void OnQr(const std::string& session_id, const std::string& qr_text, const std::string& png_data_url,
              std::int64_t expires_at_ms) override;
    void OnReady(const std::string& session_id, const std::string& phone, const std::string& name,
                 const std::string& jid) override;
    void OnStatus(const std::string& session_id, domain::SessionStatus status, const std::string& reason) override;
    bool OnIncomingMessage(const std::string& session_id, const IncomingMessage& message,
                           const CommitHook& also) override;
    bool OnHistory(const std::string& session_id, const HistoryBatch& batch, const CommitHook& also) override;
    void OnMessageSent(const std::string& session_id, const std::string& message_id,
                       const std::string& wa_message_id) override;
    void OnMessageStatus(const std::string& session_id, const std::string& wa_message_id,
                         domain::MessageStatus status) override;
    void OnMessageFailed(const std::string& session_id, const std::string& wa_message_id,
                         const std::string& reason) override;
    void OnRecipientReceipt(const std::string& session_id, const RecipientReceipt& receipt) override;
    void OnMessageMediaChanged(const std::string& session_id, const domain::Message& message) override;
    void OnGroupChange(const std::string& session_id, const GroupChange& change) override;

    // Groups (groups_service.cpp). The members of a group chat as WhatsApp last told
    // (read access; 404 not_a_group for a chat that is no group).
    std::vector<domain::GroupParticipant> GroupParticipants(const Actor& actor, const std::string& session_id,
                                                           const std::string& chat_ref);
    // Group management at WhatsApp (canManageChats; the session connected, else 503
    // session_not_connected). WhatsApp's refusals: 403 not_group_admin, 409 not_group_participant,
    // 404 group_not_found, 422 rejected_by_whatsapp. Participants are numbers or user JIDs.
    // CreateGroup answers the new group chat (its members and system line follow from WhatsApp's
    // notification).
    domain::Chat CreateGroup(const Actor& actor, const std::string& session_id, const std::string& subject,
                            const std::vector<std::string>& participants);
    // add|remove|promote|demote: per participant (JID, "ok" or why not: already_participant,
    // not_participant, invite_required, refused_<code>).
    std::vector<std::pair<std::string, std::string>> ChangeGroupParticipants(const Actor& actor,
                                                                             const std::string& session_id,
                                                                             const std::string& chat_ref,
                                                                             const std::string& action,
                                                                             const std::vector<std::string>& participants);
    void LeaveGroup(const Actor& actor, const std::string& session_id, const std::string& chat_ref);

private:
    void RequireAdmin(const Actor& actor) const;
    domain::WaSession VisibleSession(const Actor& actor, const std::string& id);
    // The read paths' check, from memory only: the access view knows every session with its
    // company, so a readable session exists and belongs to the actor's company.
    void ReadableSession(const Actor& actor, const std::string& id) const;
    domain::User OwnManager(const Actor& actor, const std::string& id);
    std::optional<domain::Chat> ResolveChat(const Actor& actor, const std::string& session_id,
                                           const std::string& chat_ref);
    domain::Chat RequireChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref);
    void WriteAudit(const Actor* actor, const std::string& company_id, const std::string& action,
                    const std::string& target_type, const std::string& target_id,
                    const boost::json::object& details = {});
    void Emit(const std::string& company_id, const std::string& session_id, const std::string& name,
              const boost::json::object& payload);
    // An event not stored yet: append it in a transaction, publish it after the commit.
    static domain::Event MakeEvent(const std::string& company_id, const std::string& session_id, const std::string& name,
                                  const boost::json::object& payload);
    // The statements of one incoming message inside the receive transaction; its events are
    // appended to `tx`, and published once Transact returns them.
    std::optional<domain::WaSession> ReceivingSession(const std::string& session_id);
    // groups_service.cpp: runs a group request at WhatsApp for a session the actor manages chats
    // of, turning WhatsApp's refusals into ServiceErrors.
    GroupAnswer RunGroupRequest(const domain::WaSession& session, const GroupRequest& request);
    domain::Message IncomingRow(store::Transaction& tx, const domain::WaSession& session, const std::string& chat_id,
                                const IncomingMessage& in);
    void RecordIncoming(store::Transaction& tx, const domain::WaSession& session, const IncomingMessage& in);
    void ApplyChange(store::Transaction& tx, const domain::WaSession& session, const IncomingMessage& in);
    void AppendUpdated(store::Transaction& tx, const domain::WaSession& session, const store::UpdatedMessage& updated);
    // Stores `contact` of the session inside the receive (or history) transaction; the 1:1 chats
    // whose shown name changed with it are appended as whatsapp:chat_updated.
    void RecordContact(store::Transaction& tx, const domain::WaSession& session, domain::Contact contact);
    // The sender of an incoming message as a contact to record: its push name and PN<->LID pair;
    // nullopt when the message names neither (our own messages, a sender without a push name).
    static std::optional<domain::Contact> SenderContact(const IncomingMessage& in);
    void ApplySessionChange(const domain::WaSession& session);
    void ValidateNewUser(const NewUser& user) const;
    // group_metadata.cpp: asks WhatsApp for the metadata of a group whose chat has no
    // participants stored, once per group and connection; NoteGroupMetadata records a group whose
    // metadata arrived; ForgetGroupQueries lets a new connection ask again.
    // `known_unknown`: the caller saw the group hold no participants (no store read is needed).
    void EnsureGroupMetadata(const domain::WaSession& s, const std::string& group_jid, bool known_unknown = false);
    void NoteGroupMetadata(const std::string& session_id, const std::string& group_jid);
    void ForgetGroupQueries(const std::string& session_id);
    // Hands `m` (an outgoing row of session `s`) to the engine unless it was already handed in
    // the session's current connection (see handed_).
    void HandToEngine(const domain::WaSession& s, const domain::Message& m);
    // Drops a message that left "pending" from handed_ (it is never handed again anyway).
    void Forget(const std::string& session_id, const std::string& message_id);

    store::Repository& repo_;
    EventBus& bus_;
    MemoryAccessView& access_;
    auth::TokenAuthenticator& authenticator_;
    Engine& engine_;
    store::BlobStore* blobs_ = nullptr;
    auth::LoginRateLimiter login_limiter_;

    mutable std::mutex state_mutex_;
    std::map<std::string, QrState> qr_;                    // pending QR per session
    std::map<std::string, std::string> session_status_;    // session id -> status, for metrics
    std::map<std::string, std::string> session_company_;   // session id -> company id, for the receive path
    // Outgoing message ids handed to the engine since the session's last OnReady: the REST send
    // and the reconnect flush both hand pending messages, and each is handed once per connection.
    std::mutex send_mutex_;
    std::map<std::string, std::set<std::string>> handed_;  // session id -> message ids
    // Groups by "<session id>\n<group jid>": those with participants stored, and those whose
    // metadata was asked for on the session's current connection (group_metadata.cpp).
    std::mutex groups_mutex_;
    std::set<std::string> groups_known_;
    std::set<std::string> groups_asked_;
};

}  // namespace wadesk::service
