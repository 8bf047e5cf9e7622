#pragma once
// AccessService: the managers' grants on sessions (admin) and the caller's own rights. access.cpp.
// Contract: as every service (service/service_context.h).
#include <string>
#include <vector>

#include "service/service_context.h"
#include "service/session_service.h"

namespace wadesk::service {

struct GrantRequest {
    std::string manager_id;
    bool can_read = true;
    bool can_write = false;
    bool can_manage_chats = false;
};

// What the caller may do on one session it can read (admins: everything).
struct SessionRights {
    std::string session_id;
    bool can_read = false;
    bool can_write = false;
    bool can_manage_chats = false;
};

class AccessService : private ServiceContext {
public:
    AccessService(const ServiceContext& context, SessionService& sessions)
        : ServiceContext(context), sessions_(sessions) {}

    // The caller's rights on every session it can read, from the live permission view: what the
    // REST API and the event stream enforce at this moment.
    std::vector<SessionRights> MyRights(const Actor& actor);
    // Admin. A grant's canWrite or canManageChats implies canRead (a right on a session one cannot
    // see would be no right): the stored grant has canRead set whenever either is.
    std::vector<domain::Access> ListAccess(const Actor& actor, const std::string& session_id);
    domain::Access Grant(const Actor& actor, const std::string& session_id, const GrantRequest& grant);
    void Revoke(const Actor& actor, const std::string& session_id, const std::string& manager_id);

private:
    // The sessions the actor can read (SessionService::ListSessions).
    std::vector<domain::WaSession> ListSessions(const Actor& actor) { return sessions_.ListSessions(actor); }

    SessionService& sessions_;
};

}  // namespace wadesk::service
