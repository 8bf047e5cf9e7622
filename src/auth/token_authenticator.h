#pragma once
// The Authenticator of REST and Socket.IO: verifies our HS256 tokens (and, in integration mode,
// an external issuer's HS256/RS256 tokens) and checks the user against an in-memory user table
// that the service layer keeps current (Upsert/Remove in the same moment a user change
// commits), so a disabled user's tokens stop working at once. Never touches the database.
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "auth/authenticator.h"
#include "auth/jwt.h"
#include "store/model.h"

namespace wadesk::auth {

struct ExternalIssuerConfig {
    std::string hs256_secret;       // shared secret, or
    std::string rs256_public_pem;   // an RSA public key (PEM)
    std::string claim_user = "sub";
    std::string claim_company = "cid";
    std::string claim_role = "role";
    std::string claim_email = "email";
    std::string claim_name = "name";
    bool Enabled() const { return !hs256_secret.empty() || !rs256_public_pem.empty(); }
};

struct AuthConfig {
    Bytes jwt_secret;                         // our HS256 key
    std::int64_t token_ttl_s = 12 * 3600;
    ExternalIssuerConfig external;
};

struct IssuedToken {
    std::string token;
    std::int64_t expires_at_ms = 0;
};

// What an external token says about its user, once verified.
struct ExternalIdentity {
    std::string external_id;
    std::string company_id;
    store::Role role = store::Role::kManager;
    std::string email;
    std::string name;
};

class TokenAuthenticator : public Authenticator {
public:
    // Errors "invalid_key" when the external RS256 key cannot be read.
    static Result<std::unique_ptr<TokenAuthenticator>> Create(AuthConfig config);

    // Errors: "missing_token", "invalid_token", "token_expired", "user_disabled",
    // "unknown_user" (an external token whose user is not provisioned yet).
    Result<Principal> Authenticate(std::string_view token) const override;

    IssuedToken Issue(const store::User& user) const;

    // Integration mode: verifies an external token and reads its identity claims.
    // "invalid_token" when integration mode is off or the claims are missing/ill-typed.
    Result<ExternalIdentity> VerifyExternal(std::string_view token) const;
    bool IntegrationEnabled() const { return external_.has_value(); }

    // The user table. Upsert on create/update/enable/disable, Remove on delete.
    void Upsert(const store::User& user);
    void Remove(const std::string& user_id);
    std::size_t UserCount() const;

private:
    explicit TokenAuthenticator(AuthConfig config);
    Result<Principal> FromUser(const std::string& user_id) const;

    struct Entry {
        std::string company_id;
        std::string email;
        std::string external_id;
        store::Role role = store::Role::kManager;
        bool disabled = false;
    };
    AuthConfig config_;
    JwtVerifier own_;
    std::optional<JwtVerifier> external_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> users_;                 // by user id
    std::unordered_map<std::string, std::string> external_index_;  // company + '\n' + external id -> user id
};

std::string_view RoleName(store::Role role);
std::optional<store::Role> ParseRole(std::string_view name);

}  // namespace wadesk::auth
