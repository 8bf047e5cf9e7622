#pragma once
// The one storage interface. Two backends implement it: SQLite (WAL, the embedded default) and
// PostgreSQL (libpq with a connection pool). Callers never see SQL.
//
// Contract for every method:
// - Blocking: call it from the database pool, never from an I/O thread.
// - Thread-safe: any number of threads may call concurrently.
// - Company scoping: methods that take company_id match rows of that company only; a row of
//   another company is "not found" (std::nullopt / false), never an error that reveals it.
// - Failures throw the StoreError hierarchy of store/errors.h; "not found" is not a failure.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"

namespace wadesk::store {

// The domain vocabulary (domain/model.h), spoken unqualified by the store.
using domain::Access;
using domain::AuditEntry;
using domain::Chat;
using domain::Company;
using domain::Contact;
using domain::Event;
using domain::GroupParticipant;
using domain::MediaInfo;
using domain::Message;
using domain::MessageReceipt;
using domain::RevokedToken;
using domain::Role;
using domain::User;
using domain::WaSession;
using domain::kHistoryFull;
using domain::kHistoryNone;
using domain::kHistoryRecent;
using domain::MediaStatus;
using domain::MessageStatus;
using domain::MessageType;
using domain::SessionStatus;

struct UserPatch {
    std::optional<std::string> name;
    std::optional<std::string> email;
    std::optional<std::string> password_hash;
    std::optional<bool> disabled;
    std::optional<std::int64_t> tokens_valid_after;  // a mark never moves back: the later one is kept
};

struct SessionPatch {
    std::optional<std::string> name;
    std::optional<SessionStatus> status;
    std::optional<std::string> status_reason;
    std::optional<std::string> phone_number;
    std::optional<std::string> display_name;
    std::optional<std::string> jid;
    std::optional<std::int64_t> connected_at;
    std::optional<std::string> history_sync;
};

struct ChatPatch {
    std::optional<std::string> name;
    std::optional<bool> archived;
    std::optional<bool> pinned;
    std::optional<bool> muted;
    std::optional<std::string> assigned_to;  // "" clears
    std::optional<std::vector<std::string>> labels;
};

struct ChatQuery {
    std::string company_id;
    std::string session_id;
    int page = 1;                            // 1-based
    int limit = 50;                          // 1..200, validated by the caller
    std::string search;                      // substring of name or jid, case-insensitive; empty = any
    std::optional<bool> archived;
    std::optional<bool> unread;              // true: unread_count > 0; false: == 0
    std::optional<std::string> assigned_to;  // user id; "" = unassigned
};

struct ContactQuery {
    std::string company_id;
    std::string session_id;
    int page = 1;                            // 1-based
    int limit = 50;                          // 1..200, validated by the caller
    std::string search;                      // substring of name, push name, jid, lid or phone; case-insensitive
};

struct MessageQuery {
    std::string company_id;
    std::string session_id;
    std::string chat_id;
    int page = 1;                            // 1-based; ignored when `before` is set
    int limit = 50;                          // 1..200
    std::string before;                      // message id: only messages older than it
};

template <class T>
struct Page {
    std::vector<T> items;
    std::int64_t total = 0;                  // rows matching the filter, all pages
};

// A chat's message listing in one read: the chat's scope, its message count and the page.
struct ChatMessages {
    bool chat_found = false;    // false: no such chat in (company, session); page is empty
    bool cursor_found = true;   // false: `before` names no message of (company, session); no items
    Page<Message> page;         // a cursor of another chat of the session selects no items
};

// What RecordMessage did.
struct RecordedMessage {
    Message message;   // the stored row (the existing one when it was a duplicate)
    Chat chat;         // the chat after the change
    bool inserted = false;  // false: (session, wa_message_id) or (session, client_message_id) existed
};

// What UpsertContact did.
struct UpsertedContact {
    Contact contact;            // the row after the change
    bool changed = false;       // false: the contact was stored exactly so already
    std::vector<Chat> chats;    // the chats whose contact_name changed with it, after the change
};

// What UpdateMessageContent did.
struct UpdatedMessage {
    Message message;            // the row after the change
    std::optional<Chat> chat;   // the chat, when its preview changed with it
};

struct DailyCount {
    std::string day;   // "YYYY-MM-DD", UTC
    std::int64_t incoming = 0;
    std::int64_t outgoing = 0;
};

struct SessionStats {
    std::string session_id;
    std::int64_t chats = 0;
    std::int64_t incoming = 0;
    std::int64_t outgoing = 0;
};

struct CompanyStats {
    std::int64_t total_sessions = 0;
    std::int64_t active_sessions = 0;        // status connected
    std::int64_t total_chats = 0;
    std::vector<DailyCount> per_day;         // days with at least one message, oldest first
    std::vector<SessionStats> per_session;
};

// A unit of work: the statements of one use case, committed together by Repository::Transact.
// The methods mean what the Repository methods of the same names mean, but run inside the open
// transaction. Valid only inside the Transact callback; one thread. Writes that nothing in a
// unit reads back (credentials, events) may be deferred to the commit.
class Transaction {
public:
    virtual ~Transaction() = default;
    virtual Chat UpsertChat(const Chat& chat) = 0;
    virtual RecordedMessage RecordMessage(const Message& message) = 0;
    virtual std::optional<Message> FindMessageByWaId(std::string_view session_id, std::string_view wa_message_id) = 0;
    virtual UpsertedContact UpsertContact(const Contact& contact) = 0;
    // Rewrites a stored message's content: type, body, media, quoted_message_id, edited, deleted
    // (found by message.session_id and message.id). Returns the row after the change; nullopt
    // when there is no such message. The chat's preview follows when it is the chat's last
    // message (UpdatedMessage::chat is then the chat after the change).
    virtual std::optional<UpdatedMessage> UpdateMessageContent(const Message& message) = 0;
    // Queues an event of this unit: it is written at the commit, after the unit's other writes,
    // and Transact returns it with its id and created_at, in the order appended.
    virtual void AppendEvent(const Event& event) = 0;
    virtual void PutCredential(std::string_view session_id, std::string_view key, std::string_view value) = 0;
    virtual void DeleteCredential(std::string_view session_id, std::string_view key) = 0;
    // The members of a group chat, in order; ReplaceGroupParticipants sets the whole list.
    virtual std::vector<GroupParticipant> ListGroupParticipants(const Chat& chat) = 0;
    virtual void ReplaceGroupParticipants(const Chat& chat, const std::vector<GroupParticipant>& participants) = 0;
};

class Repository {
public:
    virtual ~Repository() = default;

    // Runs `fn` as one unit of work: committed when fn returns, rolled back when it throws (the
    // exception then propagates). Returns the events the unit appended, as written. Units of
    // concurrent callers may share one transaction (group commit); `fn` may run more than once
    // (when its group or a colliding writer rolls back), so it must have no effect outside `tx`
    // until Transact returns.
    virtual std::vector<Event> Transact(const std::function<void(Transaction& tx)>& fn) = 0;

    // --- companies
    virtual Company CreateCompany(const Company& company) = 0;  // id/created_at filled if empty
    virtual std::optional<Company> FindCompany(std::string_view id) = 0;

    // --- users
    virtual User CreateUser(const User& user) = 0;  // throws UniqueViolation on a taken email
    virtual std::optional<User> FindUserById(std::string_view id) = 0;  // for authentication only
    // By the stored bytes: REQUIRES `email` in auth::NormaliseEmail's spelling, as stored.
    virtual std::optional<User> FindUserByEmail(std::string_view email) = 0;
    virtual std::optional<User> FindUserByExternalId(std::string_view company_id, std::string_view external_id) = 0;
    virtual std::optional<User> FindUser(std::string_view company_id, std::string_view id) = 0;
    virtual std::vector<User> ListUsers(std::string_view company_id, std::optional<Role> role) = 0;
    virtual std::optional<User> UpdateUser(std::string_view company_id, std::string_view id, const UserPatch& patch) = 0;
    virtual bool DeleteUser(std::string_view company_id, std::string_view id) = 0;  // also drops its grants

    // --- tokens signed out one by one (sql_revoked_tokens.cpp)
    // Records the token (again: nothing changes) and prunes the rows whose expiry has passed.
    virtual void RevokeToken(const RevokedToken& token) = 0;
    // The tokens signed out that have not expired at `now_ms`: what the authenticator loads.
    virtual std::vector<RevokedToken> ListRevokedTokens(std::int64_t now_ms) = 0;

    // --- media references whose media key is still in clear (sql_media_refs.cpp): rows stored
    // before media keys were sealed at rest, which the engine seals at a session's start.
    // Up to `limit` (message id, media_ref) of the session.
    virtual std::vector<std::pair<std::string, std::string>> ListClearMediaRefs(std::string_view session_id,
                                                                                int limit) = 0;
    // Replaces message `id`'s media_ref with `ref` only while it is still `expected` (a download
    // may have rewritten it meanwhile); true when it was replaced.
    virtual bool ReplaceMediaRef(std::string_view session_id, std::string_view id, std::string_view expected,
                                 std::string_view ref) = 0;

    // --- WhatsApp sessions
    virtual WaSession CreateSession(const WaSession& session) = 0;
    virtual std::optional<WaSession> FindSession(std::string_view company_id, std::string_view id) = 0;
    virtual std::optional<WaSession> FindSessionById(std::string_view id) = 0;  // engine side, no company
    virtual std::vector<WaSession> ListSessions(std::string_view company_id) = 0;
    // Sessions of every company with one of `statuses`: what a starting node resumes.
    virtual std::vector<WaSession> ListSessionsByStatus(const std::vector<SessionStatus>& statuses) = 0;
    virtual std::int64_t CountSessions(std::string_view company_id) = 0;
    virtual std::optional<WaSession> UpdateSession(std::string_view id, const SessionPatch& patch) = 0;
    // Removes the session, its grants and credentials; with purge also chats, messages, contacts,
    // events.
    virtual bool DeleteSession(std::string_view company_id, std::string_view id, bool purge) = 0;

    // --- access grants (one row per session × user)
    virtual Access UpsertAccess(const Access& access) = 0;
    virtual bool DeleteAccess(std::string_view company_id, std::string_view session_id, std::string_view user_id) = 0;
    virtual std::optional<Access> FindAccess(std::string_view company_id, std::string_view session_id,
                                             std::string_view user_id) = 0;
    virtual std::vector<Access> ListAccessBySession(std::string_view company_id, std::string_view session_id) = 0;
    virtual std::vector<Access> ListAccessByUser(std::string_view company_id, std::string_view user_id) = 0;
    virtual std::vector<Access> ListAllAccess() = 0;  // every grant: loads the in-memory permission view

    // --- chats
    // Finds the chat of `jid` (or of `lid` when given and known) in the session, creating it when
    // missing; a PN JID and its LID alias are one chat.
    virtual Chat UpsertChat(const Chat& chat) = 0;
    virtual std::optional<Chat> FindChat(std::string_view company_id, std::string_view session_id, std::string_view id) = 0;
    virtual std::optional<Chat> FindChatByJid(std::string_view company_id, std::string_view session_id,
                                              std::string_view jid) = 0;  // matches jid or lid
    virtual Page<Chat> ListChats(const ChatQuery& query) = 0;
    // The members of a group chat of the company, in WhatsApp's order (empty when unknown).
    virtual std::vector<GroupParticipant> ListGroupParticipants(std::string_view company_id, std::string_view chat_id) = 0;  // newest activity first, then id
    virtual std::optional<Chat> UpdateChat(std::string_view company_id, std::string_view session_id,
                                           std::string_view id, const ChatPatch& patch) = 0;
    virtual std::optional<Chat> MarkChatRead(std::string_view company_id, std::string_view session_id,
                                             std::string_view id) = 0;  // unread_count = 0

    // --- contacts
    // Finds the contact of `jid` (or of `lid` when given and known) in the session, creating it
    // when missing; a PN JID and its LID alias are one contact (a LID-only row gains the PN JID,
    // which becomes canonical; two rows that turn out to be one are folded). Non-empty name and
    // push_name replace the stored ones; empty ones keep them. phone follows the PN JID. The 1:1
    // chats of the contact get its display name as contact_name.
    virtual UpsertedContact UpsertContact(const Contact& contact) = 0;
    virtual std::optional<Contact> FindContact(std::string_view company_id, std::string_view session_id,
                                               std::string_view jid) = 0;  // matches jid or lid
    // Named contacts first (by name, else push name, case-insensitive), then the rest, by jid.
    virtual Page<Contact> ListContacts(const ContactQuery& query) = 0;

    // --- messages
    // One transaction: inserts `message` unless its (session, wa_message_id) or
    // (session, client_message_id) exists, and on insert updates the chat's last message and
    // time (and unread_count for an incoming, non-history message). message.chat_id must exist.
    virtual RecordedMessage RecordMessage(const Message& message) = 0;
    virtual std::optional<Message> FindMessage(std::string_view company_id, std::string_view session_id,
                                               std::string_view id) = 0;
    virtual std::optional<Message> FindMessageByWaId(std::string_view session_id, std::string_view wa_message_id) = 0;
    virtual std::optional<Message> FindMessageByClientId(std::string_view session_id,
                                                         std::string_view client_message_id) = 0;
    virtual Page<Message> ListMessages(const MessageQuery& query) = 0;  // newest first (timestamp, id)
    // ListMessages that also tells a missing chat and an unknown `before` apart from an empty page.
    virtual ChatMessages ListChatMessages(const MessageQuery& query) = 0;
    // Moves a message's status forward only (pending < sent < delivered < read < played;
    // failed from pending only). Returns the row when it changed, nullopt otherwise.
    virtual std::optional<Message> AdvanceMessageStatus(std::string_view session_id, std::string_view id,
                                                        MessageStatus status) = 0;
    // Sets wa_message_id on an outgoing row once the engine has assigned one.
    virtual std::optional<Message> SetMessageWaId(std::string_view session_id, std::string_view id,
                                                  std::string_view wa_message_id) = 0;
    // Moves an outgoing message that could not be sent (status pending or sent) to "failed" with
    // `reason`. Returns the row when it changed; nullopt when it is unknown or already further on
    // (delivered, read, played, failed).
    virtual std::optional<Message> FailMessage(std::string_view session_id, std::string_view id,
                                               std::string_view reason) = 0;
    // Where the file of media message `id` stands: sets its media sha256, status, size and ref
    // (the other media fields are kept). Returns the row after the change; nullopt when the
    // session has no such message or it carries no media.
    virtual std::optional<Message> UpdateMessageMedia(std::string_view session_id, std::string_view id,
                                                      const MediaInfo& media) = 0;
    // The session's outgoing messages still "pending", oldest first (ts, id), at most `limit`
    // (1..1000): what is sent again once the session is connected.
    virtual std::vector<Message> ListPendingOutgoing(std::string_view session_id, int limit) = 0;
    // The newest `limit` (1..1000) incoming, non-history messages of the chat that carry a
    // WhatsApp id, newest first: the ones a read receipt names when the chat is marked read
    // (the caller bounds `limit` by the chat's unread count).
    virtual std::vector<Message> ListRecentIncoming(std::string_view session_id, std::string_view chat_id,
                                                    int limit) = 0;

    // --- receipts of outgoing messages, one row per recipient (sql_receipts.cpp)
    // Keeps `receipt` (message_id, company_id, session_id, jid, phone, lid, status delivered|read|
    // played, at) unless the recipient's row holds that status or a better one already. Returns
    // true when the row was written. REQUIRES: the message exists.
    virtual bool RecordReceipt(const MessageReceipt& receipt) = 0;
    // The recipients of message `message_id` of the company, best status first (then the time it
    // was reached, then jid), each with its name (the contact's name, else its push name, else
    // its name in the group); empty when there is none or no such message.
    virtual std::vector<MessageReceipt> ListReceipts(std::string_view company_id, std::string_view message_id) = 0;

    // --- events (durable, for replay)
    virtual Event AppendEvent(const Event& event) = 0;  // assigns id and created_at
    // Events of the company with id > after_id, oldest first, at most `limit`.
    virtual std::vector<Event> ListEvents(std::string_view company_id, std::int64_t after_id, int limit) = 0;

    // --- audit
    virtual AuditEntry AppendAudit(const AuditEntry& entry) = 0;
    virtual Page<AuditEntry> ListAudit(std::string_view company_id, int page, int limit) = 0;  // newest first

    // --- statistics: messages with timestamp >= since_ms
    virtual CompanyStats Stats(std::string_view company_id, std::int64_t since_ms) = 0;

    // --- engine credentials: opaque, already-encrypted blobs keyed by (session, key)
    virtual std::optional<std::string> GetCredential(std::string_view session_id, std::string_view key) = 0;
    virtual void PutCredential(std::string_view session_id, std::string_view key, std::string_view value) = 0;
    virtual void DeleteCredential(std::string_view session_id, std::string_view key) = 0;
    virtual void DeleteCredentials(std::string_view session_id) = 0;
    // Deletes the session's credentials whose key starts with `key_prefix` and that were last
    // written before `before_ms`; returns how many.
    virtual std::int64_t PruneCredentials(std::string_view session_id, std::string_view key_prefix,
                                          std::int64_t before_ms) = 0;
    // The keys of the session's credentials that start with `key_prefix`, in key order.
    virtual std::vector<std::string> ListCredentialKeys(std::string_view session_id, std::string_view key_prefix) = 0;

    // --- health
    virtual bool Ping() = 0;  // true when the database answers

    // needed by the API
    // Every user of every company: loads the authenticator's in-memory user table at start.
    virtual std::vector<User> ListAllUsers() = 0;
    // Number of companies: `serve` prints first-login instructions when there is none.
    virtual std::int64_t CountCompanies() = 0;
};

struct OpenOptions {
    // PostgreSQL: the longest wait for the server in one call, for a free pooled connection and
    // for a new connection (WADESK_DB_TIMEOUT_MS); past it the call throws ConnectionError.
    // Zero: calls wait as long as they take (tools), connecting and pooling give up after 10 s.
    std::chrono::milliseconds timeout{0};
};

// Opens the backend `url` names: "postgres://..." or "postgresql://..." selects PostgreSQL,
// "sqlite:///path/to/file.db" or a bare path selects SQLite. Applies pending migrations when
// `migrate` is true. Throws StoreError when the database cannot be opened.
// A new SQLite database file is created with mode 0600 (its -wal and -shm files take the same
// mode) and a missing parent directory with mode 0700.
std::unique_ptr<Repository> OpenRepository(const std::string& url, bool migrate = true,
                                           const OpenOptions& options = {});

// The file of a SQLite `url` as OpenRepository reads it; nullopt for PostgreSQL. Throws
// StoreError for a URL OpenRepository would refuse.
std::optional<std::string> SqlitePathOf(const std::string& url);

}  // namespace wadesk::store
