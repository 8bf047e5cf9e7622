#pragma once
// Chats of a session, and the members of group chats.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

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

class ChatRepository {
public:
    virtual ~ChatRepository() = default;

    // Finds the chat of `jid` (or of `lid` when given and known) in the session, creating it when
    // missing; a PN JID and its LID alias are one chat.
    virtual Chat UpsertChat(const Chat& chat) = 0;
    virtual std::optional<Chat> FindChat(std::string_view company_id, std::string_view session_id, std::string_view id) = 0;
    virtual std::optional<Chat> FindChatByJid(std::string_view company_id, std::string_view session_id,
                                              std::string_view jid) = 0;  // matches jid or lid
    virtual Page<Chat> ListChats(const ChatQuery& query) = 0;  // newest activity first, then id
    // The members of a group chat of the company, in WhatsApp's order (empty when unknown).
    virtual std::vector<GroupParticipant> ListGroupParticipants(std::string_view company_id, std::string_view chat_id) = 0;
    virtual std::optional<Chat> UpdateChat(std::string_view company_id, std::string_view session_id,
                                           std::string_view id, const ChatPatch& patch) = 0;
    virtual std::optional<Chat> MarkChatRead(std::string_view company_id, std::string_view session_id,
                                             std::string_view id) = 0;  // unread_count = 0
};

}  // namespace wadesk::store
