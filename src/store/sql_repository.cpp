#include "store/sql_repository.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <map>

#include "core/clock.h"
#include "core/ids.h"
#include "store/errors.h"
#include "store/sql_contacts.h"

namespace wadesk::store {

using detail::Blob;
using detail::Connection;
using detail::Params;
using detail::Row;
using detail::Rows;

namespace {

// ---- column lists (the Read* functions below decode them in this order)

const std::string kCompanyCols = "id, name, max_sessions, created_at";
const std::string kUserCols =
    "id, company_id, email, name, role, password_hash, external_id, disabled, created_at, updated_at, "
    "tokens_valid_after";
const std::string kSessionCols =
    "id, company_id, name, status, status_reason, phone_number, display_name, jid, created_at, updated_at, "
    "connected_at, history_sync";
const std::string kAccessCols =
    "company_id, session_id, user_id, can_read, can_write, can_manage_chats, created_at, updated_at";
const std::string kChatCols =
    "id, company_id, session_id, jid, lid, name, is_group, unread_count, last_message, last_message_at, archived, "
    "pinned, muted, assigned_to, labels, created_at, updated_at, contact_name";
const std::string kMessageCols =
    "id, company_id, session_id, chat_id, wa_message_id, from_me, sender_jid, sender_name, sender_phone, type, body, "
    "has_media, media_mimetype, media_size, media_file_name, media_url, quoted_message_id, ts, status, sent_by, "
    "client_message_id, edited, deleted, from_history, created_at, sender_lid, failure_reason, media_sha256, "
    "media_status, media_duration, media_width, media_height, media_ref";
const std::string kEventCols = "id, company_id, session_id, name, payload_json, created_at";
const std::string kAuditCols =
    "id, company_id, user_id, action, target_type, target_id, details_json, ip, created_at";

// ---- companies
const std::string kInsertCompany =
    "INSERT INTO companies (" + kCompanyCols + ") VALUES ($1, $2, $3, $4)";
const std::string kSelectCompany = "SELECT " + kCompanyCols + " FROM companies WHERE id = $1";

// ---- users
const std::string kInsertUser =
    "INSERT INTO users (" + kUserCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const std::string kSelectUserById = "SELECT " + kUserCols + " FROM users WHERE id = $1";
const std::string kSelectUserByEmail = "SELECT " + kUserCols + " FROM users WHERE email = $1";
const std::string kSelectUserByExternalId =
    "SELECT " + kUserCols + " FROM users WHERE company_id = $1 AND external_id = $2 AND external_id <> ''";
const std::string kSelectUser = "SELECT " + kUserCols + " FROM users WHERE company_id = $1 AND id = $2";
const std::string kListUsers =
    "SELECT " + kUserCols + " FROM users WHERE company_id = $1 ORDER BY created_at, id";
const std::string kListUsersByRole =
    "SELECT " + kUserCols + " FROM users WHERE company_id = $1 AND role = $2 ORDER BY created_at, id";
const std::string kUpdateUser =
    "UPDATE users SET name = $3, email = $4, password_hash = $5, disabled = $6, updated_at = $7, "
    "tokens_valid_after = $8 WHERE company_id = $1 AND id = $2";
const std::string kDeleteUserAccess = "DELETE FROM wa_access WHERE company_id = $1 AND user_id = $2";
const std::string kDeleteUser = "DELETE FROM users WHERE company_id = $1 AND id = $2";

// ---- sessions
const std::string kInsertSession =
    "INSERT INTO wa_sessions (" + kSessionCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const std::string kSelectSession =
    "SELECT " + kSessionCols + " FROM wa_sessions WHERE company_id = $1 AND id = $2";
const std::string kSelectSessionById = "SELECT " + kSessionCols + " FROM wa_sessions WHERE id = $1";
const std::string kListSessions =
    "SELECT " + kSessionCols + " FROM wa_sessions WHERE company_id = $1 ORDER BY created_at, id";
const std::string kCountSessions = "SELECT COUNT(*) FROM wa_sessions WHERE company_id = $1";
const std::string kUpdateSession =
    "UPDATE wa_sessions SET name = $2, status = $3, status_reason = $4, phone_number = $5, display_name = $6, "
    "jid = $7, connected_at = $8, updated_at = $9, history_sync = $10 WHERE id = $1";
const std::string kDeleteSessionCredentials = "DELETE FROM wa_credentials WHERE session_id = $1";
const std::string kDeleteSessionAccess = "DELETE FROM wa_access WHERE company_id = $1 AND session_id = $2";
const std::string kDeleteSession = "DELETE FROM wa_sessions WHERE company_id = $1 AND id = $2";
const std::string kPurgeSessionOutbox = "DELETE FROM outbox WHERE session_id = $1";
const std::string kPurgeSessionMessages = "DELETE FROM wa_messages WHERE company_id = $1 AND session_id = $2";
const std::string kPurgeSessionChats = "DELETE FROM wa_chats WHERE company_id = $1 AND session_id = $2";
const std::string kPurgeSessionContacts = "DELETE FROM wa_contacts WHERE company_id = $1 AND session_id = $2";
const std::string kPurgeSessionEvents = "DELETE FROM events WHERE company_id = $1 AND session_id = $2";

// ---- access
const std::string kSessionInCompany = "SELECT 1 FROM wa_sessions WHERE company_id = $1 AND id = $2";
const std::string kUserInCompany = "SELECT 1 FROM users WHERE company_id = $1 AND id = $2";
const std::string kUpsertAccess =
    "INSERT INTO wa_access (" + kAccessCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT (session_id, user_id) DO UPDATE SET can_read = excluded.can_read, "
    "can_write = excluded.can_write, can_manage_chats = excluded.can_manage_chats, "
    "updated_at = excluded.updated_at RETURNING " + kAccessCols;
const std::string kDeleteAccess =
    "DELETE FROM wa_access WHERE company_id = $1 AND session_id = $2 AND user_id = $3";
const std::string kSelectAccess =
    "SELECT " + kAccessCols + " FROM wa_access WHERE company_id = $1 AND session_id = $2 AND user_id = $3";
const std::string kListAccessBySession =
    "SELECT " + kAccessCols + " FROM wa_access WHERE company_id = $1 AND session_id = $2 ORDER BY created_at, user_id";
const std::string kListAccessByUser =
    "SELECT " + kAccessCols + " FROM wa_access WHERE company_id = $1 AND user_id = $2 ORDER BY created_at, session_id";
const std::string kListAllAccess = "SELECT " + kAccessCols + " FROM wa_access ORDER BY company_id, session_id, user_id";

// ---- chats
const std::string kInsertChat =
    "INSERT INTO wa_chats (" + kChatCols +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
const std::string kSelectChat =
    "SELECT " + kChatCols + " FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND id = $3";
const std::string kSelectChatInSession = "SELECT " + kChatCols + " FROM wa_chats WHERE session_id = $1 AND id = $2";
const std::string kSelectChatByJid =
    "SELECT " + kChatCols + " FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND jid = $3";
const std::string kSelectChatByLid =
    "SELECT " + kChatCols + " FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND lid = $3 AND lid <> ''";
const std::string kUpdateChat =
    "UPDATE wa_chats SET jid = $2, lid = $3, name = $4, is_group = $5, unread_count = $6, last_message = $7, "
    "last_message_at = $8, archived = $9, pinned = $10, muted = $11, assigned_to = $12, labels = $13, "
    "updated_at = $14, contact_name = $15 WHERE id = $1";
// The 1:1 chats of a contact ($3 its jid, $4 its lid or jid again) whose contact_name differs.
const std::string kSetChatContactName =
    "UPDATE wa_chats SET contact_name = $5, updated_at = $6 WHERE company_id = $1 AND session_id = $2 AND "
    "contact_name <> $5 AND (jid = $3 OR jid = $4 OR (lid <> '' AND (lid = $3 OR lid = $4))) RETURNING " + kChatCols;
const std::string kMoveChatMessages = "UPDATE wa_messages SET chat_id = $2 WHERE chat_id = $1";
const std::string kDeleteChat = "DELETE FROM wa_chats WHERE id = $1";
const std::string kDeleteGroupParticipants = "DELETE FROM wa_group_participants WHERE company_id = $1 AND chat_id = $2";
const std::string kInsertGroupParticipant =
    "INSERT INTO wa_group_participants (chat_id, company_id, position, jid, phone, lid, name, admin) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const std::string kSelectGroupParticipants =
    "SELECT jid, phone, lid, name, admin FROM wa_group_participants WHERE company_id = $1 AND chat_id = $2 "
    "ORDER BY position";
const std::string kMarkChatRead =
    "UPDATE wa_chats SET unread_count = 0, updated_at = $4 WHERE company_id = $1 AND session_id = $2 AND id = $3 "
    "RETURNING " + kChatCols;
// Chats per (company, session), kept by triggers (V004): the unfiltered listing's total.
const std::string kSessionChatCount =
    "SELECT chats FROM session_chat_counts WHERE company_id = $1 AND session_id = $2";
// The same as a column of a listing of (company $1, session $2): a scalar subquery, computed once.
const std::string kSessionChatCountColumn = "(" + kSessionChatCount + ")";
constexpr std::size_t kChatTotalColumn = 18;  // the column after kChatCols
const std::string kChatActivityOrder = " ORDER BY last_message_at DESC, id DESC";
const std::string kUpdateChatOnMessage =
    "UPDATE wa_chats SET "
    "last_message = CASE WHEN $2 >= last_message_at THEN $3 ELSE last_message END, "
    "last_message_at = CASE WHEN $2 >= last_message_at THEN $2 ELSE last_message_at END, "
    "unread_count = unread_count + $4, updated_at = $5 WHERE id = $1 RETURNING " + kChatCols;

// ---- messages
const std::string kInsertMessage =
    "INSERT INTO wa_messages (" + kMessageCols +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, "
    "$23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33) ON CONFLICT DO NOTHING RETURNING id";
const std::string kSelectMessage =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE company_id = $1 AND session_id = $2 AND id = $3";
const std::string kSelectMessageByWaId =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE session_id = $1 AND wa_message_id = $2 AND wa_message_id <> ''";
const std::string kSelectMessageByClientId =
    "SELECT " + kMessageCols +
    " FROM wa_messages WHERE session_id = $1 AND client_message_id = $2 AND client_message_id <> ''";
const std::string kSelectMessageInSession =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE session_id = $1 AND id = $2";
// Message listings touch wa_messages by chat_id alone, so the planner has one obvious index:
// (chat_id, ts DESC, id DESC). A listing is one statement: the chat's scope check is an
// uncorrelated EXISTS (evaluated once: a one-time filter in PostgreSQL, a once-only subroutine in
// SQLite) that lets rows through only when chat $3 belongs to (company $1, session $2), and the
// chat's message count (kept by triggers, V004) rides along as the last column. (Comparing
// chat_id with a scalar subquery instead would hide the chat id from PostgreSQL's planner, which
// then scans the whole table.) An empty result is ambiguous (no such chat, an empty page, an
// unknown cursor) and is resolved by kChatMessageCountAndCursor, which runs only then.
const std::string kScopedMessages =
    "SELECT " + kMessageCols +
    ", (SELECT message_count FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND id = $3) "
    "FROM wa_messages WHERE chat_id = $3 "
    "AND EXISTS (SELECT 1 FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND id = $3)";
constexpr std::size_t kMessageCountColumn = 33;  // the column after kMessageCols
const std::string kNewestFirstLimit4 = " ORDER BY ts DESC, id DESC LIMIT $4";
// The first page: the newest $4 rows, straight off the index.
const std::string kListMessagesFirstPage = kScopedMessages + kNewestFirstLimit4;
// A later page without reading the rows it skips: the subquery finds the page's first (ts, id)
// from the index alone (an index-only scan in PostgreSQL once the visibility map is set; a
// covering index in SQLite), then a keyset seek fetches just the page. Same rows, in the same
// order, as ORDER BY ts DESC, id DESC LIMIT $4 OFFSET $5; past the end the subquery is empty,
// the comparison NULL and the page empty. (The first page skips nothing, so it does without the
// subquery, which would only add an index probe to the most frequent listing.)
const std::string kListMessagesPage =
    kScopedMessages +
    " AND (ts, id) <= (SELECT ts, id FROM wa_messages WHERE chat_id = $3 ORDER BY ts DESC, id DESC LIMIT 1 OFFSET $5)" +
    kNewestFirstLimit4;
// Keyset seek after the cursor $5: (ts, id) < (cursor ts, cursor id), the cursor looked up in
// this chat only (a cursor of another chat, or none, selects nothing).
const std::string kListMessagesBefore =
    kScopedMessages + " AND (ts, id) < (SELECT ts, id FROM wa_messages WHERE id = $5 AND chat_id = $3)" +
    kNewestFirstLimit4;
// What an empty listing meant: (message_count, cursor chat_id, cursor ts) when chat $3 belongs to
// (company $1, session $2), no row otherwise; the cursor columns are NULL when $4 names no
// message of (company, session).
const std::string kChatMessageCountAndCursor =
    "SELECT c.message_count, m.chat_id, m.ts FROM wa_chats c "
    "LEFT JOIN wa_messages m ON m.id = $4 AND m.company_id = c.company_id AND m.session_id = c.session_id "
    "WHERE c.company_id = $1 AND c.session_id = $2 AND c.id = $3";
const std::string kAdvanceStatus =
    "UPDATE wa_messages SET status = $3 WHERE session_id = $1 AND id = $2 AND status IN ($4, $5, $6, $7) "
    "RETURNING " + kMessageCols;
const std::string kUpdateMessageContent =
    "UPDATE wa_messages SET type = $3, body = $4, has_media = $5, media_mimetype = $6, media_size = $7, "
    "media_file_name = $8, media_url = $9, quoted_message_id = $10, edited = $11, deleted = $12, "
    "media_sha256 = $13, media_status = $14, media_duration = $15, media_width = $16, media_height = $17, "
    "media_ref = $18 WHERE session_id = $1 AND id = $2 RETURNING " + kMessageCols;
// Where a message's file download stands (the media fields only).
const std::string kUpdateMessageMedia =
    "UPDATE wa_messages SET media_sha256 = $3, media_status = $4, media_size = $5, media_ref = $6 "
    "WHERE session_id = $1 AND id = $2 AND has_media RETURNING " + kMessageCols;
// A chat's preview follows an edit or deletion of its last message.
const std::string kRefreshChatPreview =
    "UPDATE wa_chats SET last_message = $3 WHERE id = $1 AND last_message_at = $2 RETURNING " + kChatCols;
const std::string kFailMessage =
    "UPDATE wa_messages SET status = 'failed', failure_reason = $3 WHERE session_id = $1 AND id = $2 "
    "AND status IN ('pending', 'sent') RETURNING " + kMessageCols;
// Over the partial index wa_messages_pending (V006).
const std::string kListPendingOutgoing =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE session_id = $1 AND status = 'pending' AND from_me = $2 "
    "ORDER BY ts, id LIMIT $3";
// Over (chat_id, ts DESC, id DESC); the session check keeps another session's chat id out.
const std::string kListRecentIncoming =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE chat_id = $2 AND session_id = $1 AND from_me = $3 "
    "AND from_history = $3 AND wa_message_id <> '' ORDER BY ts DESC, id DESC LIMIT $4";
const std::string kSetMessageWaId =
    "UPDATE wa_messages SET wa_message_id = $3 WHERE session_id = $1 AND id = $2 RETURNING " + kMessageCols;

// ---- events and audit
// Events and credentials are written a group at a time (SqlTransaction::Finish), in
// multi-row statements: "<head> VALUES (..), (..) <tail>".
const std::string kInsertEventsHead = "INSERT INTO events (company_id, session_id, name, payload_json, created_at)";
const std::string kListEvents =
    "SELECT " + kEventCols + " FROM events WHERE company_id = $1 AND id > $2 ORDER BY id LIMIT $3";
const std::string kInsertAudit =
    "INSERT INTO audit_log (company_id, user_id, action, target_type, target_id, details_json, ip, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
const std::string kListAudit =
    "SELECT " + kAuditCols + " FROM audit_log WHERE company_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3";
const std::string kCountAudit = "SELECT COUNT(*) FROM audit_log WHERE company_id = $1";

// ---- statistics
const std::string kStatsSessions =
    "SELECT id, status FROM wa_sessions WHERE company_id = $1 ORDER BY created_at, id";
const std::string kStatsChats =
    "SELECT session_id, COUNT(*) FROM wa_chats WHERE company_id = $1 GROUP BY session_id";
// Whole UTC days come from message_counts_daily (kept by a trigger on wa_messages, migration
// V003); only the partial first day of a `since` that is not midnight is counted from
// wa_messages, over the (company_id, ts, session_id, from_me) index.
const std::string kStatsDailyCounts =
    "SELECT day, session_id, incoming, outgoing FROM message_counts_daily WHERE company_id = $1 AND day >= $2";
const std::string kStatsMessagesBetween =
    "SELECT session_id, from_me, COUNT(*) FROM wa_messages WHERE company_id = $1 AND ts >= $2 AND ts < $3 "
    "GROUP BY session_id, from_me";
const std::string kPurgeSessionCounts = "DELETE FROM message_counts_daily WHERE company_id = $1 AND session_id = $2";

// ---- credentials and health
const std::string kSelectCredential =
    "SELECT cred_value FROM wa_credentials WHERE session_id = $1 AND cred_key = $2";
const std::string kUpsertCredentialsHead = "INSERT INTO wa_credentials (session_id, cred_key, cred_value, updated_at)";
const std::string kUpsertCredentialsTail =
    "ON CONFLICT (session_id, cred_key) DO UPDATE SET cred_value = excluded.cred_value, "
    "updated_at = excluded.updated_at";
const std::string kDeleteCredential = "DELETE FROM wa_credentials WHERE session_id = $1 AND cred_key = $2";
// Keys in [$2, $3): every key that starts with a prefix, as a range of the primary key.
const std::string kPruneCredentials =
    "DELETE FROM wa_credentials WHERE session_id = $1 AND cred_key >= $2 AND cred_key < $3 AND updated_at < $4";
const std::string kListCredentialKeys =
    "SELECT cred_key FROM wa_credentials WHERE session_id = $1 AND cred_key >= $2 AND cred_key < $3 ORDER BY cred_key";
const std::string kPing = "SELECT 1";
const std::string kListAllUsers = "SELECT " + kUserCols + " FROM users ORDER BY company_id, created_at, id";
const std::string kCountCompanies = "SELECT COUNT(*) FROM companies";

constexpr int kMaxLimit = 1000;
constexpr std::int64_t kMsPerDay = 86'400'000;  // days are ts / kMsPerDay, as in SQL

std::string S(std::string_view v) { return std::string(v); }

const char* RoleName(Role role) { return role == Role::kAdmin ? "admin" : "manager"; }
Role ParseRole(std::string_view s) { return s == "admin" ? Role::kAdmin : Role::kManager; }

int ClampLimit(int limit) { return std::clamp(limit, 1, kMaxLimit); }
std::int64_t OffsetOf(int page, int limit) { return static_cast<std::int64_t>(std::max(page, 1) - 1) * limit; }

Company ReadCompany(const Row& r) {
    Company c;
    c.id = r.Text(0);
    c.name = r.Text(1);
    c.max_sessions = static_cast<int>(r.Int(2));
    c.created_at = r.Int(3);
    return c;
}

User ReadUser(const Row& r) {
    User u;
    u.id = r.Text(0);
    u.company_id = r.Text(1);
    u.email = r.Text(2);
    u.name = r.Text(3);
    u.role = ParseRole(r.Text(4));
    u.password_hash = r.Text(5);
    u.external_id = r.Text(6);
    u.disabled = r.Bool(7);
    u.created_at = r.Int(8);
    u.updated_at = r.Int(9);
    u.tokens_valid_after = r.Int(10);
    return u;
}

WaSession ReadSession(const Row& r) {
    WaSession s;
    s.id = r.Text(0);
    s.company_id = r.Text(1);
    s.name = r.Text(2);
    s.status = r.Text(3);
    s.status_reason = r.Text(4);
    s.phone_number = r.Text(5);
    s.display_name = r.Text(6);
    s.jid = r.Text(7);
    s.created_at = r.Int(8);
    s.updated_at = r.Int(9);
    s.connected_at = r.Int(10);
    s.history_sync = r.Text(11);
    return s;
}

Access ReadAccess(const Row& r) {
    Access a;
    a.company_id = r.Text(0);
    a.session_id = r.Text(1);
    a.user_id = r.Text(2);
    a.can_read = r.Bool(3);
    a.can_write = r.Bool(4);
    a.can_manage_chats = r.Bool(5);
    a.created_at = r.Int(6);
    a.updated_at = r.Int(7);
    return a;
}

Chat ReadChat(const Row& r) {
    Chat c;
    c.id = r.Text(0);
    c.company_id = r.Text(1);
    c.session_id = r.Text(2);
    c.jid = r.Text(3);
    c.lid = r.Text(4);
    c.name = r.Text(5);
    c.is_group = r.Bool(6);
    c.unread_count = static_cast<int>(r.Int(7));
    c.last_message = r.Text(8);
    c.last_message_at = r.Int(9);
    c.archived = r.Bool(10);
    c.pinned = r.Bool(11);
    c.muted = r.Bool(12);
    c.assigned_to = r.Text(13);
    c.labels = ParseLabels(r.Text(14));
    c.created_at = r.Int(15);
    c.updated_at = r.Int(16);
    c.contact_name = r.Text(17);
    return c;
}

Message ReadMessage(const Row& r) {
    Message m;
    m.id = r.Text(0);
    m.company_id = r.Text(1);
    m.session_id = r.Text(2);
    m.chat_id = r.Text(3);
    m.wa_message_id = r.Text(4);
    m.from_me = r.Bool(5);
    m.sender_jid = r.Text(6);
    m.sender_name = r.Text(7);
    m.sender_phone = r.Text(8);
    m.type = r.Text(9);
    m.body = r.Text(10);
    if (r.Bool(11)) {
        m.media = MediaInfo{std::string(r.Text(12)), r.Int(13), std::string(r.Text(14)), std::string(r.Text(15)),
                            std::string(r.Text(27)), std::string(r.Text(28)), r.Int(29), r.Int(30), r.Int(31),
                            std::string(r.Text(32))};
    }
    m.quoted_message_id = r.Text(16);
    m.timestamp = r.Int(17);
    m.status = r.Text(18);
    m.sent_by = r.Text(19);
    m.client_message_id = r.Text(20);
    m.edited = r.Bool(21);
    m.deleted = r.Bool(22);
    m.from_history = r.Bool(23);
    m.created_at = r.Int(24);
    m.sender_lid = r.Text(25);
    m.failure_reason = r.Text(26);
    return m;
}

Event ReadEvent(const Row& r) {
    Event e;
    e.id = r.Int(0);
    e.company_id = r.Text(1);
    e.session_id = r.Text(2);
    e.name = r.Text(3);
    e.payload_json = r.Text(4);
    e.created_at = r.Int(5);
    return e;
}

AuditEntry ReadAudit(const Row& r) {
    AuditEntry a;
    a.id = r.Int(0);
    a.company_id = r.Text(1);
    a.user_id = r.Text(2);
    a.action = r.Text(3);
    a.target_type = r.Text(4);
    a.target_id = r.Text(5);
    a.details_json = r.Text(6);
    a.ip = r.Text(7);
    a.created_at = r.Int(8);
    return a;
}

template <class T, class F>
std::optional<T> First(const Rows& rows, F read) {
    if (rows.empty()) return std::nullopt;
    return read(rows[0]);
}

template <class T, class F>
std::vector<T> All(const Rows& rows, F read) {
    std::vector<T> out;
    out.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(read(rows[i]));
    return out;
}

Params ChatParams(const Chat& c) {
    return {c.id,      c.company_id,    c.session_id,   c.jid,
            c.lid,     c.name,          c.is_group,     std::int64_t{c.unread_count},
            c.last_message, c.last_message_at, c.archived, c.pinned,
            c.muted,   c.assigned_to,   LabelsToJson(c.labels), c.created_at,
            c.updated_at, c.contact_name};
}

void WriteChat(Connection& conn, const Chat& c) {
    conn.Exec(kUpdateChat, {c.id, c.jid, c.lid, c.name, c.is_group, std::int64_t{c.unread_count}, c.last_message,
                            c.last_message_at, c.archived, c.pinned, c.muted, c.assigned_to, LabelsToJson(c.labels),
                            c.updated_at, c.contact_name});
}

bool IsLid(std::string_view jid) { return jid.size() > 4 && jid.substr(jid.size() - 4) == "@lid"; }

// Status order of AdvanceMessageStatus; "failed" is reachable from "pending" only.
const std::vector<std::string> kStatusOrder = {"pending", "sent", "delivered", "read", "played"};

// Statuses a message may be in for `target` to be a forward move; empty for an unknown target.
std::vector<std::string> StatusesBefore(std::string_view target) {
    if (target == "failed") return {"pending"};
    auto it = std::find(kStatusOrder.begin(), kStatusOrder.end(), target);
    if (it == kStatusOrder.end()) return {};
    return {kStatusOrder.begin(), it};
}

std::string Preview(const Message& m) {
    if (m.deleted) return "This message was deleted";
    if (m.type == kMessageUndecryptable) return "Waiting for this message";
    if (!m.body.empty()) return m.body;
    if (m.media && !m.media->file_name.empty()) return m.media->file_name;
    return "[" + m.type + "]";
}

std::string EscapeLike(std::string_view s) {
    std::string out;
    for (char ch : s) {
        if (ch == '\\' || ch == '%' || ch == '_') out.push_back('\\');
        out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
    }
    return out;
}

std::string DayString(std::int64_t day_number) {
    std::chrono::sys_days day{std::chrono::days{day_number}};
    std::chrono::year_month_day ymd{day};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

}  // namespace

std::string LabelsToJson(const std::vector<std::string>& labels) {
    boost::json::array array;
    for (const std::string& label : labels) array.emplace_back(boost::json::string_view(label));
    return boost::json::serialize(array);
}

std::vector<std::string> ParseLabels(std::string_view json) {
    boost::json::parse_options options;
    options.allow_invalid_utf8 = true;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(json, ec, {}, options);
    std::vector<std::string> out;
    if (ec || !value.is_array()) return out;
    for (const auto& item : value.as_array()) {
        if (item.is_string()) out.emplace_back(item.as_string().c_str(), item.as_string().size());
    }
    return out;
}

SqlRepository::SqlRepository(std::unique_ptr<detail::Database> db) : db_(std::move(db)) {}

// ---------------------------------------------------------------- unit of work

namespace {

// Drivers prepare each statement text once per connection, so multi-row statements go in
// power-of-two chunks of at most kMaxRowsPerStatement rows: a handful of texts serves any count.
constexpr std::size_t kMaxRowsPerStatement = 64;

std::string MultiRowSql(std::string_view head, std::size_t width, std::size_t rows, std::string_view tail) {
    std::string sql(head);
    sql += " VALUES ";
    std::size_t n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        sql += r ? ", (" : "(";
        for (std::size_t c = 0; c < width; ++c) {
            if (c) sql += ", ";
            sql += '$';
            sql += std::to_string(++n);
        }
        sql += ')';
    }
    if (!tail.empty()) {
        sql += ' ';
        sql += tail;
    }
    return sql;
}

// Runs "<head> VALUES ... <tail>" over `params` (rows of `width` values) in chunks; on_rows, when
// given, gets each chunk's result rows and the index of the chunk's first row.
void RunMultiRow(Connection& conn, std::string_view head, std::size_t width, std::string_view tail,
                 const Params& params, const std::function<void(const Rows&, std::size_t)>& on_rows) {
    const std::size_t total = params.size() / width;
    std::size_t done = 0;
    while (done < total) {
        std::size_t chunk = kMaxRowsPerStatement;
        while (chunk > total - done) chunk /= 2;
        const Params slice(params.begin() + static_cast<std::ptrdiff_t>(done * width),
                           params.begin() + static_cast<std::ptrdiff_t>((done + chunk) * width));
        const Rows rows = conn.Query(MultiRowSql(head, width, chunk, tail), slice);
        if (on_rows) on_rows(rows, done);
        done += chunk;
    }
}

// Transaction over one driver connection inside Database::Write, for one or more units of work
// (a group). Credential writes and events wait for Finish(), which writes them in a few
// multi-row statements: the credentials, then the events under the dialect's ordering lock, so
// that lock is held only from the events to the commit.
std::vector<GroupParticipant> ReadGroupParticipants(Connection& conn, std::string_view company_id,
                                                    std::string_view chat_id) {
    std::vector<GroupParticipant> out;
    const Rows rows = conn.Query(kSelectGroupParticipants, {S(company_id), S(chat_id)});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row r = rows[i];
        out.push_back(GroupParticipant{std::string(r.Text(0)), std::string(r.Text(1)), std::string(r.Text(2)),
                                       std::string(r.Text(3)), std::string(r.Text(4))});
    }
    return out;
}

class SqlTransaction final : public Transaction {
public:
    SqlTransaction(Connection& conn, const detail::Dialect& dialect) : conn_(conn), dialect_(dialect) {}

    // The unit whose events the following calls append.
    void BeginUnit(std::vector<Event>* events) { unit_events_ = events; }
    // Writes what waits; the caller commits next.
    void Finish();

    Chat UpsertChat(const Chat& chat) override;
    UpsertedContact UpsertContact(const Contact& contact) override;
    RecordedMessage RecordMessage(const Message& message) override;
    std::optional<Message> FindMessageByWaId(std::string_view session_id, std::string_view wa_message_id) override {
        if (wa_message_id.empty()) return std::nullopt;
        return First<Message>(conn_.Query(kSelectMessageByWaId, {S(session_id), S(wa_message_id)}), ReadMessage);
    }
    std::optional<UpdatedMessage> UpdateMessageContent(const Message& m) override {
        const MediaInfo media = m.media.value_or(MediaInfo{});
        auto row = First<Message>(conn_.Query(kUpdateMessageContent,
                                              {m.session_id, m.id, m.type, m.body, m.media.has_value(), media.mimetype,
                                               media.size, media.file_name, media.url, m.quoted_message_id, m.edited,
                                               m.deleted, media.sha256, media.status, media.duration, media.width,
                                               media.height, media.ref}),
                                  ReadMessage);
        if (!row) return std::nullopt;
        UpdatedMessage out{*row, std::nullopt};
        out.chat = First<Chat>(conn_.Query(kRefreshChatPreview, {row->chat_id, row->timestamp, Preview(*row)}), ReadChat);
        return out;
    }
    void AppendEvent(const Event& event) override {
        Event e = event;
        if (e.payload_json.empty()) e.payload_json = "{}";
        unit_events_->push_back(std::move(e));
        events_.emplace_back(unit_events_, unit_events_->size() - 1);
    }
    void PutCredential(std::string_view session_id, std::string_view key, std::string_view value) override {
        credentials_[{std::string(session_id), std::string(key)}] = std::string(value);
    }
    void DeleteCredential(std::string_view session_id, std::string_view key) override {
        credentials_[{std::string(session_id), std::string(key)}] = std::nullopt;
    }
    std::vector<GroupParticipant> ListGroupParticipants(const Chat& chat) override {
        return ReadGroupParticipants(conn_, chat.company_id, chat.id);
    }
    void ReplaceGroupParticipants(const Chat& chat, const std::vector<GroupParticipant>& participants) override {
        conn_.Exec(kDeleteGroupParticipants, {chat.company_id, chat.id});
        std::int64_t position = 0;
        for (const auto& p : participants) {
            conn_.Exec(kInsertGroupParticipant, {chat.id, chat.company_id, position++, p.jid, p.phone, p.lid, p.name,
                                                 p.admin.empty() ? std::string("none") : p.admin});
        }
    }

private:
    Connection& conn_;
    const detail::Dialect& dialect_;
    std::vector<Event>* unit_events_ = nullptr;
    std::vector<std::pair<std::vector<Event>*, std::size_t>> events_;  // every unit's, in append order
    std::map<std::pair<std::string, std::string>, std::optional<std::string>> credentials_;  // nullopt: delete
    // Chat rows this transaction holds locked (id → company): a unit that upserts a chat and then
    // records a message in it locks the row once.
    std::map<std::string, std::string, std::less<>> locked_chats_;
};

void SqlTransaction::Finish() {
    Params puts;
    for (const auto& [key, value] : credentials_) {
        if (value) {
            puts.insert(puts.end(), {key.first, key.second, Blob{*value}, NowMs()});
        } else {
            conn_.Exec(kDeleteCredential, {key.first, key.second});
        }
    }
    RunMultiRow(conn_, kUpsertCredentialsHead, 4, kUpsertCredentialsTail, puts, nullptr);
    credentials_.clear();
    if (events_.empty()) return;
    if (!dialect_.serialize_events.empty()) conn_.Query(dialect_.serialize_events, {});
    const std::int64_t now = NowMs();
    Params params;
    params.reserve(events_.size() * 5);
    for (auto& [unit, index] : events_) {
        Event& e = (*unit)[index];
        e.created_at = now;
        params.insert(params.end(), {e.company_id, e.session_id, e.name, e.payload_json, e.created_at});
    }
    // Under the ordering lock the ids one statement takes increase in row order.
    RunMultiRow(conn_, kInsertEventsHead, 5, "RETURNING id", params, [&](const Rows& rows, std::size_t first) {
        std::vector<std::int64_t> ids;
        for (std::size_t i = 0; i < rows.size(); ++i) ids.push_back(rows[i].Int(0));
        std::sort(ids.begin(), ids.end());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto& [unit, index] = events_[first + i];
            (*unit)[index].id = ids[i];
        }
    });
    events_.clear();
}

Chat SqlTransaction::UpsertChat(const Chat& chat) {
    if (chat.jid.empty()) throw ConstraintViolation("store: a chat needs a jid");
    const std::string& lock = dialect_.for_update;
    std::optional<Chat> by_jid =
        First<Chat>(conn_.Query(kSelectChatByJid + lock, {chat.company_id, chat.session_id, chat.jid}),
                    ReadChat);
    if (!by_jid) {
        by_jid = First<Chat>(
            conn_.Query(kSelectChatByLid + lock, {chat.company_id, chat.session_id, chat.jid}), ReadChat);
    }
    std::optional<Chat> by_lid;
    if (!chat.lid.empty()) {
        by_lid = First<Chat>(
            conn_.Query(kSelectChatByLid + lock, {chat.company_id, chat.session_id, chat.lid}), ReadChat);
        if (!by_lid) {
            by_lid = First<Chat>(
                conn_.Query(kSelectChatByJid + lock, {chat.company_id, chat.session_id, chat.lid}),
                ReadChat);
        }
    }
    const std::int64_t now = NowMs();
    if (!by_jid && !by_lid) {
        if (conn_.Query(kSessionInCompany, {chat.company_id, chat.session_id}).empty()) {
            throw ConstraintViolation("store: chat names a session outside its company");
        }
        Chat out = chat;
        if (out.id.empty()) out.id = NewId();
        out.contact_name =
            out.is_group ? std::string() : detail::ContactNameOfChat(conn_, out.company_id, out.session_id, out.jid, out.lid);
        out.created_at = now;
        out.updated_at = now;
        conn_.Exec(kInsertChat, ChatParams(out));
        locked_chats_[out.id] = out.company_id;
        return out;
    }
    Chat keep = by_jid ? *by_jid : *by_lid;
    const Chat found = keep;
    const bool fold = by_jid && by_lid && by_jid->id != by_lid->id;
    if (fold) {
        // Two rows turned out to be one contact: fold the LID row into the PN row.
        const Chat& other = *by_lid;
        conn_.Exec(kMoveChatMessages, {other.id, keep.id});
        conn_.Exec(kDeleteChat, {other.id});
        keep.unread_count += other.unread_count;
        if (other.last_message_at > keep.last_message_at) {
            keep.last_message_at = other.last_message_at;
            keep.last_message = other.last_message;
        }
        if (keep.name.empty()) keep.name = other.name;
        if (keep.assigned_to.empty()) keep.assigned_to = other.assigned_to;
        for (const std::string& label : other.labels) {
            if (std::find(keep.labels.begin(), keep.labels.end(), label) == keep.labels.end()) {
                keep.labels.push_back(label);
            }
        }
        keep.archived = keep.archived && other.archived;
        keep.pinned = keep.pinned || other.pinned;
        keep.muted = keep.muted || other.muted;
    }
    // The phone-number JID is canonical; a LID seen first becomes the alias.
    if (IsLid(keep.jid) && !IsLid(chat.jid)) {
        if (keep.lid.empty()) keep.lid = keep.jid;
        keep.jid = chat.jid;
    }
    if (!chat.lid.empty() && chat.lid != keep.jid) keep.lid = chat.lid;
    if (!chat.name.empty()) keep.name = chat.name;
    keep.is_group = keep.is_group || chat.is_group;
    if (keep.jid != found.jid || keep.lid != found.lid || fold) {
        keep.contact_name = keep.is_group ? std::string()
                                          : detail::ContactNameOfChat(conn_, keep.company_id, keep.session_id,
                                                                      keep.jid, keep.lid);
    }
    // Most calls find the chat as it is (every incoming message names its chat): no write then.
    const bool unchanged = !fold && keep.jid == found.jid && keep.lid == found.lid && keep.name == found.name &&
                           keep.is_group == found.is_group;
    locked_chats_[keep.id] = keep.company_id;
    if (fold) locked_chats_.erase(by_lid->id);
    if (unchanged) return keep;
    keep.updated_at = now;
    WriteChat(conn_, keep);
    return keep;
}

UpsertedContact SqlTransaction::UpsertContact(const Contact& contact) {
    detail::ContactWrite w = detail::WriteContact(conn_, dialect_.for_update, contact);
    UpsertedContact out{w.contact, w.changed, {}};
    if (!w.display_changed) return out;
    const Contact& c = w.contact;
    out.chats = All<Chat>(conn_.Query(kSetChatContactName, {c.company_id, c.session_id, c.jid,
                                                            c.lid.empty() ? c.jid : c.lid,
                                                            std::string(ContactDisplayName(c)), NowMs()}),
                          ReadChat);
    for (const Chat& chat : out.chats) locked_chats_[chat.id] = chat.company_id;
    return out;
}

RecordedMessage SqlTransaction::RecordMessage(const Message& message) {
    RecordedMessage out;
    // Locking the chat row serializes writers of one chat (PostgreSQL; SQLite has one writer);
    // a chat this transaction upserted is locked already.
    std::string company_id;
    if (auto held = locked_chats_.find(message.chat_id); held != locked_chats_.end()) {
        company_id = held->second;
    } else if (auto chat = First<Chat>(conn_.Query(kSelectChatInSession + dialect_.for_update,
                                                   {message.session_id, message.chat_id}),
                                       ReadChat)) {
        company_id = chat->company_id;
        locked_chats_[chat->id] = company_id;
    }
    if (company_id.empty() || (!message.company_id.empty() && company_id != message.company_id)) {
        throw ConstraintViolation("store: message.chat_id does not name a chat of the message's session");
    }
    auto find_existing = [&]() -> std::optional<Message> {
        if (!message.wa_message_id.empty()) {
            auto m = First<Message>(conn_.Query(kSelectMessageByWaId, {message.session_id, message.wa_message_id}),
                                    ReadMessage);
            if (m) return m;
        }
        if (!message.client_message_id.empty()) {
            return First<Message>(
                conn_.Query(kSelectMessageByClientId, {message.session_id, message.client_message_id}),
                ReadMessage);
        }
        return std::nullopt;
    };
    auto duplicate = [&](Message existing) {
        out.message = std::move(existing);
        auto chat = First<Chat>(conn_.Query(kSelectChatInSession, {out.message.session_id, out.message.chat_id}),
                                ReadChat);
        if (!chat) throw StoreError("store: a stored message's chat is gone");
        out.chat = std::move(*chat);
        out.inserted = false;
    };
    Message m = message;
    if (m.id.empty()) m.id = NewId();
    m.company_id = company_id;
    if (m.created_at == 0) m.created_at = NowMs();
    if (m.timestamp == 0) m.timestamp = m.created_at;
    const MediaInfo media = m.media.value_or(MediaInfo{});
    Rows inserted = conn_.Query(
        kInsertMessage,
        {m.id, m.company_id, m.session_id, m.chat_id, m.wa_message_id, m.from_me, m.sender_jid, m.sender_name,
         m.sender_phone, m.type, m.body, m.media.has_value(), media.mimetype, media.size, media.file_name,
         media.url, m.quoted_message_id, m.timestamp, m.status, m.sent_by, m.client_message_id, m.edited,
         m.deleted, m.from_history, m.created_at, m.sender_lid, m.failure_reason, media.sha256, media.status,
         media.duration, media.width, media.height, media.ref});
    if (inserted.empty()) {
        // Stored before (a redelivery, a retried send) or by a concurrent writer: the unique
        // indexes on (session, wa_message_id) and (session, client_message_id) decided.
        if (auto existing = find_existing()) {
            duplicate(std::move(*existing));
            return out;
        }
        throw UniqueViolation("store: message id already exists");
    }
    const std::int64_t unread = (!m.from_me && !m.from_history) ? 1 : 0;
    out.chat = ReadChat(conn_.Query(kUpdateChatOnMessage, {m.chat_id, m.timestamp, Preview(m), unread, NowMs()})[0]);
    out.message = std::move(m);
    out.inserted = true;
    return out;
}

}  // namespace

// Concurrent writers that collide on a unique index (PostgreSQL) run again and then find the
// winner's row; SQLite serializes writers and never gets here.
constexpr int kTransactAttempts = 4;

struct SqlRepository::GroupUnit {
    const std::function<void(Transaction&)>* fn;
    std::vector<Event> events;
    std::exception_ptr error;
    bool taken = false;  // in a group being committed
    bool done = false;
};

// One transaction for all of `group`; throws (everything rolled back) when any unit throws.
void SqlRepository::CommitTogether(const std::vector<GroupUnit*>& group) {
    db_->Write([&](Connection& conn) {
        SqlTransaction tx(conn, db_->dialect());
        for (GroupUnit* u : group) {
            u->events.clear();  // a unit that runs again starts over
            tx.BeginUnit(&u->events);
            (*u->fn)(tx);
        }
        tx.Finish();
    });
}

void SqlRepository::CommitGroup(const std::vector<GroupUnit*>& group) {
    // A ConnectionError (the database is down or does not answer in time) is every unit's: none
    // runs again, so the group's callers learn it within one timeout, not one per unit.
    std::exception_ptr unavailable;
    if (group.size() > 1) {
        try {
            return CommitTogether(group);
        } catch (const ConnectionError&) {
            unavailable = std::current_exception();
        } catch (...) {
            // Rolled back as a whole: each unit runs again alone, below.
        }
    }
    for (GroupUnit* u : group) {
        const std::vector<GroupUnit*> alone{u};
        for (int attempt = 1; !unavailable; ++attempt) {
            try {
                CommitTogether(alone);
                break;
            } catch (const ConnectionError&) {
                unavailable = std::current_exception();
            } catch (const StoreError& e) {
                // Worth running again: a concurrent insert of the same row (the unit's lookups
                // find it next time), or a deadlock with another group (groups lock chats and
                // counters in their units' order, not one global order).
                const bool again = dynamic_cast<const UniqueViolation*>(&e) || dynamic_cast<const TransientConflict*>(&e);
                if (again && attempt < kTransactAttempts) continue;
                u->error = std::current_exception();
                break;
            } catch (...) {
                u->error = std::current_exception();
                break;
            }
        }
        if (unavailable) u->error = unavailable;
    }
}

std::vector<Event> SqlRepository::Transact(const std::function<void(Transaction&)>& fn) {
    GroupUnit me{&fn};
    std::unique_lock lock(group_mutex_);
    group_queue_.push_back(&me);
    while (!me.done) {
        if (me.taken || groups_running_ >= kMaxGroupsRunning) {
            group_done_.wait(lock);
            continue;
        }
        // A group may start: this caller commits the oldest waiting units, its own among them
        // (or it comes round again).
        ++groups_running_;
        const auto n = static_cast<std::ptrdiff_t>(std::min(group_queue_.size(), kMaxGroup));
        const std::vector<GroupUnit*> group(group_queue_.begin(), group_queue_.begin() + n);
        group_queue_.erase(group_queue_.begin(), group_queue_.begin() + n);
        for (GroupUnit* u : group) u->taken = true;
        lock.unlock();
        CommitGroup(group);
        lock.lock();
        for (GroupUnit* u : group) u->done = true;
        --groups_running_;
        group_done_.notify_all();
    }
    if (me.error) std::rethrow_exception(me.error);
    return std::move(me.events);
}

// ---------------------------------------------------------------- companies

Company SqlRepository::CreateCompany(const Company& company) {
    Company c = company;
    if (c.id.empty()) c.id = NewId();
    if (c.created_at == 0) c.created_at = NowMs();
    db_->Write([&](Connection& conn) {
        conn.Exec(kInsertCompany, {c.id, c.name, std::int64_t{c.max_sessions}, c.created_at});
    });
    return c;
}

std::optional<Company> SqlRepository::FindCompany(std::string_view id) {
    std::optional<Company> out;
    db_->Read([&](Connection& conn) { out = First<Company>(conn.Query(kSelectCompany, {S(id)}), ReadCompany); });
    return out;
}

// ---------------------------------------------------------------- users

User SqlRepository::CreateUser(const User& user) {
    User u = user;
    if (u.id.empty()) u.id = NewId();
    if (u.created_at == 0) u.created_at = NowMs();
    if (u.updated_at == 0) u.updated_at = u.created_at;
    db_->Write([&](Connection& conn) {
        conn.Exec(kInsertUser, {u.id, u.company_id, u.email, u.name, std::string(RoleName(u.role)), u.password_hash,
                                u.external_id, u.disabled, u.created_at, u.updated_at, u.tokens_valid_after});
    });
    return u;
}

std::optional<User> SqlRepository::FindUserById(std::string_view id) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) { out = First<User>(conn.Query(kSelectUserById, {S(id)}), ReadUser); });
    return out;
}

std::optional<User> SqlRepository::FindUserByEmail(std::string_view email) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) { out = First<User>(conn.Query(kSelectUserByEmail, {S(email)}), ReadUser); });
    return out;
}

std::optional<User> SqlRepository::FindUserByExternalId(std::string_view company_id, std::string_view external_id) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) {
        out = First<User>(conn.Query(kSelectUserByExternalId, {S(company_id), S(external_id)}), ReadUser);
    });
    return out;
}

std::optional<User> SqlRepository::FindUser(std::string_view company_id, std::string_view id) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) { out = First<User>(conn.Query(kSelectUser, {S(company_id), S(id)}), ReadUser); });
    return out;
}

std::vector<User> SqlRepository::ListUsers(std::string_view company_id, std::optional<Role> role) {
    std::vector<User> out;
    db_->Read([&](Connection& conn) {
        out = role ? All<User>(conn.Query(kListUsersByRole, {S(company_id), std::string(RoleName(*role))}), ReadUser)
                   : All<User>(conn.Query(kListUsers, {S(company_id)}), ReadUser);
    });
    return out;
}

std::optional<User> SqlRepository::UpdateUser(std::string_view company_id, std::string_view id,
                                              const UserPatch& patch) {
    std::optional<User> out;
    db_->Write([&](Connection& conn) {
        out = First<User>(conn.Query(kSelectUser + db_->dialect().for_update, {S(company_id), S(id)}), ReadUser);
        if (!out) return;
        User& u = *out;
        if (patch.name) u.name = *patch.name;
        if (patch.email) u.email = *patch.email;
        if (patch.password_hash) u.password_hash = *patch.password_hash;
        if (patch.disabled) u.disabled = *patch.disabled;
        if (patch.tokens_valid_after) u.tokens_valid_after = std::max(u.tokens_valid_after, *patch.tokens_valid_after);
        u.updated_at = NowMs();
        conn.Exec(kUpdateUser,
                  {u.company_id, u.id, u.name, u.email, u.password_hash, u.disabled, u.updated_at, u.tokens_valid_after});
    });
    return out;
}

bool SqlRepository::DeleteUser(std::string_view company_id, std::string_view id) {
    bool deleted = false;
    db_->Write([&](Connection& conn) {
        conn.Exec(kDeleteUserAccess, {S(company_id), S(id)});
        deleted = conn.Exec(kDeleteUser, {S(company_id), S(id)}) > 0;
    });
    return deleted;
}

// ---------------------------------------------------------------- sessions

WaSession SqlRepository::CreateSession(const WaSession& session) {
    WaSession s = session;
    if (s.id.empty()) s.id = NewId();
    if (s.created_at == 0) s.created_at = NowMs();
    if (s.updated_at == 0) s.updated_at = s.created_at;
    db_->Write([&](Connection& conn) {
        conn.Exec(kInsertSession, {s.id, s.company_id, s.name, s.status, s.status_reason, s.phone_number,
                                   s.display_name, s.jid, s.created_at, s.updated_at, s.connected_at,
                                   s.history_sync});
    });
    return s;
}

std::optional<WaSession> SqlRepository::FindSession(std::string_view company_id, std::string_view id) {
    std::optional<WaSession> out;
    db_->Read([&](Connection& conn) {
        out = First<WaSession>(conn.Query(kSelectSession, {S(company_id), S(id)}), ReadSession);
    });
    return out;
}

std::optional<WaSession> SqlRepository::FindSessionById(std::string_view id) {
    std::optional<WaSession> out;
    db_->Read([&](Connection& conn) { out = First<WaSession>(conn.Query(kSelectSessionById, {S(id)}), ReadSession); });
    return out;
}

std::vector<WaSession> SqlRepository::ListSessions(std::string_view company_id) {
    std::vector<WaSession> out;
    db_->Read([&](Connection& conn) { out = All<WaSession>(conn.Query(kListSessions, {S(company_id)}), ReadSession); });
    return out;
}

std::vector<WaSession> SqlRepository::ListSessionsByStatus(const std::vector<std::string>& statuses) {
    std::vector<WaSession> out;
    if (statuses.empty()) return out;
    std::string sql = "SELECT " + kSessionCols + " FROM wa_sessions WHERE status IN (";
    Params params;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        sql += (i ? ", $" : "$") + std::to_string(i + 1);
        params.emplace_back(statuses[i]);
    }
    sql += ") ORDER BY created_at, id";
    db_->Read([&](Connection& conn) { out = All<WaSession>(conn.Query(sql, params), ReadSession); });
    return out;
}

std::int64_t SqlRepository::CountSessions(std::string_view company_id) {
    std::int64_t count = 0;
    db_->Read([&](Connection& conn) { count = conn.Query(kCountSessions, {S(company_id)})[0].Int(0); });
    return count;
}

std::optional<WaSession> SqlRepository::UpdateSession(std::string_view id, const SessionPatch& patch) {
    std::optional<WaSession> out;
    db_->Write([&](Connection& conn) {
        out = First<WaSession>(conn.Query(kSelectSessionById + db_->dialect().for_update, {S(id)}), ReadSession);
        if (!out) return;
        WaSession& s = *out;
        if (patch.name) s.name = *patch.name;
        if (patch.status) s.status = *patch.status;
        if (patch.status_reason) s.status_reason = *patch.status_reason;
        if (patch.phone_number) s.phone_number = *patch.phone_number;
        if (patch.display_name) s.display_name = *patch.display_name;
        if (patch.jid) s.jid = *patch.jid;
        if (patch.connected_at) s.connected_at = *patch.connected_at;
        if (patch.history_sync) s.history_sync = *patch.history_sync;
        s.updated_at = NowMs();
        conn.Exec(kUpdateSession, {s.id, s.name, s.status, s.status_reason, s.phone_number, s.display_name, s.jid,
                                   s.connected_at, s.updated_at, s.history_sync});
    });
    return out;
}

bool SqlRepository::DeleteSession(std::string_view company_id, std::string_view id, bool purge) {
    bool deleted = false;
    db_->Write([&](Connection& conn) {
        if (conn.Query(kSessionInCompany, {S(company_id), S(id)}).empty()) return;
        conn.Exec(kDeleteSessionCredentials, {S(id)});
        conn.Exec(kDeleteSessionAccess, {S(company_id), S(id)});
        if (purge) {
            conn.Exec(kPurgeSessionOutbox, {S(id)});
            conn.Exec(kPurgeSessionMessages, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionChats, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionContacts, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionEvents, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionCounts, {S(company_id), S(id)});
        }
        deleted = conn.Exec(kDeleteSession, {S(company_id), S(id)}) > 0;
    });
    return deleted;
}

// ---------------------------------------------------------------- access

Access SqlRepository::UpsertAccess(const Access& access) {
    Access a = access;
    const std::int64_t now = NowMs();
    if (a.created_at == 0) a.created_at = now;
    a.updated_at = now;
    Access out;
    db_->Write([&](Connection& conn) {
        // Both ends must belong to the grant's company: a grant never crosses companies.
        if (conn.Query(kSessionInCompany, {a.company_id, a.session_id}).empty()) {
            throw ConstraintViolation("store: access grant names a session outside its company");
        }
        if (conn.Query(kUserInCompany, {a.company_id, a.user_id}).empty()) {
            throw ConstraintViolation("store: access grant names a user outside its company");
        }
        out = ReadAccess(conn.Query(kUpsertAccess, {a.company_id, a.session_id, a.user_id, a.can_read, a.can_write,
                                                    a.can_manage_chats, a.created_at, a.updated_at})[0]);
    });
    return out;
}

bool SqlRepository::DeleteAccess(std::string_view company_id, std::string_view session_id,
                                 std::string_view user_id) {
    bool deleted = false;
    db_->Write([&](Connection& conn) {
        deleted = conn.Exec(kDeleteAccess, {S(company_id), S(session_id), S(user_id)}) > 0;
    });
    return deleted;
}

std::optional<Access> SqlRepository::FindAccess(std::string_view company_id, std::string_view session_id,
                                                std::string_view user_id) {
    std::optional<Access> out;
    db_->Read([&](Connection& conn) {
        out = First<Access>(conn.Query(kSelectAccess, {S(company_id), S(session_id), S(user_id)}), ReadAccess);
    });
    return out;
}

std::vector<Access> SqlRepository::ListAccessBySession(std::string_view company_id, std::string_view session_id) {
    std::vector<Access> out;
    db_->Read([&](Connection& conn) {
        out = All<Access>(conn.Query(kListAccessBySession, {S(company_id), S(session_id)}), ReadAccess);
    });
    return out;
}

std::vector<Access> SqlRepository::ListAccessByUser(std::string_view company_id, std::string_view user_id) {
    std::vector<Access> out;
    db_->Read([&](Connection& conn) {
        out = All<Access>(conn.Query(kListAccessByUser, {S(company_id), S(user_id)}), ReadAccess);
    });
    return out;
}

std::vector<Access> SqlRepository::ListAllAccess() {
    std::vector<Access> out;
    db_->Read([&](Connection& conn) { out = All<Access>(conn.Query(kListAllAccess, {}), ReadAccess); });
    return out;
}

// ---------------------------------------------------------------- chats

Chat SqlRepository::UpsertChat(const Chat& chat) {
    Chat out;
    Transact([&](Transaction& tx) { out = tx.UpsertChat(chat); });
    return out;
}

std::optional<Chat> SqlRepository::FindChat(std::string_view company_id, std::string_view session_id,
                                             std::string_view id) {
    std::optional<Chat> out;
    db_->Read([&](Connection& conn) {
        out = First<Chat>(conn.Query(kSelectChat, {S(company_id), S(session_id), S(id)}), ReadChat);
    });
    return out;
}

std::vector<GroupParticipant> SqlRepository::ListGroupParticipants(std::string_view company_id,
                                                                  std::string_view chat_id) {
    std::vector<GroupParticipant> out;
    db_->Read([&](Connection& conn) { out = ReadGroupParticipants(conn, company_id, chat_id); });
    return out;
}

std::optional<Chat> SqlRepository::FindChatByJid(std::string_view company_id, std::string_view session_id,
                                                 std::string_view jid) {
    std::optional<Chat> out;
    db_->Read([&](Connection& conn) {
        out = First<Chat>(conn.Query(kSelectChatByJid, {S(company_id), S(session_id), S(jid)}), ReadChat);
        if (!out) out = First<Chat>(conn.Query(kSelectChatByLid, {S(company_id), S(session_id), S(jid)}), ReadChat);
    });
    return out;
}

UpsertedContact SqlRepository::UpsertContact(const Contact& contact) {
    UpsertedContact out;
    Transact([&](Transaction& tx) { out = tx.UpsertContact(contact); });
    return out;
}

std::optional<Contact> SqlRepository::FindContact(std::string_view company_id, std::string_view session_id,
                                                  std::string_view jid) {
    std::optional<Contact> out;
    db_->Read([&](Connection& conn) { out = detail::SelectContact(conn, company_id, session_id, jid); });
    return out;
}

Page<Contact> SqlRepository::ListContacts(const ContactQuery& query) {
    ContactQuery q = query;
    if (!q.search.empty()) q.search = "%" + EscapeLike(q.search) + "%";
    const int limit = ClampLimit(q.limit);
    Page<Contact> out;
    db_->Read([&](Connection& conn) { out = detail::SelectContacts(conn, q, limit, OffsetOf(q.page, limit)); });
    return out;
}

Page<Chat> SqlRepository::ListChats(const ChatQuery& query) {
    std::string where = " FROM wa_chats WHERE company_id = $1 AND session_id = $2";
    Params params{query.company_id, query.session_id};
    auto next = [&] { return "$" + std::to_string(params.size() + 1); };
    if (query.archived) {
        where += " AND archived = " + next();
        params.emplace_back(*query.archived);
    }
    if (query.unread) where += *query.unread ? " AND unread_count > 0" : " AND unread_count = 0";
    if (query.assigned_to) {
        where += " AND assigned_to = " + next();
        params.emplace_back(*query.assigned_to);
    }
    if (!query.search.empty()) {
        std::string p = next();
        where += " AND (lower(name) LIKE " + p + " ESCAPE '\\' OR lower(contact_name) LIKE " + p +
                 " ESCAPE '\\' OR lower(jid) LIKE " + p + " ESCAPE '\\')";
        params.emplace_back("%" + EscapeLike(query.search) + "%");
    }
    // The unfiltered listing (the console's default view) is one statement: its total, kept by
    // triggers, rides along as a last column computed once; only an empty page asks for it apart.
    const bool unfiltered = params.size() == 2 && !query.unread;
    const int limit = ClampLimit(query.limit);
    Params page_params = params;
    std::string page_sql = "SELECT " + kChatCols;
    if (unfiltered) page_sql += ", " + kSessionChatCountColumn;
    page_sql += where + kChatActivityOrder + " LIMIT " + next();
    page_params.emplace_back(std::int64_t{limit});
    page_sql += " OFFSET $" + std::to_string(page_params.size() + 1);
    page_params.emplace_back(OffsetOf(query.page, limit));

    Page<Chat> out;
    db_->Read([&](Connection& conn) {
        Rows rows = conn.Query(page_sql, page_params);
        out.items = All<Chat>(rows, ReadChat);
        if (!unfiltered) {
            out.total = conn.Query("SELECT COUNT(*)" + where, params)[0].Int(0);
        } else if (!rows.empty()) {
            out.total = rows[0].Int(kChatTotalColumn);
        } else {
            Rows count = conn.Query(kSessionChatCount, {query.company_id, query.session_id});
            out.total = count.empty() ? 0 : count[0].Int(0);
        }
    });
    return out;
}

std::optional<Chat> SqlRepository::UpdateChat(std::string_view company_id, std::string_view session_id,
                                              std::string_view id, const ChatPatch& patch) {
    std::optional<Chat> out;
    db_->Write([&](Connection& conn) {
        out = First<Chat>(conn.Query(kSelectChat + db_->dialect().for_update, {S(company_id), S(session_id), S(id)}),
                          ReadChat);
        if (!out) return;
        Chat& c = *out;
        if (patch.name) c.name = *patch.name;
        if (patch.archived) c.archived = *patch.archived;
        if (patch.pinned) c.pinned = *patch.pinned;
        if (patch.muted) c.muted = *patch.muted;
        if (patch.assigned_to) c.assigned_to = *patch.assigned_to;
        if (patch.labels) c.labels = *patch.labels;
        c.updated_at = NowMs();
        WriteChat(conn, c);
    });
    return out;
}

std::optional<Chat> SqlRepository::MarkChatRead(std::string_view company_id, std::string_view session_id,
                                                std::string_view id) {
    std::optional<Chat> out;
    db_->Write([&](Connection& conn) {
        out = First<Chat>(conn.Query(kMarkChatRead, {S(company_id), S(session_id), S(id), NowMs()}), ReadChat);
    });
    return out;
}

// ---------------------------------------------------------------- messages

RecordedMessage SqlRepository::RecordMessage(const Message& message) {
    RecordedMessage out;
    Transact([&](Transaction& tx) { out = tx.RecordMessage(message); });
    return out;
}

std::optional<Message> SqlRepository::FindMessage(std::string_view company_id, std::string_view session_id,
                                                  std::string_view id) {
    std::optional<Message> out;
    db_->Read([&](Connection& conn) {
        out = First<Message>(conn.Query(kSelectMessage, {S(company_id), S(session_id), S(id)}), ReadMessage);
    });
    return out;
}

std::optional<Message> SqlRepository::FindMessageByWaId(std::string_view session_id, std::string_view wa_message_id) {
    std::optional<Message> out;
    if (wa_message_id.empty()) return out;
    db_->Read([&](Connection& conn) {
        out = First<Message>(conn.Query(kSelectMessageByWaId, {S(session_id), S(wa_message_id)}), ReadMessage);
    });
    return out;
}

std::optional<Message> SqlRepository::FindMessageByClientId(std::string_view session_id,
                                                            std::string_view client_message_id) {
    std::optional<Message> out;
    if (client_message_id.empty()) return out;
    db_->Read([&](Connection& conn) {
        out = First<Message>(conn.Query(kSelectMessageByClientId, {S(session_id), S(client_message_id)}), ReadMessage);
    });
    return out;
}

Page<Message> SqlRepository::ListMessages(const MessageQuery& query) { return ListChatMessages(query).page; }

ChatMessages SqlRepository::ListChatMessages(const MessageQuery& query) {
    const std::int64_t limit = ClampLimit(query.limit);
    const std::int64_t offset = OffsetOf(query.page, limit);
    ChatMessages out;
    db_->Read([&](Connection& conn) {
        Params params{query.company_id, query.session_id, query.chat_id, limit};
        const std::string* sql = &kListMessagesFirstPage;
        if (!query.before.empty()) {
            sql = &kListMessagesBefore;
            params.emplace_back(query.before);
        } else if (offset > 0) {
            sql = &kListMessagesPage;
            params.emplace_back(offset);
        }
        Rows rows = conn.Query(*sql, params);
        if (!rows.empty()) {
            out.chat_found = true;
            out.page.total = rows[0].Int(kMessageCountColumn);
            out.page.items = All<Message>(rows, ReadMessage);
            return;
        }
        // Nothing listed: tell a missing chat and an unknown cursor apart from an empty page.
        Rows chat =
            conn.Query(kChatMessageCountAndCursor, {query.company_id, query.session_id, query.chat_id, query.before});
        if (chat.empty()) return;
        out.chat_found = true;
        out.page.total = chat[0].Int(0);
        out.cursor_found = query.before.empty() || !chat[0].IsNull(1);
    });
    return out;
}

std::optional<Message> SqlRepository::AdvanceMessageStatus(std::string_view session_id, std::string_view id,
                                                           std::string_view status) {
    std::vector<std::string> before = StatusesBefore(status);
    if (before.empty()) {
        if (status == "pending") return std::nullopt;  // nothing precedes pending
        throw ConstraintViolation("store: unknown message status '" + std::string(status) + "'");
    }
    while (before.size() < 4) before.push_back(before.back());
    std::optional<Message> out;
    db_->Write([&](Connection& conn) {
        out = First<Message>(
            conn.Query(kAdvanceStatus, {S(session_id), S(id), S(status), before[0], before[1], before[2], before[3]}),
            ReadMessage);
    });
    return out;
}

std::optional<Message> SqlRepository::SetMessageWaId(std::string_view session_id, std::string_view id,
                                                     std::string_view wa_message_id) {
    std::optional<Message> out;
    db_->Write([&](Connection& conn) {
        out = First<Message>(conn.Query(kSetMessageWaId, {S(session_id), S(id), S(wa_message_id)}), ReadMessage);
    });
    return out;
}

std::optional<Message> SqlRepository::FailMessage(std::string_view session_id, std::string_view id,
                                                  std::string_view reason) {
    std::optional<Message> out;
    db_->Write([&](Connection& conn) {
        out = First<Message>(conn.Query(kFailMessage, {S(session_id), S(id), S(reason)}), ReadMessage);
    });
    return out;
}

std::optional<Message> SqlRepository::UpdateMessageMedia(std::string_view session_id, std::string_view id,
                                                         const MediaInfo& media) {
    std::optional<Message> out;
    db_->Write([&](Connection& conn) {
        out = First<Message>(
            conn.Query(kUpdateMessageMedia, {S(session_id), S(id), media.sha256, media.status, media.size, media.ref}),
            ReadMessage);
    });
    return out;
}

std::vector<Message> SqlRepository::ListPendingOutgoing(std::string_view session_id, int limit) {
    std::vector<Message> out;
    const std::int64_t n = std::clamp(limit, 1, kMaxLimit);
    db_->Read([&](Connection& conn) {
        out = All<Message>(conn.Query(kListPendingOutgoing, {S(session_id), true, n}), ReadMessage);
    });
    return out;
}

std::vector<Message> SqlRepository::ListRecentIncoming(std::string_view session_id, std::string_view chat_id,
                                                       int limit) {
    std::vector<Message> out;
    const std::int64_t n = std::clamp(limit, 1, kMaxLimit);
    db_->Read([&](Connection& conn) {
        out = All<Message>(conn.Query(kListRecentIncoming, {S(session_id), S(chat_id), false, n}), ReadMessage);
    });
    return out;
}

// ---------------------------------------------------------------- events and audit

Event SqlRepository::AppendEvent(const Event& event) {
    return Transact([&](Transaction& tx) { tx.AppendEvent(event); }).at(0);
}

std::vector<Event> SqlRepository::ListEvents(std::string_view company_id, std::int64_t after_id, int limit) {
    std::vector<Event> out;
    db_->Read([&](Connection& conn) {
        out = All<Event>(conn.Query(kListEvents, {S(company_id), after_id, std::int64_t{ClampLimit(limit)}}), ReadEvent);
    });
    return out;
}

AuditEntry SqlRepository::AppendAudit(const AuditEntry& entry) {
    AuditEntry a = entry;
    if (a.details_json.empty()) a.details_json = "{}";
    if (a.created_at == 0) a.created_at = NowMs();
    db_->Write([&](Connection& conn) {
        a.id = conn.Query(kInsertAudit, {a.company_id, a.user_id, a.action, a.target_type, a.target_id,
                                         a.details_json, a.ip, a.created_at})[0]
                   .Int(0);
    });
    return a;
}

Page<AuditEntry> SqlRepository::ListAudit(std::string_view company_id, int page, int limit) {
    limit = ClampLimit(limit);
    Page<AuditEntry> out;
    db_->Read([&](Connection& conn) {
        out.total = conn.Query(kCountAudit, {S(company_id)})[0].Int(0);
        out.items = All<AuditEntry>(
            conn.Query(kListAudit, {S(company_id), std::int64_t{limit}, OffsetOf(page, limit)}), ReadAudit);
    });
    return out;
}

// ---------------------------------------------------------------- statistics

CompanyStats SqlRepository::Stats(std::string_view company_id, std::int64_t since_ms) {
    CompanyStats out;
    db_->Read([&](Connection& conn) {
        Rows sessions = conn.Query(kStatsSessions, {S(company_id)});
        std::map<std::string, std::size_t, std::less<>> index;
        for (std::size_t i = 0; i < sessions.size(); ++i) {
            SessionStats s;
            s.session_id = sessions[i].Text(0);
            if (sessions[i].Text(1) == kStatusConnected) ++out.active_sessions;
            index[s.session_id] = out.per_session.size();
            out.per_session.push_back(std::move(s));
        }
        out.total_sessions = static_cast<std::int64_t>(out.per_session.size());
        Rows chats = conn.Query(kStatsChats, {S(company_id)});
        for (std::size_t i = 0; i < chats.size(); ++i) {
            auto it = index.find(chats[i].Text(0));
            if (it == index.end()) continue;  // history kept from a deleted session
            out.per_session[it->second].chats = chats[i].Int(1);
            out.total_chats += chats[i].Int(1);
        }
        std::map<std::int64_t, DailyCount> days;
        auto add = [&](std::int64_t day, std::string_view session_id, std::int64_t incoming, std::int64_t outgoing) {
            days[day].incoming += incoming;
            days[day].outgoing += outgoing;
            auto it = index.find(session_id);
            if (it == index.end()) return;
            out.per_session[it->second].incoming += incoming;
            out.per_session[it->second].outgoing += outgoing;
        };
        std::int64_t first_full_day = std::numeric_limits<std::int64_t>::min();
        if (since_ms > 0) {
            first_full_day = since_ms / kMsPerDay;
            if (since_ms % kMsPerDay != 0) {
                ++first_full_day;
                Rows partial = conn.Query(kStatsMessagesBetween, {S(company_id), since_ms, first_full_day * kMsPerDay});
                for (std::size_t i = 0; i < partial.size(); ++i) {
                    const bool outgoing = partial[i].Bool(1);
                    const std::int64_t count = partial[i].Int(2);
                    add(since_ms / kMsPerDay, partial[i].Text(0), outgoing ? 0 : count, outgoing ? count : 0);
                }
            }
        }
        Rows counts = conn.Query(kStatsDailyCounts, {S(company_id), first_full_day});
        for (std::size_t i = 0; i < counts.size(); ++i) {
            add(counts[i].Int(0), counts[i].Text(1), counts[i].Int(2), counts[i].Int(3));
        }
        for (auto it = days.begin(); it != days.end();) {
            it = (it->second.incoming == 0 && it->second.outgoing == 0) ? days.erase(it) : std::next(it);
        }
        for (auto& [day, counts] : days) {
            counts.day = DayString(day);
            out.per_day.push_back(counts);
        }
    });
    return out;
}

// ---------------------------------------------------------------- credentials, health

std::optional<std::string> SqlRepository::GetCredential(std::string_view session_id, std::string_view key) {
    std::optional<std::string> out;
    db_->Read([&](Connection& conn) {
        Rows rows = conn.Query(kSelectCredential, {S(session_id), S(key)});
        if (!rows.empty()) out = rows[0].Text(0);
    });
    return out;
}

void SqlRepository::PutCredential(std::string_view session_id, std::string_view key, std::string_view value) {
    Transact([&](Transaction& tx) { tx.PutCredential(session_id, key, value); });
}

void SqlRepository::DeleteCredential(std::string_view session_id, std::string_view key) {
    Transact([&](Transaction& tx) { tx.DeleteCredential(session_id, key); });
}

std::int64_t SqlRepository::PruneCredentials(std::string_view session_id, std::string_view key_prefix,
                                             std::int64_t before_ms) {
    std::int64_t n = 0;
    db_->Write([&](Connection& conn) {
        if (key_prefix.empty() || static_cast<unsigned char>(key_prefix.back()) == 0xFF)
            throw ConstraintViolation("store: a credential prefix must be non-empty and end below 0xFF");
        std::string end(key_prefix);
        end.back() = static_cast<char>(end.back() + 1);
        n = conn.Exec(kPruneCredentials, {S(session_id), S(key_prefix), end, before_ms});
    });
    return n;
}

std::vector<std::string> SqlRepository::ListCredentialKeys(std::string_view session_id, std::string_view key_prefix) {
    if (key_prefix.empty() || static_cast<unsigned char>(key_prefix.back()) == 0xFF)
        throw ConstraintViolation("store: a credential prefix must be non-empty and end below 0xFF");
    std::string upper(key_prefix);
    upper.back() = static_cast<char>(upper.back() + 1);
    std::vector<std::string> keys;
    db_->Read([&](Connection& conn) {
        keys.clear();
        const Rows rows = conn.Query(kListCredentialKeys, {S(session_id), S(key_prefix), upper});
        for (std::size_t i = 0; i < rows.size(); ++i) keys.emplace_back(rows[i].Text(0));
    });
    return keys;
}

void SqlRepository::DeleteCredentials(std::string_view session_id) {
    db_->Write([&](Connection& conn) { conn.Exec(kDeleteSessionCredentials, {S(session_id)}); });
}

bool SqlRepository::Ping() {
    try {
        bool ok = false;
        db_->Read([&](Connection& conn) { ok = conn.Query(kPing, {})[0].Int(0) == 1; });
        return ok;
    } catch (const StoreError&) {
        return false;
    }
}

// ---------------------------------------------------------------- API additions

std::vector<User> SqlRepository::ListAllUsers() {
    std::vector<User> out;
    db_->Read([&](Connection& conn) { out = All<User>(conn.Query(kListAllUsers, {}), ReadUser); });
    return out;
}

std::int64_t SqlRepository::CountCompanies() {
    std::int64_t count = 0;
    db_->Read([&](Connection& conn) { count = conn.Query(kCountCompanies, {})[0].Int(0); });
    return count;
}

}  // namespace wadesk::store
