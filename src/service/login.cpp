// Sign-in (the three login steps), sign-out everywhere, who am I, and external identities.
#include "service/auth_service.h"

#include "auth/password.h"
#include "core/log.h"
#include "service/service_internal.h"
#include "store/errors.h"

namespace wadesk::service {

PendingLogin AuthService::BeginLogin(const std::string& email_in, const std::string& password, const std::string& ip) {
    auto email = auth::NormaliseEmail(email_in);
    if (!email || email->empty() || email->size() > 254)
        Fail(ErrorCode::kInvalidField, "field 'email' is invalid");
    if (password.size() > 1024) Fail(ErrorCode::kInvalidField, "field 'password' is too long");
    PendingLogin pending;
    std::int64_t wait_ms = login_limiter_.Admit(ip, *email, NowMs(), pending.attempt);
    if (wait_ms > 0)
        throw ServiceError(ErrorCode::kRateLimited, "too many failed logins; try again later",
                           (wait_ms + 999) / 1000);
    try {
        pending.user = repo_.FindUserByEmail(*email);
    } catch (...) {
        login_limiter_.Abandoned(pending.attempt);
        throw;
    }
    if (pending.user && pending.user->disabled) {
        login_limiter_.Abandoned(pending.attempt);  // no password was checked
        Fail(ErrorCode::kUserDisabled, "this user is disabled");
    }
    if (pending.user) pending.password_hash = pending.user->password_hash;
    return pending;
}

LoginResult AuthService::FinishLogin(const PendingLogin& pending, bool password_ok) {
    if (!password_ok || !pending.user) {
        spdlog::info("[auth] failed login for {} from {}", pending.attempt.account, pending.attempt.ip);
        Fail(ErrorCode::kInvalidCredentials, "wrong email or password");
    }
    login_limiter_.Succeeded(pending.attempt);
    access_.PutUser(*pending.user);
    authenticator_.Upsert(*pending.user);
    return LoginResult{authenticator_.Issue(*pending.user), *pending.user};
}

void AuthService::AbandonLogin(const PendingLogin& pending) { login_limiter_.Abandoned(pending.attempt); }

LoginResult AuthService::Login(const std::string& email, const std::string& password, const std::string& ip) {
    PendingLogin pending = BeginLogin(email, password, ip);
    bool ok = false;
    if (pending.password_hash.empty()) auth::BurnPasswordCheck(password);
    else ok = auth::VerifyPassword(password, pending.password_hash);
    return FinishLogin(pending, ok);
}

void AuthService::LogoutAll(const Actor& actor) {
    auto current = repo_.FindUser(actor.who.company_id, actor.who.user_id);
    if (!current) Fail(ErrorCode::kInvalidToken, "the token's user does not exist");
    store::UserPatch p;
    p.tokens_valid_after = NextSignOutMark(*current);
    auto u = repo_.UpdateUser(actor.who.company_id, actor.who.user_id, p);
    if (!u) Fail(ErrorCode::kInvalidToken, "the token's user does not exist");
    authenticator_.Upsert(*u);
    WriteAudit(&actor, u->company_id, "auth.logout_all", "user", u->id);
}

domain::User AuthService::Me(const Actor& actor) {
    auto u = repo_.FindUser(actor.who.company_id, actor.who.user_id);
    if (!u) Fail(ErrorCode::kInvalidToken, "the token's user does not exist");
    return *u;
}

domain::User AuthService::ProvisionExternal(const auth::ExternalIdentity& id) {
    if (auto existing = repo_.FindUserByExternalId(id.company_id, id.external_id)) {
        access_.PutUser(*existing);
        authenticator_.Upsert(*existing);
        return *existing;
    }
    if (!repo_.FindCompany(id.company_id)) {
        domain::Company c;
        c.id = id.company_id;
        c.name = id.company_id;
        repo_.CreateCompany(c);
        WriteAudit(nullptr, c.id, "company.create", "company", c.id, {{"provisioned", true}});
    }
    domain::User u;
    u.company_id = id.company_id;
    u.external_id = id.external_id;
    u.role = id.role;
    u.name = id.name;
    // Emails are unique across companies: keep the claim when free, else a synthetic address.
    std::string email = auth::NormaliseEmail(id.email).value_or("");
    if (email.empty() || repo_.FindUserByEmail(email)) {
        std::string synthetic = id.external_id + "@" + id.company_id + ".external";
        email = auth::NormaliseEmail(synthetic).value_or(synthetic);
    }
    u.email = email;
    try {
        u = repo_.CreateUser(u);
    } catch (const store::UniqueViolation&) {
        auto again = repo_.FindUserByExternalId(id.company_id, id.external_id);  // a concurrent first sight
        if (!again) throw;
        u = *again;
    }
    access_.PutUser(u);
    authenticator_.Upsert(u);
    WriteAudit(nullptr, u.company_id, "user.provision", "user", u.id, {{"externalId", id.external_id}});
    return u;
}

}  // namespace wadesk::service
