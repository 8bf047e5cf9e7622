#pragma once
// OperatorService: what the process and its operator do without an actor (no rights checks):
// loading the in-memory views at start, and the command line's companies and users.
// wadesk_service.cpp. Contract: as every service (service/service_context.h).
#include <cstdint>
#include <string>
#include <utility>

#include "service/service_context.h"

namespace wadesk::service {

class OperatorService : private ServiceContext {
public:
    explicit OperatorService(const ServiceContext& context) : ServiceContext(context) {}

    // Loads the in-memory views from the store. REQUIRES: called once before serving. First
    // rewrites stored emails that are not in auth::NormaliseEmail's spelling (rows written
    // before it); a row whose normalised email another row holds already keeps its old one
    // (and is logged: it cannot sign in until an admin changes its email).
    void LoadViews();

    std::pair<domain::Company, domain::User> CreateCompany(const std::string& name, const NewUser& admin,
                                                           int max_sessions = 10);
    // A user of company `company_id` (kNotFound "not_found" for an unknown company).
    using ServiceContext::CreateUser;
    std::int64_t CountCompanies();
};

}  // namespace wadesk::service
