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
#include "domain/model.h"

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
    domain::Role role = domain::Role::kManager;
    std::string email;
    std::string name;
    std::optional<std::int64_t> issued_at_s;  // "iat", when present
    std::optional<std::int64_t> expires_at_s; // "exp", when present
};

class TokenAuthenticator : public Authenticator {
public:
    // Errors "invalid_key" when the external RS256 key cannot be read.
    static Result<std::unique_ptr<TokenAuthenticator>> Create(AuthConfig config);

    // Errors: "missing_token", "invalid_token", "token_expired", "user_disabled",
    // "token_revoked", "unknown_user" (an external token whose user is not provisioned yet).
    Result<Principal> Authenticate(std::string_view token) const override;
    bool StillValid(const Principal& who) const override;

    // Our token for `user`: "iat" is now, or the user's sign-out mark when that is later (the
    // mark is the start of the second after a sign-out, so that every token of the sign-out's
    // second is void; a token issued right after it must not be).
    IssuedToken Issue(const domain::User& user) const;

    // Integration mode: verifies an external token and reads its identity claims.
    // "invalid_token" when integration mode is off or the claims are missing/ill-typed.
    Result<ExternalIdentity> VerifyExternal(std::string_view token) const;
    bool IntegrationEnabled() const { return external_.has_value(); }

    // Signs out one token (Principal::token_id) until `expires_at_ms`, after which it is void
    // anyway; Authenticate answers "token_revoked" for it and StillValid is false. Entries past
    // their expiry are dropped as new ones arrive.
    void Revoke(const std::string& token_id, std::int64_t expires_at_ms);

    // The user table. Upsert on create/update/enable/disable, Remove on delete.
    void Upsert(const domain::User& user);
    void Remove(const std::string& user_id);
    std::size_t UserCount() const;

private:
    explicit TokenAuthenticator(AuthConfig config);
    // `iat_s`: the token's "iat", nullopt when it has none (void once the user has a mark).
    Result<Principal> FromUser(const std::string& user_id, std::optional<std::int64_t> iat_s) const;

    struct Entry {
        std::string company_id;
        std::string email;
        std::string external_id;
        domain::Role role = domain::Role::kManager;
        bool disabled = false;
        std::int64_t tokens_valid_after_ms = 0;
    };
    AuthConfig config_;
    JwtVerifier own_;
    std::optional<JwtVerifier> external_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> users_;                 // by user id
    std::unordered_map<std::string, std::string> external_index_;  // company + '\n' + external id -> user id
    std::unordered_map<std::string, std::int64_t> revoked_;        // token id -> its expiry (ms)
};

// The sign-out mark (domain::User::tokens_valid_after) of a sign-out at `now_ms`: the start of
// the next whole second, because "iat" counts whole seconds, so every token issued up to the
// sign-out is void. A user that has a mark already is signed out at max(now, that mark), since
// tokens issued right after it carry the mark itself as their "iat" (see Issue).
std::int64_t SignOutMark(std::int64_t now_ms);

// What names a bearer token for a sign-out of just it: hex of its SHA-256 digest (no token
// carries an id of its own, external ones included).
std::string TokenId(std::string_view token);

std::string_view RoleName(domain::Role role);
std::optional<domain::Role> ParseRole(std::string_view name);

}  // namespace wadesk::auth
