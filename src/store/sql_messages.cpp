// The SQL repository's messages: record, find, page, status, media.
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
                                                           MessageStatus status) {
    std::vector<std::string> before = StatusesBefore(status);
    if (before.empty()) return std::nullopt;  // nothing precedes pending
    while (before.size() < 4) before.push_back(before.back());
    std::optional<Message> out;
    db_->Write([&](Connection& conn) {
        out = First<Message>(
            conn.Query(kAdvanceStatus, {S(session_id), S(id), S(Name(status)), before[0], before[1], before[2], before[3]}),
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
            conn.Query(kUpdateMessageMedia, {S(session_id), S(id), media.sha256, S(Name(media.status)), media.size, media.ref}),
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

}  // namespace wadesk::store
