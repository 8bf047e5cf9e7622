#pragma once
// The unit of work (Repository::Transact, repository.h): the statements of one use case across
// aggregates, committed together.
#include "store/chat_repository.h"
#include "store/common.h"
#include "store/contact_repository.h"
#include "store/message_repository.h"

namespace wadesk::store {

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

}  // namespace wadesk::store
