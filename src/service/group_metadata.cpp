// A group the session knows nothing of (wa-protocol §18.1): a message or a change notification
// in a group whose chat has no participants stored — its create notification was lost, or the
// message came before the login's `participating` answer — makes the session ask WhatsApp for the
// group's metadata (w:g2 query), once per group and connection, so the chat gets its subject and
// participants. The message itself is stored first, regardless.
#include <spdlog/spdlog.h>

#include "service/inbound_adapter.h"

namespace wadesk::service {

void InboundAdapter::EnsureGroupMetadata(const domain::WaSession& s, const std::string& group_jid, bool known_unknown) {
    if (group_jid.empty()) return;
    const std::string key = s.id + "\n" + group_jid;
    {
        std::lock_guard lock(groups_mutex_);
        if (groups_asked_.count(key) || (!known_unknown && groups_known_.count(key))) return;
    }
    if (!known_unknown) {
        try {
            auto chat = repo_.FindChatByJid(s.company_id, s.id, group_jid);
            if (chat && !repo_.ListGroupParticipants(s.company_id, chat->id).empty()) {
                std::lock_guard lock(groups_mutex_);
                groups_known_.insert(key);
                return;
            }
        } catch (const std::exception& e) {
            spdlog::warn("[WhatsApp] Session {}: cannot tell whether group {} is known: {}", s.id, group_jid, e.what());
            return;
        }
    }
    {
        std::lock_guard lock(groups_mutex_);
        if (!groups_asked_.insert(key).second) return;
    }
    spdlog::info("[WhatsApp] Session {}: group {} is unknown, asking WhatsApp for its metadata", s.id, group_jid);
    engine_.FetchGroupMetadata(s.id, group_jid);
}

void InboundAdapter::NoteGroupMetadata(const std::string& session_id, const std::string& group_jid) {
    std::lock_guard lock(groups_mutex_);
    groups_known_.insert(session_id + "\n" + group_jid);
}

void InboundAdapter::ForgetGroupQueries(const std::string& session_id) {
    std::lock_guard lock(groups_mutex_);
    const std::string prefix = session_id + "\n";
    for (auto it = groups_asked_.lower_bound(prefix); it != groups_asked_.end() && it->starts_with(prefix);)
        it = groups_asked_.erase(it);
}

}  // namespace wadesk::service
