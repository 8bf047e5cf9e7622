#pragma once
// ManagerService: the company's managers, for its admins: list, create, edit, delete, sign out
// everywhere. managers.cpp.
// Contract: as every service (service/service_context.h); every method needs the admin role.
#include <optional>
#include <string>
#include <vector>

#include "service/service_context.h"

namespace wadesk::service {

struct ManagerPatch {
    std::optional<std::string> name;
    std::optional<std::string> email;
    std::optional<std::string> password;
    std::optional<bool> disabled;
};

class ManagerService : private ServiceContext {
public:
    explicit ManagerService(const ServiceContext& context) : ServiceContext(context) {}

    std::vector<domain::User> ListManagers(const Actor& actor);
    domain::User CreateManager(const Actor& actor, const NewUser& user);
    domain::User UpdateManager(const Actor& actor, const std::string& id, const ManagerPatch& patch);
    void DeleteManager(const Actor& actor, const std::string& id);
    // Signs a manager out everywhere, as AuthService::LogoutAll does for oneself.
    void LogoutManager(const Actor& actor, const std::string& id);
};

}  // namespace wadesk::service
