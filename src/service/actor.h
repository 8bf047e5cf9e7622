#pragma once
// Who calls a use case: the authenticated principal and the address the call came from (kept in
// the audit log). Every service method that acts for someone takes one.
#include <string>

#include "auth/principal.h"

namespace wadesk::service {

struct Actor {
    auth::Principal who;
    std::string ip;
};

}  // namespace wadesk::service
