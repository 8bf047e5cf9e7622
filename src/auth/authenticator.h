#pragma once
// Turns a bearer token into a Principal. Implementations verify the signature and expiry
// (our HS256 tokens, or an external issuer's in integration mode) and that the user exists
// and is not disabled, from memory: Authenticate() never blocks on the database, so it may be
// called on an I/O thread.
#include <string_view>

#include "auth/principal.h"
#include "core/result.h"

namespace wadesk::auth {

class Authenticator {
public:
    virtual ~Authenticator() = default;
    // Error codes: "missing_token", "invalid_token", "token_expired", "user_disabled".
    virtual Result<Principal> Authenticate(std::string_view token) const = 0;
};

}  // namespace wadesk::auth
