// The SQL repository's chats, group participants and contacts.
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
#include "store/sql_statements.h"

namespace wadesk::store {

using namespace detail;  // the statements and row decoders (sql_statements.h), the driver types

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

}  // namespace wadesk::store
