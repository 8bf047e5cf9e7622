#pragma once
// What the SQL repository's files share (sql_repository.cpp: the unit of work and group commit;
// sql_accounts.cpp, sql_chats.cpp, sql_messages.cpp, sql_records.cpp: one aggregate each): the
// column lists and statement texts, written once for both dialects, and the row decoders that
// read those column lists back. Only for store/sql_*.cpp.
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "store/detail/sql.h"
#include "store/repository.h"
#include "store/sql_repository.h"

namespace wadesk::store::detail {

// ---- column lists (the Read* functions below decode them in this order)

inline const std::string kCompanyCols = "id, name, max_sessions, created_at";
inline const std::string kUserCols =
    "id, company_id, email, name, role, password_hash, external_id, disabled, created_at, updated_at, "
    "tokens_valid_after";
inline const std::string kSessionCols =
    "id, company_id, name, status, status_reason, phone_number, display_name, jid, created_at, updated_at, "
    "connected_at, history_sync";
inline const std::string kAccessCols =
    "company_id, session_id, user_id, can_read, can_write, can_manage_chats, created_at, updated_at";
inline const std::string kChatCols =
    "id, company_id, session_id, jid, lid, name, is_group, unread_count, last_message, last_message_at, archived, "
    "pinned, muted, assigned_to, labels, created_at, updated_at, contact_name";
inline const std::string kMessageCols =
    "id, company_id, session_id, chat_id, wa_message_id, from_me, sender_jid, sender_name, sender_phone, type, body, "
    "has_media, media_mimetype, media_size, media_file_name, media_url, quoted_message_id, ts, status, sent_by, "
    "client_message_id, edited, deleted, from_history, created_at, sender_lid, failure_reason, media_sha256, "
    "media_status, media_duration, media_width, media_height, media_ref";
inline const std::string kEventCols = "id, company_id, session_id, name, payload_json, created_at";
inline const std::string kAuditCols =
    "id, company_id, user_id, action, target_type, target_id, details_json, ip, created_at";

// ---- companies
inline const std::string kInsertCompany =
    "INSERT INTO companies (" + kCompanyCols + ") VALUES ($1, $2, $3, $4)";
inline const std::string kSelectCompany = "SELECT " + kCompanyCols + " FROM companies WHERE id = $1";

// ---- users
inline const std::string kInsertUser =
    "INSERT INTO users (" + kUserCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
inline const std::string kSelectUserById = "SELECT " + kUserCols + " FROM users WHERE id = $1";
inline const std::string kSelectUserByEmail = "SELECT " + kUserCols + " FROM users WHERE email = $1";
inline const std::string kSelectUserByExternalId =
    "SELECT " + kUserCols + " FROM users WHERE company_id = $1 AND external_id = $2 AND external_id <> ''";
inline const std::string kSelectUser = "SELECT " + kUserCols + " FROM users WHERE company_id = $1 AND id = $2";
inline const std::string kListUsers =
    "SELECT " + kUserCols + " FROM users WHERE company_id = $1 ORDER BY created_at, id";
inline const std::string kListUsersByRole =
    "SELECT " + kUserCols + " FROM users WHERE company_id = $1 AND role = $2 ORDER BY created_at, id";
inline const std::string kUpdateUser =
    "UPDATE users SET name = $3, email = $4, password_hash = $5, disabled = $6, updated_at = $7, "
    "tokens_valid_after = $8 WHERE company_id = $1 AND id = $2";
inline const std::string kDeleteUserAccess = "DELETE FROM wa_access WHERE company_id = $1 AND user_id = $2";
inline const std::string kDeleteUser = "DELETE FROM users WHERE company_id = $1 AND id = $2";

// ---- sessions
inline const std::string kInsertSession =
    "INSERT INTO wa_sessions (" + kSessionCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
inline const std::string kSelectSession =
    "SELECT " + kSessionCols + " FROM wa_sessions WHERE company_id = $1 AND id = $2";
inline const std::string kSelectSessionById = "SELECT " + kSessionCols + " FROM wa_sessions WHERE id = $1";
inline const std::string kListSessions =
    "SELECT " + kSessionCols + " FROM wa_sessions WHERE company_id = $1 ORDER BY created_at, id";
inline const std::string kCountSessions = "SELECT COUNT(*) FROM wa_sessions WHERE company_id = $1";
inline const std::string kUpdateSession =
    "UPDATE wa_sessions SET name = $2, status = $3, status_reason = $4, phone_number = $5, display_name = $6, "
    "jid = $7, connected_at = $8, updated_at = $9, history_sync = $10 WHERE id = $1";
inline const std::string kDeleteSessionCredentials = "DELETE FROM wa_credentials WHERE session_id = $1";
inline const std::string kDeleteSessionAccess = "DELETE FROM wa_access WHERE company_id = $1 AND session_id = $2";
inline const std::string kDeleteSession = "DELETE FROM wa_sessions WHERE company_id = $1 AND id = $2";
inline const std::string kPurgeSessionOutbox = "DELETE FROM outbox WHERE session_id = $1";
inline const std::string kPurgeSessionMessages = "DELETE FROM wa_messages WHERE company_id = $1 AND session_id = $2";
inline const std::string kPurgeSessionChats = "DELETE FROM wa_chats WHERE company_id = $1 AND session_id = $2";
inline const std::string kPurgeSessionContacts = "DELETE FROM wa_contacts WHERE company_id = $1 AND session_id = $2";
inline const std::string kPurgeSessionEvents = "DELETE FROM events WHERE company_id = $1 AND session_id = $2";

// ---- access
inline const std::string kSessionInCompany = "SELECT 1 FROM wa_sessions WHERE company_id = $1 AND id = $2";
inline const std::string kUserInCompany = "SELECT 1 FROM users WHERE company_id = $1 AND id = $2";
inline const std::string kUpsertAccess =
    "INSERT INTO wa_access (" + kAccessCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT (session_id, user_id) DO UPDATE SET can_read = excluded.can_read, "
    "can_write = excluded.can_write, can_manage_chats = excluded.can_manage_chats, "
    "updated_at = excluded.updated_at RETURNING " + kAccessCols;
inline const std::string kDeleteAccess =
    "DELETE FROM wa_access WHERE company_id = $1 AND session_id = $2 AND user_id = $3";
inline const std::string kSelectAccess =
    "SELECT " + kAccessCols + " FROM wa_access WHERE company_id = $1 AND session_id = $2 AND user_id = $3";
inline const std::string kListAccessBySession =
    "SELECT " + kAccessCols + " FROM wa_access WHERE company_id = $1 AND session_id = $2 ORDER BY created_at, user_id";
inline const std::string kListAccessByUser =
    "SELECT " + kAccessCols + " FROM wa_access WHERE company_id = $1 AND user_id = $2 ORDER BY created_at, session_id";
inline const std::string kListAllAccess = "SELECT " + kAccessCols + " FROM wa_access ORDER BY company_id, session_id, user_id";

// ---- chats
inline const std::string kInsertChat =
    "INSERT INTO wa_chats (" + kChatCols +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
inline const std::string kSelectChat =
    "SELECT " + kChatCols + " FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND id = $3";
inline const std::string kSelectChatInSession = "SELECT " + kChatCols + " FROM wa_chats WHERE session_id = $1 AND id = $2";
inline const std::string kSelectChatByJid =
    "SELECT " + kChatCols + " FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND jid = $3";
inline const std::string kSelectChatByLid =
    "SELECT " + kChatCols + " FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND lid = $3 AND lid <> ''";
inline const std::string kUpdateChat =
    "UPDATE wa_chats SET jid = $2, lid = $3, name = $4, is_group = $5, unread_count = $6, last_message = $7, "
    "last_message_at = $8, archived = $9, pinned = $10, muted = $11, assigned_to = $12, labels = $13, "
    "updated_at = $14, contact_name = $15 WHERE id = $1";
// The 1:1 chats of a contact ($3 its jid, $4 its lid or jid again) whose contact_name differs.
inline const std::string kSetChatContactName =
    "UPDATE wa_chats SET contact_name = $5, updated_at = $6 WHERE company_id = $1 AND session_id = $2 AND "
    "contact_name <> $5 AND (jid = $3 OR jid = $4 OR (lid <> '' AND (lid = $3 OR lid = $4))) RETURNING " + kChatCols;
inline const std::string kMoveChatMessages = "UPDATE wa_messages SET chat_id = $2 WHERE chat_id = $1";
inline const std::string kDeleteChat = "DELETE FROM wa_chats WHERE id = $1";
inline const std::string kDeleteGroupParticipants = "DELETE FROM wa_group_participants WHERE company_id = $1 AND chat_id = $2";
inline const std::string kInsertGroupParticipant =
    "INSERT INTO wa_group_participants (chat_id, company_id, position, jid, phone, lid, name, admin) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
inline const std::string kSelectGroupParticipants =
    "SELECT jid, phone, lid, name, admin FROM wa_group_participants WHERE company_id = $1 AND chat_id = $2 "
    "ORDER BY position";
inline const std::string kMarkChatRead =
    "UPDATE wa_chats SET unread_count = 0, updated_at = $4 WHERE company_id = $1 AND session_id = $2 AND id = $3 "
    "RETURNING " + kChatCols;
// Chats per (company, session), kept by triggers (V004): the unfiltered listing's total.
inline const std::string kSessionChatCount =
    "SELECT chats FROM session_chat_counts WHERE company_id = $1 AND session_id = $2";
// The same as a column of a listing of (company $1, session $2): a scalar subquery, computed once.
inline const std::string kSessionChatCountColumn = "(" + kSessionChatCount + ")";
inline constexpr std::size_t kChatTotalColumn = 18;  // the column after kChatCols
inline const std::string kChatActivityOrder = " ORDER BY last_message_at DESC, id DESC";
inline const std::string kUpdateChatOnMessage =
    "UPDATE wa_chats SET "
    "last_message = CASE WHEN $2 >= last_message_at THEN $3 ELSE last_message END, "
    "last_message_at = CASE WHEN $2 >= last_message_at THEN $2 ELSE last_message_at END, "
    "unread_count = unread_count + $4, updated_at = $5 WHERE id = $1 RETURNING " + kChatCols;

// ---- messages
inline const std::string kInsertMessage =
    "INSERT INTO wa_messages (" + kMessageCols +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, "
    "$23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33) ON CONFLICT DO NOTHING RETURNING id";
inline const std::string kSelectMessage =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE company_id = $1 AND session_id = $2 AND id = $3";
inline const std::string kSelectMessageByWaId =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE session_id = $1 AND wa_message_id = $2 AND wa_message_id <> ''";
inline const std::string kSelectMessageByClientId =
    "SELECT " + kMessageCols +
    " FROM wa_messages WHERE session_id = $1 AND client_message_id = $2 AND client_message_id <> ''";
inline const std::string kSelectMessageInSession =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE session_id = $1 AND id = $2";
// Message listings touch wa_messages by chat_id alone, so the planner has one obvious index:
// (chat_id, ts DESC, id DESC). A listing is one statement: the chat's scope check is an
// uncorrelated EXISTS (evaluated once: a one-time filter in PostgreSQL, a once-only subroutine in
// SQLite) that lets rows through only when chat $3 belongs to (company $1, session $2), and the
// chat's message count (kept by triggers, V004) rides along as the last column. (Comparing
// chat_id with a scalar subquery instead would hide the chat id from PostgreSQL's planner, which
// then scans the whole table.) An empty result is ambiguous (no such chat, an empty page, an
// unknown cursor) and is resolved by kChatMessageCountAndCursor, which runs only then.
inline const std::string kScopedMessages =
    "SELECT " + kMessageCols +
    ", (SELECT message_count FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND id = $3) "
    "FROM wa_messages WHERE chat_id = $3 "
    "AND EXISTS (SELECT 1 FROM wa_chats WHERE company_id = $1 AND session_id = $2 AND id = $3)";
inline constexpr std::size_t kMessageCountColumn = 33;  // the column after kMessageCols
inline const std::string kNewestFirstLimit4 = " ORDER BY ts DESC, id DESC LIMIT $4";
// The first page: the newest $4 rows, straight off the index.
inline const std::string kListMessagesFirstPage = kScopedMessages + kNewestFirstLimit4;
// A later page without reading the rows it skips: the subquery finds the page's first (ts, id)
// from the index alone (an index-only scan in PostgreSQL once the visibility map is set; a
// covering index in SQLite), then a keyset seek fetches just the page. Same rows, in the same
// order, as ORDER BY ts DESC, id DESC LIMIT $4 OFFSET $5; past the end the subquery is empty,
// the comparison NULL and the page empty. (The first page skips nothing, so it does without the
// subquery, which would only add an index probe to the most frequent listing.)
inline const std::string kListMessagesPage =
    kScopedMessages +
    " AND (ts, id) <= (SELECT ts, id FROM wa_messages WHERE chat_id = $3 ORDER BY ts DESC, id DESC LIMIT 1 OFFSET $5)" +
    kNewestFirstLimit4;
// Keyset seek after the cursor $5: (ts, id) < (cursor ts, cursor id), the cursor looked up in
// this chat only (a cursor of another chat, or none, selects nothing).
inline const std::string kListMessagesBefore =
    kScopedMessages + " AND (ts, id) < (SELECT ts, id FROM wa_messages WHERE id = $5 AND chat_id = $3)" +
    kNewestFirstLimit4;
// What an empty listing meant: (message_count, cursor chat_id, cursor ts) when chat $3 belongs to
// (company $1, session $2), no row otherwise; the cursor columns are NULL when $4 names no
// message of (company, session).
inline const std::string kChatMessageCountAndCursor =
    "SELECT c.message_count, m.chat_id, m.ts FROM wa_chats c "
    "LEFT JOIN wa_messages m ON m.id = $4 AND m.company_id = c.company_id AND m.session_id = c.session_id "
    "WHERE c.company_id = $1 AND c.session_id = $2 AND c.id = $3";
inline const std::string kAdvanceStatus =
    "UPDATE wa_messages SET status = $3 WHERE session_id = $1 AND id = $2 AND status IN ($4, $5, $6, $7) "
    "RETURNING " + kMessageCols;
inline const std::string kUpdateMessageContent =
    "UPDATE wa_messages SET type = $3, body = $4, has_media = $5, media_mimetype = $6, media_size = $7, "
    "media_file_name = $8, media_url = $9, quoted_message_id = $10, edited = $11, deleted = $12, "
    "media_sha256 = $13, media_status = $14, media_duration = $15, media_width = $16, media_height = $17, "
    "media_ref = $18 WHERE session_id = $1 AND id = $2 RETURNING " + kMessageCols;
// Where a message's file download stands (the media fields only).
inline const std::string kUpdateMessageMedia =
    "UPDATE wa_messages SET media_sha256 = $3, media_status = $4, media_size = $5, media_ref = $6 "
    "WHERE session_id = $1 AND id = $2 AND has_media RETURNING " + kMessageCols;
// A chat's preview follows an edit or deletion of its last message.
inline const std::string kRefreshChatPreview =
    "UPDATE wa_chats SET last_message = $3 WHERE id = $1 AND last_message_at = $2 RETURNING " + kChatCols;
inline const std::string kFailMessage =
    "UPDATE wa_messages SET status = 'failed', failure_reason = $3 WHERE session_id = $1 AND id = $2 "
    "AND status IN ('pending', 'sent') RETURNING " + kMessageCols;
// Over the partial index wa_messages_pending (V006).
inline const std::string kListPendingOutgoing =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE session_id = $1 AND status = 'pending' AND from_me = $2 "
    "ORDER BY ts, id LIMIT $3";
// Over (chat_id, ts DESC, id DESC); the session check keeps another session's chat id out.
inline const std::string kListRecentIncoming =
    "SELECT " + kMessageCols + " FROM wa_messages WHERE chat_id = $2 AND session_id = $1 AND from_me = $3 "
    "AND from_history = $3 AND wa_message_id <> '' ORDER BY ts DESC, id DESC LIMIT $4";
inline const std::string kSetMessageWaId =
    "UPDATE wa_messages SET wa_message_id = $3 WHERE session_id = $1 AND id = $2 RETURNING " + kMessageCols;

// ---- events and audit
// Events and credentials are written a group at a time (SqlTransaction::Finish), in
// multi-row statements: "<head> VALUES (..), (..) <tail>".
inline const std::string kInsertEventsHead = "INSERT INTO events (company_id, session_id, name, payload_json, created_at)";
inline const std::string kListEvents =
    "SELECT " + kEventCols + " FROM events WHERE company_id = $1 AND id > $2 ORDER BY id LIMIT $3";
inline const std::string kInsertAudit =
    "INSERT INTO audit_log (company_id, user_id, action, target_type, target_id, details_json, ip, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
inline const std::string kListAudit =
    "SELECT " + kAuditCols + " FROM audit_log WHERE company_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3";
inline const std::string kCountAudit = "SELECT COUNT(*) FROM audit_log WHERE company_id = $1";

// ---- statistics
inline const std::string kStatsSessions =
    "SELECT id, status FROM wa_sessions WHERE company_id = $1 ORDER BY created_at, id";
inline const std::string kStatsChats =
    "SELECT session_id, COUNT(*) FROM wa_chats WHERE company_id = $1 GROUP BY session_id";
// Whole UTC days come from message_counts_daily (kept by a trigger on wa_messages, migration
// V003); only the partial first day of a `since` that is not midnight is counted from
// wa_messages, over the (company_id, ts, session_id, from_me) index.
inline const std::string kStatsDailyCounts =
    "SELECT day, session_id, incoming, outgoing FROM message_counts_daily WHERE company_id = $1 AND day >= $2";
inline const std::string kStatsMessagesBetween =
    "SELECT session_id, from_me, COUNT(*) FROM wa_messages WHERE company_id = $1 AND ts >= $2 AND ts < $3 "
    "GROUP BY session_id, from_me";
inline const std::string kPurgeSessionCounts = "DELETE FROM message_counts_daily WHERE company_id = $1 AND session_id = $2";

// ---- credentials and health
inline const std::string kSelectCredential =
    "SELECT cred_value FROM wa_credentials WHERE session_id = $1 AND cred_key = $2";
inline const std::string kUpsertCredentialsHead = "INSERT INTO wa_credentials (session_id, cred_key, cred_value, updated_at)";
inline const std::string kUpsertCredentialsTail =
    "ON CONFLICT (session_id, cred_key) DO UPDATE SET cred_value = excluded.cred_value, "
    "updated_at = excluded.updated_at";
inline const std::string kDeleteCredential = "DELETE FROM wa_credentials WHERE session_id = $1 AND cred_key = $2";
// Keys in [$2, $3): every key that starts with a prefix, as a range of the primary key.
inline const std::string kPruneCredentials =
    "DELETE FROM wa_credentials WHERE session_id = $1 AND cred_key >= $2 AND cred_key < $3 AND updated_at < $4";
inline const std::string kListCredentialKeys =
    "SELECT cred_key FROM wa_credentials WHERE session_id = $1 AND cred_key >= $2 AND cred_key < $3 ORDER BY cred_key";
inline const std::string kPing = "SELECT 1";
inline const std::string kListAllUsers = "SELECT " + kUserCols + " FROM users ORDER BY company_id, created_at, id";
inline const std::string kCountCompanies = "SELECT COUNT(*) FROM companies";

inline constexpr int kMaxLimit = 1000;
inline constexpr std::int64_t kMsPerDay = 86'400'000;  // days are ts / kMsPerDay, as in SQL

inline std::string S(std::string_view v) { return std::string(v); }

inline const char* RoleName(Role role) { return role == Role::kAdmin ? "admin" : "manager"; }
inline Role ParseRole(std::string_view s) { return s == "admin" ? Role::kAdmin : Role::kManager; }

inline int ClampLimit(int limit) { return std::clamp(limit, 1, kMaxLimit); }
inline std::int64_t OffsetOf(int page, int limit) { return static_cast<std::int64_t>(std::max(page, 1) - 1) * limit; }

inline Company ReadCompany(const Row& r) {
    Company c;
    c.id = r.Text(0);
    c.name = r.Text(1);
    c.max_sessions = static_cast<int>(r.Int(2));
    c.created_at = r.Int(3);
    return c;
}

inline User ReadUser(const Row& r) {
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

inline WaSession ReadSession(const Row& r) {
    WaSession s;
    s.id = r.Text(0);
    s.company_id = r.Text(1);
    s.name = r.Text(2);
    // Text no SessionStatus spells (none this build writes) reads as failed.
    s.status = domain::ParseSessionStatus(r.Text(3)).value_or(SessionStatus::kFailed);
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

inline Access ReadAccess(const Row& r) {
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

inline Chat ReadChat(const Row& r) {
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

inline Message ReadMessage(const Row& r) {
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
    // Text no MessageType spells (none this build writes) reads as unsupported.
    m.type = domain::ParseMessageType(r.Text(9)).value_or(MessageType::kUnsupported);
    m.body = r.Text(10);
    if (r.Bool(11)) {
        // A row stored before media statuses were kept has an empty one: failed, as the API showed it.
        m.media = MediaInfo{std::string(r.Text(12)), r.Int(13), std::string(r.Text(14)), std::string(r.Text(15)),
                            std::string(r.Text(27)), domain::ParseMediaStatus(r.Text(28)).value_or(domain::MediaStatus::kFailed),
                            r.Int(29), r.Int(30), r.Int(31), std::string(r.Text(32))};
    }
    m.quoted_message_id = r.Text(16);
    m.timestamp = r.Int(17);
    // Text no MessageStatus spells (the schema allows none) reads as failed.
    m.status = domain::ParseMessageStatus(r.Text(18)).value_or(domain::MessageStatus::kFailed);
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

inline Event ReadEvent(const Row& r) {
    Event e;
    e.id = r.Int(0);
    e.company_id = r.Text(1);
    e.session_id = r.Text(2);
    e.name = r.Text(3);
    e.payload_json = r.Text(4);
    e.created_at = r.Int(5);
    return e;
}

inline AuditEntry ReadAudit(const Row& r) {
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

inline Params ChatParams(const Chat& c) {
    return {c.id,      c.company_id,    c.session_id,   c.jid,
            c.lid,     c.name,          c.is_group,     std::int64_t{c.unread_count},
            c.last_message, c.last_message_at, c.archived, c.pinned,
            c.muted,   c.assigned_to,   LabelsToJson(c.labels), c.created_at,
            c.updated_at, c.contact_name};
}

inline void WriteChat(Connection& conn, const Chat& c) {
    conn.Exec(kUpdateChat, {c.id, c.jid, c.lid, c.name, c.is_group, std::int64_t{c.unread_count}, c.last_message,
                            c.last_message_at, c.archived, c.pinned, c.muted, c.assigned_to, LabelsToJson(c.labels),
                            c.updated_at, c.contact_name});
}

// The media_status column of a message: its file's status, or empty when it has no file.
inline std::string MediaStatusText(const Message& m) { return m.media ? std::string(Name(m.media->status)) : std::string(); }

inline bool IsLid(std::string_view jid) { return jid.size() > 4 && jid.substr(jid.size() - 4) == "@lid"; }

// Status order of AdvanceMessageStatus; "failed" is reachable from "pending" only.
inline constexpr domain::MessageStatus kStatusOrder[] = {domain::MessageStatus::kPending, domain::MessageStatus::kSent,
                                                         domain::MessageStatus::kDelivered, domain::MessageStatus::kRead,
                                                         domain::MessageStatus::kPlayed};

// The names of the statuses a message may be in for `target` to be a forward move; empty for
// pending, which nothing precedes.
inline std::vector<std::string> StatusesBefore(domain::MessageStatus target) {
    if (target == domain::MessageStatus::kFailed) return {std::string(Name(domain::MessageStatus::kPending))};
    std::vector<std::string> out;
    for (domain::MessageStatus s : kStatusOrder) {
        if (s == target) break;
        out.emplace_back(Name(s));
    }
    return out;
}

inline std::string Preview(const Message& m) {
    if (m.deleted) return "This message was deleted";
    if (m.type == MessageType::kUndecryptable) return "Waiting for this message";
    if (!m.body.empty()) return m.body;
    if (m.media && !m.media->file_name.empty()) return m.media->file_name;
    return "[" + std::string(Name(m.type)) + "]";
}

inline std::string EscapeLike(std::string_view s) {
    std::string out;
    for (char ch : s) {
        if (ch == '\\' || ch == '%' || ch == '_') out.push_back('\\');
        out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
    }
    return out;
}

inline std::string DayString(std::int64_t day_number) {
    std::chrono::sys_days day{std::chrono::days{day_number}};
    std::chrono::year_month_day ymd{day};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

inline std::vector<GroupParticipant> ReadGroupParticipants(Connection& conn, std::string_view company_id,
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

}  // namespace wadesk::store::detail
