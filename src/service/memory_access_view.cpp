#include "service/memory_access_view.h"

#include <mutex>

namespace wadesk::service {

void MemoryAccessView::Load(const std::vector<domain::User>& users, const std::vector<domain::WaSession>& sessions,
                            const std::vector<domain::Access>& grants) {
    std::unique_lock lock(mutex_);
    version_.fetch_add(1, std::memory_order_acq_rel);
    users_.clear();
    sessions_.clear();
    grants_.clear();
    for (const auto& u : users) users_[u.id] = UserEntry{u.company_id, u.role, u.disabled};
    for (const auto& s : sessions) sessions_[s.id] = s.company_id;
    for (const auto& g : grants) grants_[{g.session_id, g.user_id}] = Flags{g.can_read, g.can_write, g.can_manage_chats};
}

bool MemoryAccessView::Check(const auth::Principal& who, std::string_view session_id, Right right) const {
    std::shared_lock lock(mutex_);
    auto user = users_.find(who.user_id);
    if (user == users_.end() || user->second.disabled) return false;
    auto session = sessions_.find(std::string(session_id));
    if (session == sessions_.end() || session->second != user->second.company_id) return false;
    if (user->second.role == domain::Role::kAdmin) return true;
    auto grant = grants_.find({std::string(session_id), who.user_id});
    if (grant == grants_.end()) return false;
    switch (right) {
        case Right::kRead: return grant->second.read;
        case Right::kWrite: return grant->second.write;
        case Right::kManageChats: return grant->second.manage;
    }
    return false;
}

bool MemoryAccessView::CanRead(const auth::Principal& who, std::string_view session_id) const {
    return Check(who, session_id, Right::kRead);
}
bool MemoryAccessView::CanWrite(const auth::Principal& who, std::string_view session_id) const {
    return Check(who, session_id, Right::kWrite);
}
bool MemoryAccessView::CanManageChats(const auth::Principal& who, std::string_view session_id) const {
    return Check(who, session_id, Right::kManageChats);
}

bool MemoryAccessView::IsActive(std::string_view user_id) const {
    std::shared_lock lock(mutex_);
    auto it = users_.find(std::string(user_id));
    return it != users_.end() && !it->second.disabled;
}

std::vector<std::string> MemoryAccessView::ReadableSessions(const auth::Principal& who) const {
    std::vector<std::string> out;
    std::vector<std::string> candidates;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [sid, cid] : sessions_)
            if (cid == who.company_id) candidates.push_back(sid);
    }
    for (auto& sid : candidates)
        if (CanRead(who, sid)) out.push_back(std::move(sid));
    return out;
}

void MemoryAccessView::PutUser(const domain::User& user) {
    std::unique_lock lock(mutex_);
    version_.fetch_add(1, std::memory_order_acq_rel);
    users_[user.id] = UserEntry{user.company_id, user.role, user.disabled};
}

void MemoryAccessView::RemoveUser(const std::string& user_id) {
    std::unique_lock lock(mutex_);
    version_.fetch_add(1, std::memory_order_acq_rel);
    users_.erase(user_id);
    std::erase_if(grants_, [&](const auto& g) { return g.first.second == user_id; });
}

void MemoryAccessView::PutSession(const std::string& session_id, const std::string& company_id) {
    std::unique_lock lock(mutex_);
    version_.fetch_add(1, std::memory_order_acq_rel);
    sessions_[session_id] = company_id;
}

void MemoryAccessView::RemoveSession(const std::string& session_id) {
    std::unique_lock lock(mutex_);
    version_.fetch_add(1, std::memory_order_acq_rel);
    sessions_.erase(session_id);
    std::erase_if(grants_, [&](const auto& g) { return g.first.first == session_id; });
}

void MemoryAccessView::PutGrant(const domain::Access& grant) {
    std::unique_lock lock(mutex_);
    version_.fetch_add(1, std::memory_order_acq_rel);
    grants_[{grant.session_id, grant.user_id}] = Flags{grant.can_read, grant.can_write, grant.can_manage_chats};
}

void MemoryAccessView::RemoveGrant(const std::string& session_id, const std::string& user_id) {
    std::unique_lock lock(mutex_);
    version_.fetch_add(1, std::memory_order_acq_rel);
    grants_.erase({session_id, user_id});
}

}  // namespace wadesk::service
