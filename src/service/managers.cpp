// The company's managers (admin): list, create, edit, delete, sign out.
#include "service/manager_service.h"

#include <boost/json/value.hpp>

#include "auth/password.h"
#include "service/service_internal.h"
#include "store/errors.h"

namespace wadesk::service {
namespace json = boost::json;

std::vector<domain::User> ManagerService::ListManagers(const Actor& actor) {
    RequireAdmin(actor);
    return repo_.ListUsers(actor.who.company_id, domain::Role::kManager);
}

domain::User ManagerService::CreateManager(const Actor& actor, const NewUser& nu) {
    RequireAdmin(actor);
    NewUser m = nu;
    m.role = domain::Role::kManager;
    domain::User u = CreateUser(actor.who.company_id, m);
    WriteAudit(&actor, u.company_id, "manager.create", "user", u.id, {{"email", u.email}});
    return u;
}

domain::User ManagerService::UpdateManager(const Actor& actor, const std::string& id, const ManagerPatch& patch) {
    RequireAdmin(actor);
    if (!patch.name && !patch.email && !patch.password && !patch.disabled)
        Fail(ErrorCode::kEmptyPatch, "nothing to update: give name, email, password or disabled");
    if (patch.email) ValidateEmail(*patch.email);
    if (patch.password) ValidatePassword(*patch.password);
    if (patch.name) ValidateName(*patch.name);
    domain::User current = OwnManager(actor, id);
    store::UserPatch p;
    if (patch.name) p.name = Trim(*patch.name);
    if (patch.email) p.email = StoredEmail(*patch.email);
    if (patch.password) p.password_hash = auth::HashPassword(*patch.password);
    p.disabled = patch.disabled;
    // A new password or a disable voids every token issued so far (enabling again revives none).
    if (patch.password || (patch.disabled && *patch.disabled)) p.tokens_valid_after = NextSignOutMark(current);
    std::optional<domain::User> u;
    try {
        u = repo_.UpdateUser(actor.who.company_id, id, p);
    } catch (const store::UniqueViolation&) {
        Fail(ErrorCode::kEmailTaken, "email is already in use");
    }
    if (!u) NotFound("manager");
    access_.PutUser(*u);
    authenticator_.Upsert(*u);
    json::object details;
    if (patch.name) details["name"] = u->name;
    if (patch.email) details["email"] = u->email;
    if (patch.password) details["password"] = "changed";
    if (patch.disabled) details["disabled"] = *patch.disabled;
    WriteAudit(&actor, u->company_id, "manager.update", "user", u->id, details);
    return *u;
}

void ManagerService::DeleteManager(const Actor& actor, const std::string& id) {
    RequireAdmin(actor);
    OwnManager(actor, id);
    if (!repo_.DeleteUser(actor.who.company_id, id)) NotFound("manager");
    access_.RemoveUser(id);
    authenticator_.Remove(id);
    WriteAudit(&actor, actor.who.company_id, "manager.delete", "user", id);
}

void ManagerService::LogoutManager(const Actor& actor, const std::string& id) {
    RequireAdmin(actor);
    domain::User current = OwnManager(actor, id);
    store::UserPatch p;
    p.tokens_valid_after = NextSignOutMark(current);
    auto u = repo_.UpdateUser(actor.who.company_id, id, p);
    if (!u) NotFound("manager");
    access_.PutUser(*u);
    authenticator_.Upsert(*u);
    WriteAudit(&actor, u->company_id, "manager.logout_all", "user", u->id);
}

}  // namespace wadesk::service
