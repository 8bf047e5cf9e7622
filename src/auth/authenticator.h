#pragma once
// Turns a bearer token into a Principal. Implementations verify the signature and expiry
// (our HS256 tokens, or an external issuer's in integration mode) and that the user exists
// and is not disabled, from memory: Authenticate() never blocks on the database, so it may be
// called on an I/O thread. A token issued before its user's sign-out mark
// (domain::User::tokens_valid_after: moved by a password change, a disable, a sign-out
// everywhere) is refused as "token_revoked".
#include <string_view>

#include "auth/principal.h"
#include "core/result.h"

namespace wadesk::auth {

class Authenticator {
public:
    virtual ~Authenticator() = default;
    // Error codes: "missing_token", "invalid_token", "token_expired", "user_disabled",
    // "token_revoked".
    virtual Result<Principal> Authenticate(std::string_view token) const = 0;
    // Whether a principal that Authenticate() returned would still be accepted now: false once
    // its user is deleted or disabled or its token predates the user's sign-out mark. Long-lived
    // connections (Socket.IO) ask this to drop callers whose tokens were voided.
    virtual bool StillValid(const Principal& who) const = 0;
};

}  // namespace wadesk::auth
