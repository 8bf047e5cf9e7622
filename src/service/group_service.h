#pragma once
// GroupService: a group chat's members, and managing groups at WhatsApp: create, add, remove,
// promote, demote, leave. groups_service.cpp (which also holds InboundAdapter::OnGroupChange,
// what WhatsApp tells of a group).
// Contract: as every service (service/service_context.h). chat_ref: our id, a JID or a phone number.
#include <string>
#include <utility>
#include <vector>

#include "service/chat_service.h"
#include "service/service_context.h"

namespace wadesk::service {

class GroupService : private ServiceContext {
public:
    GroupService(const ServiceContext& context, ChatService& chats) : ServiceContext(context), chats_(chats) {}

    // The members of a group chat as WhatsApp last told (read access; 404 not_a_group for a chat
    // that is no group).
    std::vector<domain::GroupParticipant> GroupParticipants(const Actor& actor, const std::string& session_id,
                                                            const std::string& chat_ref);
    // Group management at WhatsApp (canManageChats; the session connected, else 503
    // session_not_connected). WhatsApp's refusals: 403 not_group_admin, 409 not_group_participant,
    // 404 group_not_found, 422 rejected_by_whatsapp. Participants are numbers or user JIDs.
    // CreateGroup answers the new group chat (its members and system line follow from WhatsApp's
    // notification).
    domain::Chat CreateGroup(const Actor& actor, const std::string& session_id, const std::string& subject,
                             const std::vector<std::string>& participants);
    // add|remove|promote|demote: per participant (JID, "ok" or why not: already_participant,
    // not_participant, invite_required, refused_<code>).
    std::vector<std::pair<std::string, std::string>> ChangeGroupParticipants(
        const Actor& actor, const std::string& session_id, const std::string& chat_ref, const std::string& action,
        const std::vector<std::string>& participants);
    void LeaveGroup(const Actor& actor, const std::string& session_id, const std::string& chat_ref);

private:
    // The chat, as the actor may read it (ChatService::GetChat).
    domain::Chat GetChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
        return chats_.GetChat(actor, session_id, chat_ref);
    }

    ChatService& chats_;
};

}  // namespace wadesk::service
