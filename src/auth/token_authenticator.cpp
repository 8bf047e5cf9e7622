#include "auth/token_authenticator.h"

#include <mutex>

#include "core/clock.h"

namespace wadesk::auth {
namespace json = boost::json;

std::string_view RoleName(store::Role role) { return role == store::Role::kAdmin ? "admin" : "manager"; }

std::optional<store::Role> ParseRole(std::string_view name) {
    if (name == "admin") return store::Role::kAdmin;
    if (name == "manager") return store::Role::kManager;
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

IssuedToken TokenAuthenticator::Issue(const store::User& user) const {
    std::int64_t now = NowSeconds();
    json::object claims;
    claims["sub"] = user.id;
    claims["cid"] = user.company_id;
    claims["role"] = RoleName(user.role);
    claims["iat"] = now;
    claims["nbf"] = now;
    claims["exp"] = now + config_.token_ttl_s;
    return IssuedToken{SignHs256(claims, config_.jwt_secret), (now + config_.token_ttl_s) * 1000};
}

Result<Principal> TokenAuthenticator::FromUser(const std::string& user_id) const {
    std::shared_lock lock(mutex_);
    auto it = users_.find(user_id);
    if (it == users_.end()) return MakeError("invalid_token", "the token's user does not exist");
    if (it->second.disabled) return MakeError("user_disabled", "this user is disabled");
    return Principal{user_id, it->second.company_id, it->second.role, it->second.email};
}

Result<Principal> TokenAuthenticator::Authenticate(std::string_view token) const {
    if (token.empty()) return MakeError("missing_token", "a bearer token is required");
    auto claims = own_.Verify(token, NowSeconds());
    if (claims) {
        auto sub = claims->find("sub");
        auto cid = claims->find("cid");
        if (sub == claims->end() || !sub->value().is_string() || cid == claims->end() || !cid->value().is_string())
            return MakeError("invalid_token", "token claims are incomplete");
        auto principal = FromUser(std::string(sub->value().as_string()));
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
    return FromUser(user_id);
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
    return id;
}

void TokenAuthenticator::Upsert(const store::User& user) {
    std::unique_lock lock(mutex_);
    auto& e = users_[user.id];
    if (!e.external_id.empty()) external_index_.erase(e.company_id + '\n' + e.external_id);
    e = Entry{user.company_id, user.email, user.external_id, user.role, user.disabled};
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
