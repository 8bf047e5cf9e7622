// Access grants on sessions (admin), and the caller's own rights.
#include "service/access_service.h"

#include "service/service_internal.h"

namespace wadesk::service {

std::vector<SessionRights> AccessService::MyRights(const Actor& actor) {
    std::vector<SessionRights> out;
    for (const auto& s : ListSessions(actor))
        out.push_back(SessionRights{s.id, true, access_.CanWrite(actor.who, s.id), access_.CanManageChats(actor.who, s.id)});
    return out;
}

std::vector<domain::Access> AccessService::ListAccess(const Actor& actor, const std::string& session_id) {
    domain::WaSession s = VisibleSession(actor, session_id);
    RequireAdmin(actor);
    return repo_.ListAccessBySession(actor.who.company_id, s.id);
}

domain::Access AccessService::Grant(const Actor& actor, const std::string& session_id, const GrantRequest& g) {
    domain::WaSession s = VisibleSession(actor, session_id);
    RequireAdmin(actor);
    domain::User m = OwnManager(actor, g.manager_id);
    access_.PutUser(m);  // users created by another process (the CLI) are learnt here or at login
    authenticator_.Upsert(m);
    domain::Access a;
    a.company_id = s.company_id;
    a.session_id = s.id;
    a.user_id = m.id;
    a.can_read = g.can_read || g.can_write || g.can_manage_chats;
    a.can_write = g.can_write;
    a.can_manage_chats = g.can_manage_chats;
    a = repo_.UpsertAccess(a);
    access_.PutGrant(a);
    WriteAudit(&actor, s.company_id, "access.grant", "session", s.id,
          {{"managerId", m.id}, {"canRead", a.can_read}, {"canWrite", a.can_write},
           {"canManageChats", a.can_manage_chats}});
    return a;
}

void AccessService::Revoke(const Actor& actor, const std::string& session_id, const std::string& manager_id) {
    domain::WaSession s = VisibleSession(actor, session_id);
    RequireAdmin(actor);
    if (!IsWellFormedId(manager_id)) NotFound("grant");
    if (!repo_.DeleteAccess(actor.who.company_id, s.id, manager_id)) NotFound("grant");
    access_.RemoveGrant(s.id, manager_id);
    WriteAudit(&actor, s.company_id, "access.revoke", "session", s.id, {{"managerId", manager_id}});
}

}  // namespace wadesk::service
