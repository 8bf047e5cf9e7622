// Chats and their messages: list, read, update, mark read, assignees, message pages.
#include "service/chat_service.h"

#include <boost/json/value.hpp>

#include <algorithm>
#include <tuple>

#include "service/chat_ref.h"
#include "service/service_internal.h"
#include "service/views.h"

namespace wadesk::service {
namespace json = boost::json;

store::Page<domain::Chat> ChatService::ListChats(const Actor& actor, const std::string& session_id,
                                                 const ChatFilter& f) {
    ReadableSession(actor, session_id);
    store::ChatQuery q;
    q.company_id = actor.who.company_id;
    q.session_id = session_id;
    q.page = f.page;
    q.limit = f.limit;
    q.search = f.search;
    q.archived = f.archived;
    q.unread = f.unread;
    if (f.assigned_to) q.assigned_to = *f.assigned_to == "me" ? actor.who.user_id : *f.assigned_to;
    return repo_.ListChats(q);
}

domain::Chat ChatService::GetChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
    domain::WaSession s = VisibleSession(actor, session_id);
    return RequireChat(actor, s.id, chat_ref);
}

std::vector<domain::User> ChatService::Assignees(const Actor& actor, const std::string& session_id) {
    domain::WaSession s = VisibleSession(actor, session_id);
    if (!access_.CanManageChats(actor.who, s.id))
        Fail(ErrorCode::kForbidden, "assigning chats of this session needs canManageChats");
    auto users = repo_.ListUsers(actor.who.company_id, std::nullopt);
    std::erase_if(users, [&](const domain::User& u) {
        auth::Principal who{u.id, u.company_id, u.role, u.email};
        return u.disabled || !access_.CanRead(who, s.id);
    });
    std::sort(users.begin(), users.end(), [](const domain::User& a, const domain::User& b) {
        return std::tie(a.name, a.email) < std::tie(b.name, b.email);
    });
    return users;
}

domain::Chat ChatService::UpdateChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                                     const store::ChatPatch& patch) {
    domain::WaSession s = VisibleSession(actor, session_id);
    domain::Chat chat = RequireChat(actor, s.id, chat_ref);
    if (!access_.CanManageChats(actor.who, s.id))
        Fail(ErrorCode::kForbidden, "managing chats of this session needs canManageChats");
    if (!patch.name && !patch.archived && !patch.pinned && !patch.muted && !patch.assigned_to && !patch.labels)
        Fail(ErrorCode::kEmptyPatch,
             "nothing to update: give archived, pinned, muted, assignedTo, labels or name");
    if (patch.assigned_to && !patch.assigned_to->empty()) {
        if (!IsWellFormedId(*patch.assigned_to) || !repo_.FindUser(actor.who.company_id, *patch.assigned_to))
            Fail(ErrorCode::kInvalidAssignee, "assignedTo must be a user of this company");
    }
    // A group's name is its subject at WhatsApp: changed there first (groups_service.cpp).
    if (patch.name && chat.is_group) RunGroupRequest(s, GroupRequest{"subject", chat.jid, *patch.name, {}});
    auto updated = repo_.UpdateChat(s.company_id, s.id, chat.id, patch);
    if (!updated) NotFound("chat");
    json::object details;
    if (patch.archived) details["archived"] = *patch.archived;
    if (patch.pinned) details["pinned"] = *patch.pinned;
    if (patch.muted) details["muted"] = *patch.muted;
    if (patch.assigned_to) details["assignedTo"] = *patch.assigned_to;
    if (patch.name) details["name"] = *patch.name;
    if (patch.labels) details["labels"] = ChatView(*updated)["labels"];
    WriteAudit(&actor, s.company_id, "chat.update", "chat", chat.id, details);
    Emit(s.company_id, s.id, "whatsapp:chat_updated", {{"sessionId", s.id}, {"chatId", chat.id}, {"chat", ChatView(*updated)}});
    return *updated;
}

domain::Chat ChatService::MarkRead(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
    domain::WaSession s = VisibleSession(actor, session_id);
    domain::Chat chat = RequireChat(actor, s.id, chat_ref);
    // The unread incoming messages are the newest `unread_count` ones; read before zeroing.
    std::vector<domain::Message> unread;
    if (chat.unread_count > 0)
        unread = repo_.ListRecentIncoming(s.id, chat.id, std::min<int>(chat.unread_count, kMaxReadReceiptIds));
    auto updated = repo_.MarkChatRead(s.company_id, s.id, chat.id);
    if (!updated) NotFound("chat");
    if (IsLive(s.status) && !unread.empty()) {
        // One receipt per sender: 1:1 chats have one; a group names each sender as participant.
        std::map<std::string, std::vector<std::string>> by_sender;
        for (auto it = unread.rbegin(); it != unread.rend(); ++it)  // oldest first
            by_sender[chat.is_group ? it->sender_jid : std::string()].push_back(it->wa_message_id);
        for (const auto& [sender, ids] : by_sender) engine_.MarkRead(s.id, chat.jid, sender, ids);
    }
    WriteAudit(&actor, s.company_id, "chat.read", "chat", chat.id);
    Emit(s.company_id, s.id, "whatsapp:chat_updated", {{"sessionId", s.id}, {"chatId", chat.id}, {"chat", ChatView(*updated)}});
    return *updated;
}

store::Page<domain::Message> ChatService::ListMessages(const Actor& actor, const std::string& session_id,
                                                       const std::string& chat_ref, int page, int limit,
                                                       const std::string& before) {
    ReadableSession(actor, session_id);
    auto ref = ParseChatRef(chat_ref);
    if (!ref) NotFound("chat");
    store::MessageQuery q;
    q.company_id = actor.who.company_id;
    q.session_id = session_id;
    if (ref->kind == ChatRef::Kind::kId) {
        q.chat_id = ref->value;
    } else {
        auto chat = repo_.FindChatByJid(q.company_id, session_id, ref->value);
        if (!chat) NotFound("chat");
        q.chat_id = chat->id;
    }
    q.page = page;
    q.limit = limit;
    // A malformed cursor is reported after the chat check, like an unknown one.
    const bool bad_cursor = !before.empty() && !IsWellFormedId(before);
    q.before = bad_cursor ? std::string() : before;
    store::ChatMessages result = repo_.ListChatMessages(q);
    if (!result.chat_found) NotFound("chat");
    if (bad_cursor || !result.cursor_found)
        Fail(ErrorCode::kInvalidQuery, "query parameter 'before' must be a message id of this session");
    return std::move(result.page);
}

}  // namespace wadesk::service
