#pragma once
// Messages of chats, and their files' references.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

struct MessageQuery {
    std::string company_id;
    std::string session_id;
    std::string chat_id;
    int page = 1;                            // 1-based; ignored when `before` is set
    int limit = 50;                          // 1..200
    std::string before;                      // message id: only messages older than it
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

// What UpdateMessageContent did.
struct UpdatedMessage {
    Message message;            // the row after the change
    std::optional<Chat> chat;   // the chat, when its preview changed with it
};

class MessageRepository {
public:
    virtual ~MessageRepository() = default;

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

    // Media references whose media key is still in clear (sql_media_refs.cpp): rows stored
    // before media keys were sealed at rest, which the engine seals at a session's start.
    // Up to `limit` (message id, media_ref) of the session.
    virtual std::vector<std::pair<std::string, std::string>> ListClearMediaRefs(std::string_view session_id,
                                                                                int limit) = 0;
    // Replaces message `id`'s media_ref with `ref` only while it is still `expected` (a download
    // may have rewritten it meanwhile); true when it was replaced.
    virtual bool ReplaceMediaRef(std::string_view session_id, std::string_view id, std::string_view expected,
                                 std::string_view ref) = 0;

};

}  // namespace wadesk::store
