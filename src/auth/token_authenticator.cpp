#include "auth/token_authenticator.h"

#include <mutex>

#include <openssl/sha.h>

#include "core/bytes.h"
#include "core/clock.h"

namespace wadesk::auth {
namespace json = boost::json;

std::int64_t SignOutMark(std::int64_t now_ms) { return (now_ms / 1000 + 1) * 1000; }

std::string TokenId(std::string_view token) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
    return ToHex(BytesView(digest, sizeof digest));
}

std::string_view RoleName(domain::Role role) { return role == domain::Role::kAdmin ? "admin" : "manager"; }

std::optional<domain::Role> ParseRole(std::string_view name) {
    if (name == "admin") return domain::Role::kAdmin;
    if (name == "manager") return domain::Role::kManager;
    return std::nullopt;
}

TokenAuthenticator::TokenAuthenticator(AuthConfig config)
    : config_(std::move(config)), own_(JwtVerifier::Hs256(config_.jwt_secret)) {}

Result<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Create(AuthConfig config) {
    std::unique_ptr<TokenAuthenticator> a(new TokenAuthenticator(std::move(config)));
    const auto& ext = a->config_.external;
    if (!ext.rs256_public_pem.empty()) {
        auto v = JwtVerifier::Rs256(ext.rs256_public_pem);
        if (!v) return v.error();
        a->external_.emplace(std::move(*v));
    } else if (!ext.hs256_secret.empty()) {
        a->external_.emplace(JwtVerifier::Hs256(ToBytes(ext.hs256_secret)));
    }
    return a;
}

namespace {

// "iat" (seconds) earlier than a mark (ms) is void; a token without "iat" is void once a mark is set.
bool Voided(std::optional<std::int64_t> iat_s, std::int64_t mark_ms) {
    if (mark_ms <= 0) return false;
    return !iat_s || *iat_s * 1000 < mark_ms;
}

std::optional<std::int64_t> TimeClaim(const json::object& claims, const char* name) {
    auto it = claims.find(name);
    if (it == claims.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().as_int64();
    if (it->value().is_uint64() && it->value().as_uint64() < (1ull << 62))
        return static_cast<std::int64_t>(it->value().as_uint64());
    if (it->value().is_double()) return static_cast<std::int64_t>(it->value().as_double());
    return std::nullopt;
}

std::optional<std::int64_t> IssuedAt(const json::object& claims) { return TimeClaim(claims, "iat"); }
std::optional<std::int64_t> ExpiresAt(const json::object& claims) { return TimeClaim(claims, "exp"); }

}  // namespace

IssuedToken TokenAuthenticator::Issue(const domain::User& user) const {
    std::int64_t now = NowSeconds();
    std::int64_t mark_ms = user.tokens_valid_after;
    {
        std::shared_lock lock(mutex_);  // the table may hold a newer mark than `user`
        auto it = users_.find(user.id);
        if (it != users_.end()) mark_ms = std::max(mark_ms, it->second.tokens_valid_after_ms);
    }
    json::object claims;
    claims["sub"] = user.id;
    claims["cid"] = user.company_id;
    claims["role"] = RoleName(user.role);
    claims["iat"] = std::max(now, (mark_ms + 999) / 1000);
    claims["nbf"] = now;
    claims["exp"] = now + config_.token_ttl_s;
    // Each sign-in its own token, also within one second: a sign-out of one (POST
    // /api/auth/logout, by the token's digest) must not reach another.
    claims["jti"] = ToHex(RandomBytes(16));
    return IssuedToken{SignHs256(claims, config_.jwt_secret), (now + config_.token_ttl_s) * 1000};
}

Result<Principal> TokenAuthenticator::FromUser(const std::string& user_id, std::optional<std::int64_t> iat_s) const {
    std::shared_lock lock(mutex_);
    auto it = users_.find(user_id);
    if (it == users_.end()) return MakeError("invalid_token", "the token's user does not exist");
    if (it->second.disabled) return MakeError("user_disabled", "this user is disabled");
    if (Voided(iat_s, it->second.tokens_valid_after_ms))
        return MakeError("token_revoked", "this token was signed out; log in again");
    return Principal{user_id, it->second.company_id, it->second.role, it->second.email, iat_s.value_or(0)};
}

void TokenAuthenticator::Revoke(const std::string& token_id, std::int64_t expires_at_ms) {
    const std::int64_t now = NowMs();
    std::unique_lock lock(mutex_);
    std::erase_if(revoked_, [now](const auto& entry) { return entry.second < now; });
    if (expires_at_ms >= now) revoked_[token_id] = expires_at_ms;
}

bool TokenAuthenticator::StillValid(const Principal& who) const {
    std::shared_lock lock(mutex_);
    if (!who.token_id.empty() && revoked_.count(who.token_id)) return false;
    auto it = users_.find(who.user_id);
    if (it == users_.end() || it->second.disabled) return false;
    std::optional<std::int64_t> iat_s;
    if (who.issued_at_s != 0) iat_s = who.issued_at_s;
    return !Voided(iat_s, it->second.tokens_valid_after_ms);
}

Result<Principal> TokenAuthenticator::Authenticate(std::string_view token) const {
    if (token.empty()) return MakeError("missing_token", "a bearer token is required");
    const std::string token_id = TokenId(token);
    {
        std::shared_lock lock(mutex_);
        if (revoked_.count(token_id)) return MakeError("token_revoked", "this token was signed out; log in again");
    }
    auto named = [&](Result<Principal> p, std::optional<std::int64_t> exp_s) {
        if (p) {
            p->token_id = token_id;
            p->expires_at_s = exp_s.value_or(0);
        }
        return p;
    };
    auto claims = own_.Verify(token, NowSeconds());
    if (claims) {
        auto sub = claims->find("sub");
        auto cid = claims->find("cid");
        if (sub == claims->end() || !sub->value().is_string() || cid == claims->end() || !cid->value().is_string())
            return MakeError("invalid_token", "token claims are incomplete");
        auto principal = named(FromUser(std::string(sub->value().as_string()), IssuedAt(*claims)), ExpiresAt(*claims));
        if (!principal) return principal;
        // The user's company and role come from the table (a role change applies at once);
        // a token naming another company than its user's is forged or stale.
        if (principal->company_id != cid->value().as_string())
            return MakeError("invalid_token", "token company does not match its user");
        return principal;
    }
    if (!external_) return claims.error();
    auto identity = VerifyExternal(token);
    if (!identity) {
        // Report our own verifier's verdict for our own expired tokens.
        if (claims.error().code == "token_expired") return claims.error();
        return identity.error();
    }
    std::string user_id;
    {
        std::shared_lock lock(mutex_);
        auto it = external_index_.find(identity->company_id + '\n' + identity->external_id);
        if (it == external_index_.end())
            return MakeError("unknown_user", "the external user is not provisioned yet");
        user_id = it->second;
    }
    return named(FromUser(user_id, identity->issued_at_s), identity->expires_at_s);
}

Result<ExternalIdentity> TokenAuthenticator::VerifyExternal(std::string_view token) const {
    if (!external_) return MakeError("invalid_token", "integration mode is off");
    auto claims = external_->Verify(token, NowSeconds());
    if (!claims) return claims.error();
    const auto& ext = config_.external;
    auto text = [&](const std::string& name) -> std::optional<std::string> {
        auto it = claims->find(name);
        if (it == claims->end()) return std::nullopt;
        if (it->value().is_string()) return std::string(it->value().as_string());
        if (it->value().is_int64()) return std::to_string(it->value().as_int64());
        if (it->value().is_uint64()) return std::to_string(it->value().as_uint64());
        return std::nullopt;
    };
    ExternalIdentity id;
    auto user = text(ext.claim_user);
    auto company = text(ext.claim_company);
    auto role = text(ext.claim_role);
    if (!user || user->empty() || !company || company->empty() || !role)
        return MakeError("invalid_token", "external token lacks the user, company or role claim");
    auto parsed_role = ParseRole(*role);
    if (!parsed_role) return MakeError("invalid_token", "external token role must be admin or manager");
    id.external_id = *user;
    id.company_id = *company;
    id.role = *parsed_role;
    id.email = text(ext.claim_email).value_or("");
    id.name = text(ext.claim_name).value_or("");
    id.issued_at_s = IssuedAt(*claims);
    id.expires_at_s = ExpiresAt(*claims);
    return id;
}

void TokenAuthenticator::Upsert(const domain::User& user) {
    std::unique_lock lock(mutex_);
    auto& e = users_[user.id];
    if (!e.external_id.empty()) external_index_.erase(e.company_id + '\n' + e.external_id);
    e = Entry{user.company_id, user.email, user.external_id, user.role, user.disabled, user.tokens_valid_after};
    if (!user.external_id.empty()) external_index_[user.company_id + '\n' + user.external_id] = user.id;
}

void TokenAuthenticator::Remove(const std::string& user_id) {
    std::unique_lock lock(mutex_);
    auto it = users_.find(user_id);
    if (it == users_.end()) return;
    if (!it->second.external_id.empty()) external_index_.erase(it->second.company_id + '\n' + it->second.external_id);
    users_.erase(it);
}

std::size_t TokenAuthenticator::UserCount() const {
    std::shared_lock lock(mutex_);
    return users_.size();
}

}  // namespace wadesk::auth
