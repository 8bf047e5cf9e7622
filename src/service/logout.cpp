// Signing out one token (POST /api/auth/logout): the console's "Log out" ends its own token at the
// server, not only in the tab; the user's other tokens (other devices, integrations) stay valid.
#include "core/clock.h"
#include "service/auth_service.h"
#include "service/errors.h"

namespace wadesk::service {

namespace {

// How long a token without a stated expiry is remembered: longer than any token we issue lives.
constexpr std::int64_t kUnknownExpiryMs = 30LL * 24 * 3600 * 1000;

}  // namespace

void AuthService::Logout(const Actor& actor) {
    if (actor.who.token_id.empty())
        throw ServiceError(ErrorCode::kInvalidToken, "the call names no token to sign out");
    const std::int64_t expires_at =
        actor.who.expires_at_s > 0 ? actor.who.expires_at_s * 1000 : NowMs() + kUnknownExpiryMs;
    repo_.RevokeToken(domain::RevokedToken{actor.who.token_id, actor.who.user_id, expires_at});
    authenticator_.Revoke(actor.who.token_id, expires_at);
    WriteAudit(&actor, actor.who.company_id, "auth.logout", "user", actor.who.user_id);
}

}  // namespace wadesk::service
