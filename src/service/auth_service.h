#pragma once
// AuthService: signing in (the three login steps), signing out (one token, or everywhere), who am
// I, and the users of external tokens (integration mode). login.cpp, logout.cpp.
// Contract: as every service (service/service_context.h).
#include <optional>
#include <string>

#include "auth/principal.h"
#include "auth/rate_limiter.h"
#include "auth/token_authenticator.h"
#include "service/service_context.h"

namespace wadesk::service {

struct LoginResult {
    auth::IssuedToken token;
    domain::User user;
};

// A login between its admission and its password check (see BeginLogin).
struct PendingLogin {
    auth::LoginAttempt attempt;        // counted against the login limits until finished
    std::optional<domain::User> user;  // nullopt: no such email
    // What the password is checked against: empty for an unknown email or an external user
    // (the check then only spends the same time and fails).
    std::string password_hash;
};

class AuthService : private ServiceContext {
public:
    AuthService(const ServiceContext& context, auth::LoginLimits login_limits)
        : ServiceContext(context), login_limiter_(login_limits) {}

    // A login in three steps, so that the password check (argon2id) can run on a pool of its
    // own (auth::PasswordPool) without holding the caller's thread:
    // BeginLogin validates the input (kBadInput), normalises the email, takes the attempt
    // through the login limits (kRateLimited "rate_limited" with retry_after_s) and looks the
    // user up; a disabled user is refused here, before any password check (kUnauthenticated
    // "user_disabled"). Then the caller checks the password against `password_hash` and calls
    // FinishLogin with the verdict (kUnauthenticated "invalid_credentials", or the token), or
    // AbandonLogin when the check could not run (the attempt then does not count).
    PendingLogin BeginLogin(const std::string& email, const std::string& password, const std::string& ip);
    // Touches no database: may run on the password pool's thread.
    LoginResult FinishLogin(const PendingLogin& pending, bool password_ok);
    void AbandonLogin(const PendingLogin& pending);
    // The three steps on the caller's thread (tools and tests).
    LoginResult Login(const std::string& email, const std::string& password, const std::string& ip);
    // Signs the actor out everywhere: every token issued to the actor so far is void (REST
    // calls answer 401 "token_revoked", live Socket.IO connections are closed).
    void LogoutAll(const Actor& actor);
    // Signs out the token the actor called with, only it (logout.cpp): it is refused from now on,
    // here and after a restart, until it would have expired anyway.
    void Logout(const Actor& actor);
    domain::User Me(const Actor& actor);
    // Integration mode: creates the external token's user (and its company when unknown).
    domain::User ProvisionExternal(const auth::ExternalIdentity& identity);

private:
    auth::LoginRateLimiter login_limiter_;
};

}  // namespace wadesk::service
