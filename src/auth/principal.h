#pragma once
// Who is calling: the result of authenticating a bearer token (REST or Socket.IO).
#include <cstdint>
#include <string>

#include "domain/model.h"

namespace wadesk::auth {

struct Principal {
    std::string user_id;
    std::string company_id;
    domain::Role role = domain::Role::kManager;
    std::string email;
    std::int64_t issued_at_s = 0;  // the token's "iat" (seconds), 0 when it had none
    std::string token_id;          // names the token itself (TokenId), for signing out just it
    std::int64_t expires_at_s = 0; // the token's "exp" (seconds), 0 when unknown

    bool IsAdmin() const { return role == domain::Role::kAdmin; }
};

}  // namespace wadesk::auth
