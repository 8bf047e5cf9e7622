#pragma once
// ChatService: a session's chats and what one reads in them: list, read, update (archive, pin,
// mute, assign, label, rename), mark read, who chats may be assigned to, a chat's messages page by
// page, and the session's contacts. chats.cpp, contacts.cpp.
// Contract: as every service (service/service_context.h). chat_ref: our id, a JID or a phone number.
#include <optional>
#include <string>
#include <vector>

#include "service/service_context.h"

namespace wadesk::service {

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

class ChatService : private ServiceContext {
public:
    explicit ChatService(const ServiceContext& context) : ServiceContext(context) {}

    store::Page<domain::Chat> ListChats(const Actor& actor, const std::string& session_id, const ChatFilter& filter);
    domain::Chat GetChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref);
    // canManageChats. A group's new name is its subject at WhatsApp, changed there first.
    domain::Chat UpdateChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                            const store::ChatPatch& patch);
    // Zeroes the unread count and, while the session is live, sends WhatsApp the read receipts.
    domain::Chat MarkRead(const Actor& actor, const std::string& session_id, const std::string& chat_ref);
    // canManageChats. Who a chat of the session may be assigned to: the company's enabled users
    // who can read the session now (its admins and the managers with a grant), by name.
    std::vector<domain::User> Assignees(const Actor& actor, const std::string& session_id);
    // A chat's messages, page by page; `before`: a message id of the session to page back from.
    store::Page<domain::Message> ListMessages(const Actor& actor, const std::string& session_id,
                                              const std::string& chat_ref, int page, int limit,
                                              const std::string& before);

    // canRead (contacts.cpp): who the session's account knows.
    store::Page<domain::Contact> ListContacts(const Actor& actor, const std::string& session_id,
                                              const ContactFilter& filter);
};

}  // namespace wadesk::service
