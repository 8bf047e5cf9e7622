#pragma once
// Who is calling: the result of authenticating a bearer token (REST or Socket.IO).
#include <cstdint>
#include <string>

#include "store/model.h"

namespace wadesk::auth {

struct Principal {
    std::string user_id;
    std::string company_id;
    store::Role role = store::Role::kManager;
    std::string email;
    std::int64_t issued_at_s = 0;  // the token's "iat" (seconds), 0 when it had none

    bool IsAdmin() const { return role == store::Role::kAdmin; }
};

}  // namespace wadesk::auth
