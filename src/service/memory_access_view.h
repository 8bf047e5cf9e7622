#pragma once
// The in-memory AccessView: users (company, role, disabled), sessions (company) and grants,
// loaded once from the store and then changed by the service in the same moment the store
// change commits. Readers take a shared lock and never touch the database.
#include <atomic>
#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "service/access_view.h"
#include "domain/model.h"

namespace wadesk::service {

class MemoryAccessView : public AccessView {
public:
    void Load(const std::vector<domain::User>& users, const std::vector<domain::WaSession>& sessions,
              const std::vector<domain::Access>& grants);

    bool CanRead(const auth::Principal& who, std::string_view session_id) const override;
    bool CanWrite(const auth::Principal& who, std::string_view session_id) const override;
    bool CanManageChats(const auth::Principal& who, std::string_view session_id) const override;
    bool IsActive(std::string_view user_id) const override;
    std::uint64_t Version() const override { return version_.load(std::memory_order_acquire); }

    // The session ids of `who`'s company that `who` may read now.
    std::vector<std::string> ReadableSessions(const auth::Principal& who) const;

    void PutUser(const domain::User& user);
    void RemoveUser(const std::string& user_id);         // also drops the user's grants
    void PutSession(const std::string& session_id, const std::string& company_id);
    void RemoveSession(const std::string& session_id);   // also drops the session's grants
    void PutGrant(const domain::Access& grant);
    void RemoveGrant(const std::string& session_id, const std::string& user_id);

private:
    enum class Right { kRead, kWrite, kManageChats };
    bool Check(const auth::Principal& who, std::string_view session_id, Right right) const;

    struct UserEntry {
        std::string company_id;
        domain::Role role = domain::Role::kManager;
        bool disabled = false;
    };
    struct Flags {
        bool read = false, write = false, manage = false;
    };
    mutable std::shared_mutex mutex_;
    std::atomic<std::uint64_t> version_{1};  // bumped under the unique lock by every mutation
    std::unordered_map<std::string, UserEntry> users_;
    std::unordered_map<std::string, std::string> sessions_;     // session id -> company id
    std::map<std::pair<std::string, std::string>, Flags> grants_;  // (session, user)
};

}  // namespace wadesk::service
