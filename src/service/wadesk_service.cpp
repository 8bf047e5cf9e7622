#include "service/wadesk_service.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "auth/email.h"
#include "auth/password.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "service/chat_ref.h"
#include "service/views.h"
#include "store/errors.h"

namespace wadesk::service {
namespace json = boost::json;

namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
const std::vector<std::string> kAllStatuses = {domain::kStatusInitializing, domain::kStatusQr,
                                               domain::kStatusConnected,    domain::kStatusReconnecting,
                                               domain::kStatusDisconnected, domain::kStatusLoggedOut,
                                               domain::kStatusFailed};

[[noreturn]] void Fail(FailureKind kind, std::string code, const std::string& message) {
    throw ServiceError(kind, std::move(code), message);
}

[[noreturn]] void NotFound(const std::string& what) { Fail(FailureKind::kNotFound, "not_found", what + " not found"); }

std::string Trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// The stored spelling of an email given to us (auth::NormaliseEmail), validated.
std::string StoredEmail(const std::string& email);

void ValidateEmail(const std::string& email) {
    auto at = email.find('@');
    if (email.size() > 254 || at == std::string::npos || at == 0 || at + 1 >= email.size() ||
        email.find('@', at + 1) != std::string::npos ||
        std::any_of(email.begin(), email.end(), [](unsigned char c) { return c <= ' '; }))
        Fail(FailureKind::kBadInput, "invalid_field", "field 'email' must be an email address");
}

// The mark of a sign-out of `u` now: the next whole second after now, or after its current mark
// when that is later (a token issued right after the current mark carries it as its "iat", so a
// second sign-out in the same second must pass it).
std::int64_t NextSignOutMark(const domain::User& u) { return auth::SignOutMark(std::max(NowMs(), u.tokens_valid_after)); }

std::string StoredEmail(const std::string& email) {
    auto normalised = auth::NormaliseEmail(email);
    if (!normalised) Fail(FailureKind::kBadInput, "invalid_field", "field 'email' must be an email address");
    ValidateEmail(*normalised);
    return *normalised;
}

void ValidatePassword(const std::string& password) {
    if (password.size() < 8 || password.size() > 256)
        Fail(FailureKind::kBadInput, "invalid_field", "field 'password' must be 8 to 256 characters");
}

void ValidateName(const std::string& name, std::size_t max = 200) {
    if (name.size() > max)
        Fail(FailureKind::kBadInput, "invalid_field", "field 'name' must be at most " + std::to_string(max) + " bytes");
}

bool IsLive(const std::string& status) {
    return status == domain::kStatusConnected || status == domain::kStatusReconnecting;
}

// A new WhatsApp message id as WhatsApp Web makes them: "3EB0" + 18 uppercase hex digits.
std::string NewWaMessageId() {
    std::string hex = ToHex(RandomBytes(9));
    for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "3EB0" + hex;
}

// "user:device@server" -> "user@server".
std::string UserJid(const std::string& jid) {
    const auto at = jid.find('@');
    const auto colon = jid.find(':');
    if (at == std::string::npos || colon == std::string::npos || colon > at) return jid;
    return jid.substr(0, colon) + jid.substr(at);
}

// Bounds of the read receipts of one mark-read and of one reconnect flush.
constexpr int kMaxReadReceiptIds = 200;
constexpr int kMaxFlushMessages = 500;

}  // namespace

WadeskService::WadeskService(store::Repository& repo, EventBus& bus, MemoryAccessView& access,
                             auth::TokenAuthenticator& authenticator, Engine& engine, auth::LoginLimits login_limits)
    : repo_(repo),
      bus_(bus),
      access_(access),
      authenticator_(authenticator),
      engine_(engine),
      login_limiter_(login_limits) {}

void WadeskService::LoadViews() {
    auto users = repo_.ListAllUsers();
    for (auto& u : users) {
        auto normalised = auth::NormaliseEmail(u.email);
        if (!normalised || *normalised == u.email) continue;
        store::UserPatch p;
        p.email = *normalised;
        try {
            if (auto updated = repo_.UpdateUser(u.company_id, u.id, p)) u = *updated;
        } catch (const store::UniqueViolation&) {
            spdlog::warn("[auth] user {} keeps its email '{}': its normalised spelling '{}' belongs to another user; "
                         "it cannot sign in until its email is changed", u.id, u.email, *normalised);
        }
    }
    auto sessions = repo_.ListSessionsByStatus(kAllStatuses);
    auto grants = repo_.ListAllAccess();
    access_.Load(users, sessions, grants);
    for (const auto& u : users) authenticator_.Upsert(u);
    for (const auto& t : repo_.ListRevokedTokens(NowMs())) authenticator_.Revoke(t.token_id, t.expires_at);
    std::lock_guard lock(state_mutex_);
    session_status_.clear();
    for (const auto& s : sessions) session_status_[s.id] = s.status;
}

// A linked session is resumed unless someone stopped it (disconnected, logged out, failed): a
// crash can leave it "initializing" (each start reports that before it is connected again).
void WadeskService::ResumeSessions() {
    for (const auto& s : repo_.ListSessionsByStatus(
             {domain::kStatusConnected, domain::kStatusReconnecting, domain::kStatusInitializing})) {
        if (s.status == domain::kStatusInitializing && s.jid.empty()) continue;  // never linked: nothing to resume
        spdlog::info("[WhatsApp] Resuming session {}", s.id);
        engine_.Start(s);
    }
}

// --- helpers

void WadeskService::RequireAdmin(const Actor& actor) const {
    if (!actor.who.IsAdmin()) Fail(FailureKind::kForbidden, "forbidden", "this action needs the admin role");
}

domain::WaSession WadeskService::VisibleSession(const Actor& actor, const std::string& id) {
    if (!IsWellFormedId(id) || !access_.CanRead(actor.who, id)) NotFound("session");
    auto s = repo_.FindSession(actor.who.company_id, id);
    if (!s) NotFound("session");
    return *s;
}

void WadeskService::ReadableSession(const Actor& actor, const std::string& id) const {
    if (!IsWellFormedId(id) || !access_.CanRead(actor.who, id)) NotFound("session");
}

domain::User WadeskService::OwnManager(const Actor& actor, const std::string& id) {
    if (!IsWellFormedId(id)) NotFound("manager");
    auto u = repo_.FindUser(actor.who.company_id, id);
    if (!u || u->role != domain::Role::kManager) NotFound("manager");
    return *u;
}

std::optional<domain::Chat> WadeskService::ResolveChat(const Actor& actor, const std::string& session_id,
                                                      const std::string& chat_ref) {
    auto ref = ParseChatRef(chat_ref);
    if (!ref) return std::nullopt;
    if (ref->kind == ChatRef::Kind::kId) return repo_.FindChat(actor.who.company_id, session_id, ref->value);
    return repo_.FindChatByJid(actor.who.company_id, session_id, ref->value);
}

domain::Chat WadeskService::RequireChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
    auto chat = ResolveChat(actor, session_id, chat_ref);
    if (!chat) NotFound("chat");
    return *chat;
}

void WadeskService::WriteAudit(const Actor* actor, const std::string& company_id, const std::string& action,
                          const std::string& target_type, const std::string& target_id, const json::object& details) {
    domain::AuditEntry e;
    e.company_id = company_id;
    if (actor) {
        e.user_id = actor->who.user_id;
        e.ip = actor->ip;
    }
    e.action = action;
    e.target_type = target_type;
    e.target_id = target_id;
    e.details_json = json::serialize(details);
    repo_.AppendAudit(e);
    spdlog::info("[audit] company={} user={} action={} {}={} ip={}", company_id, e.user_id, action, target_type,
                 target_id, e.ip);
}

domain::Event WadeskService::MakeEvent(const std::string& company_id, const std::string& session_id,
                                     const std::string& name, const json::object& payload) {
    domain::Event e;
    e.company_id = company_id;
    e.session_id = session_id;
    e.name = name;
    e.payload_json = json::serialize(payload);
    return e;
}

void WadeskService::Emit(const std::string& company_id, const std::string& session_id, const std::string& name,
                         const json::object& payload) {
    bus_.Publish(repo_.AppendEvent(MakeEvent(company_id, session_id, name, payload)));
}

void WadeskService::ApplySessionChange(const domain::WaSession& s) {
    std::lock_guard lock(state_mutex_);
    session_status_[s.id] = s.status;
    if (s.status != domain::kStatusQr) qr_.erase(s.id);
}

void WadeskService::ValidateNewUser(const NewUser& user) const {
    ValidateEmail(user.email);
    ValidatePassword(user.password);
    ValidateName(user.name);
}

// --- operator

std::pair<domain::Company, domain::User> WadeskService::CreateCompany(const std::string& name, const NewUser& admin,
                                                                    int max_sessions) {
    std::string trimmed = Trim(name);
    if (trimmed.empty() || trimmed.size() > 200)
        Fail(FailureKind::kBadInput, "invalid_field", "company name must be 1 to 200 bytes");
    if (max_sessions < 1 || max_sessions > 10000)
        Fail(FailureKind::kBadInput, "invalid_field", "max sessions must be 1 to 10000");
    ValidateNewUser(admin);
    if (repo_.FindUserByEmail(StoredEmail(admin.email))) Fail(FailureKind::kConflict, "email_taken", "email is already in use");
    domain::Company company;
    company.name = trimmed;
    company.max_sessions = max_sessions;
    company = repo_.CreateCompany(company);
    NewUser a = admin;
    a.role = domain::Role::kAdmin;
    domain::User user = CreateUser(company.id, a);
    WriteAudit(nullptr, company.id, "company.create", "company", company.id, {{"name", company.name}});
    return {company, user};
}

domain::User WadeskService::CreateUser(const std::string& company_id, const NewUser& nu) {
    ValidateNewUser(nu);
    if (!repo_.FindCompany(company_id)) NotFound("company");
    domain::User u;
    u.company_id = company_id;
    u.email = StoredEmail(nu.email);
    u.name = Trim(nu.name);
    u.role = nu.role;
    u.password_hash = auth::HashPassword(nu.password);
    try {
        u = repo_.CreateUser(u);
    } catch (const store::UniqueViolation&) {
        Fail(FailureKind::kConflict, "email_taken", "email is already in use");
    }
    access_.PutUser(u);
    authenticator_.Upsert(u);
    return u;
}

std::int64_t WadeskService::CountCompanies() { return repo_.CountCompanies(); }

// --- auth

PendingLogin WadeskService::BeginLogin(const std::string& email_in, const std::string& password,
                                       const std::string& ip) {
    auto email = auth::NormaliseEmail(email_in);
    if (!email || email->empty() || email->size() > 254)
        Fail(FailureKind::kBadInput, "invalid_field", "field 'email' is invalid");
    if (password.size() > 1024) Fail(FailureKind::kBadInput, "invalid_field", "field 'password' is too long");
    PendingLogin pending;
    std::int64_t wait_ms = login_limiter_.Admit(ip, *email, NowMs(), pending.attempt);
    if (wait_ms > 0)
        throw ServiceError(FailureKind::kRateLimited, "rate_limited", "too many failed logins; try again later",
                           (wait_ms + 999) / 1000);
    try {
        pending.user = repo_.FindUserByEmail(*email);
    } catch (...) {
        login_limiter_.Abandoned(pending.attempt);
        throw;
    }
    if (pending.user && pending.user->disabled) {
        login_limiter_.Abandoned(pending.attempt);  // no password was checked
        Fail(FailureKind::kUnauthenticated, "user_disabled", "this user is disabled");
    }
    if (pending.user) pending.password_hash = pending.user->password_hash;
    return pending;
}

LoginResult WadeskService::FinishLogin(const PendingLogin& pending, bool password_ok) {
    if (!password_ok || !pending.user) {
        spdlog::info("[auth] failed login for {} from {}", pending.attempt.account, pending.attempt.ip);
        Fail(FailureKind::kUnauthenticated, "invalid_credentials", "wrong email or password");
    }
    login_limiter_.Succeeded(pending.attempt);
    access_.PutUser(*pending.user);
    authenticator_.Upsert(*pending.user);
    return LoginResult{authenticator_.Issue(*pending.user), *pending.user};
}

void WadeskService::AbandonLogin(const PendingLogin& pending) { login_limiter_.Abandoned(pending.attempt); }

LoginResult WadeskService::Login(const std::string& email, const std::string& password, const std::string& ip) {
    PendingLogin pending = BeginLogin(email, password, ip);
    bool ok = false;
    if (pending.password_hash.empty()) auth::BurnPasswordCheck(password);
    else ok = auth::VerifyPassword(password, pending.password_hash);
    return FinishLogin(pending, ok);
}

void WadeskService::LogoutAll(const Actor& actor) {
    auto current = repo_.FindUser(actor.who.company_id, actor.who.user_id);
    if (!current) Fail(FailureKind::kUnauthenticated, "invalid_token", "the token's user does not exist");
    store::UserPatch p;
    p.tokens_valid_after = NextSignOutMark(*current);
    auto u = repo_.UpdateUser(actor.who.company_id, actor.who.user_id, p);
    if (!u) Fail(FailureKind::kUnauthenticated, "invalid_token", "the token's user does not exist");
    authenticator_.Upsert(*u);
    WriteAudit(&actor, u->company_id, "auth.logout_all", "user", u->id);
}

domain::User WadeskService::Me(const Actor& actor) {
    auto u = repo_.FindUser(actor.who.company_id, actor.who.user_id);
    if (!u) Fail(FailureKind::kUnauthenticated, "invalid_token", "the token's user does not exist");
    return *u;
}

domain::User WadeskService::ProvisionExternal(const auth::ExternalIdentity& id) {
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

// --- managers

std::vector<domain::User> WadeskService::ListManagers(const Actor& actor) {
    RequireAdmin(actor);
    return repo_.ListUsers(actor.who.company_id, domain::Role::kManager);
}

domain::User WadeskService::CreateManager(const Actor& actor, const NewUser& nu) {
    RequireAdmin(actor);
    NewUser m = nu;
    m.role = domain::Role::kManager;
    domain::User u = CreateUser(actor.who.company_id, m);
    WriteAudit(&actor, u.company_id, "manager.create", "user", u.id, {{"email", u.email}});
    return u;
}

domain::User WadeskService::UpdateManager(const Actor& actor, const std::string& id, const ManagerPatch& patch) {
    RequireAdmin(actor);
    if (!patch.name && !patch.email && !patch.password && !patch.disabled)
        Fail(FailureKind::kBadInput, "empty_patch", "nothing to update: give name, email, password or disabled");
    if (patch.email) ValidateEmail(*patch.email);
    if (patch.password) ValidatePassword(*patch.password);
    if (patch.name) ValidateName(*patch.name);
    domain::User current = OwnManager(actor, id);
    store::UserPatch p;
    if (patch.name) p.name = Trim(*patch.name);
    if (patch.email) p.email = StoredEmail(*patch.email);
    if (patch.password) p.password_hash = auth::HashPassword(*patch.password);
    p.disabled = patch.disabled;
    // A new password or a disable voids every token issued so far (enabling again revives none).
    if (patch.password || (patch.disabled && *patch.disabled)) p.tokens_valid_after = NextSignOutMark(current);
    std::optional<domain::User> u;
    try {
        u = repo_.UpdateUser(actor.who.company_id, id, p);
    } catch (const store::UniqueViolation&) {
        Fail(FailureKind::kConflict, "email_taken", "email is already in use");
    }
    if (!u) NotFound("manager");
    access_.PutUser(*u);
    authenticator_.Upsert(*u);
    json::object details;
    if (patch.name) details["name"] = u->name;
    if (patch.email) details["email"] = u->email;
    if (patch.password) details["password"] = "changed";
    if (patch.disabled) details["disabled"] = *patch.disabled;
    WriteAudit(&actor, u->company_id, "manager.update", "user", u->id, details);
    return *u;
}

void WadeskService::DeleteManager(const Actor& actor, const std::string& id) {
    RequireAdmin(actor);
    OwnManager(actor, id);
    if (!repo_.DeleteUser(actor.who.company_id, id)) NotFound("manager");
    access_.RemoveUser(id);
    authenticator_.Remove(id);
    WriteAudit(&actor, actor.who.company_id, "manager.delete", "user", id);
}

void WadeskService::LogoutManager(const Actor& actor, const std::string& id) {
    RequireAdmin(actor);
    domain::User current = OwnManager(actor, id);
    store::UserPatch p;
    p.tokens_valid_after = NextSignOutMark(current);
    auto u = repo_.UpdateUser(actor.who.company_id, id, p);
    if (!u) NotFound("manager");
    access_.PutUser(*u);
    authenticator_.Upsert(*u);
    WriteAudit(&actor, u->company_id, "manager.logout_all", "user", u->id);
}

// --- sessions

std::vector<domain::WaSession> WadeskService::ListSessions(const Actor& actor) {
    auto all = repo_.ListSessions(actor.who.company_id);
    std::erase_if(all, [&](const domain::WaSession& s) { return !access_.CanRead(actor.who, s.id); });
    return all;
}

namespace {

void ValidateHistory(const std::string& history) {
    if (history != domain::kHistoryNone && history != domain::kHistoryRecent && history != domain::kHistoryFull)
        Fail(FailureKind::kBadInput, "invalid_history", "history must be none, recent or full");
}

}  // namespace

domain::WaSession WadeskService::CreateSession(const Actor& actor, const std::string& name_in,
                                              const std::string& history_in) {
    RequireAdmin(actor);
    std::string name = Trim(name_in);
    ValidateName(name);
    const std::string history = history_in.empty() ? std::string(domain::kHistoryRecent) : history_in;
    ValidateHistory(history);
    auto company = repo_.FindCompany(actor.who.company_id);
    if (!company) NotFound("company");
    std::int64_t count = repo_.CountSessions(company->id);
    if (count >= company->max_sessions)
        Fail(FailureKind::kConflict, "session_limit_reached",
             "this company already has " + std::to_string(count) + " of " + std::to_string(company->max_sessions) +
                 " allowed sessions");
    spdlog::info("[WhatsApp] Creating a new session for company {}", company->id);
    domain::WaSession s;
    s.company_id = company->id;
    s.name = name.empty() ? "WhatsApp " + std::to_string(count + 1) : name;
    s.status = domain::kStatusInitializing;
    s.history_sync = history;
    s = repo_.CreateSession(s);
    access_.PutSession(s.id, s.company_id);
    ApplySessionChange(s);
    WriteAudit(&actor, s.company_id, "session.create", "session", s.id, {{"name", s.name}});
    Emit(s.company_id, s.id, "whatsapp:session_status", {{"sessionId", s.id}, {"status", s.status}, {"reason", nullptr}});
    engine_.Start(s);
    spdlog::info("[WhatsApp] Session {} created and initialized", s.id);
    return s;
}

domain::WaSession WadeskService::GetSession(const Actor& actor, const std::string& id) {
    return VisibleSession(actor, id);
}

void WadeskService::DeleteSession(const Actor& actor, const std::string& id, bool purge) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    engine_.Logout(s.id);
    if (!repo_.DeleteSession(actor.who.company_id, s.id, purge)) NotFound("session");
    access_.RemoveSession(s.id);
    {
        std::lock_guard lock(state_mutex_);
        session_status_.erase(s.id);
        session_company_.erase(s.id);
        qr_.erase(s.id);
    }
    WriteAudit(&actor, s.company_id, "session.delete", "session", s.id, {{"purge", purge}});
    spdlog::info("[WhatsApp] Session {} deleted{}", s.id, purge ? " with its history" : "");
}

domain::WaSession WadeskService::UpdateSession(const Actor& actor, const std::string& id,
                                              const std::optional<std::string>& name_in,
                                              const std::optional<std::string>& history) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    store::SessionPatch p;
    if (name_in) {
        std::string name = Trim(*name_in);
        ValidateName(name);
        p.name = name;
    }
    if (history) {
        ValidateHistory(*history);
        p.history_sync = *history;
    }
    auto updated = repo_.UpdateSession(s.id, p);
    if (!updated) NotFound("session");
    WriteAudit(&actor, s.company_id, "session.update", "session", s.id,
               {{"name", updated->name}, {"history", updated->history_sync}});
    Emit(s.company_id, s.id, "whatsapp:session_status",
         {{"sessionId", s.id}, {"status", updated->status}, {"name", updated->name},
          {"reason", updated->status_reason.empty() ? json::value(nullptr) : json::value(updated->status_reason)}});
    return *updated;
}

QrState WadeskService::GetQr(const Actor& actor, const std::string& id) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    std::lock_guard lock(state_mutex_);
    auto it = qr_.find(s.id);
    if (it != qr_.end() && it->second.expires_at_ms > NowMs()) {
        QrState q = it->second;
        q.status = s.status;
        return q;
    }
    return QrState{s.id, s.status, "", "", 0};
}

domain::WaSession WadeskService::Disconnect(const Actor& actor, const std::string& id) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    engine_.Logout(s.id);
    repo_.DeleteCredentials(s.id);
    store::SessionPatch p;
    p.status = domain::kStatusLoggedOut;
    p.status_reason = "disconnected_by_admin";
    auto updated = repo_.UpdateSession(s.id, p);
    if (!updated) NotFound("session");
    ApplySessionChange(*updated);
    WriteAudit(&actor, s.company_id, "session.disconnect", "session", s.id);
    Emit(s.company_id, s.id, "whatsapp:disconnected", {{"sessionId", s.id}, {"reason", "disconnected_by_admin"}});
    Emit(s.company_id, s.id, "whatsapp:session_status",
         {{"sessionId", s.id}, {"status", updated->status}, {"reason", updated->status_reason}});
    spdlog::info("[WhatsApp] Session {} disconnected by {}", s.id, actor.who.user_id);
    return *updated;
}

domain::WaSession WadeskService::StartSession(const Actor& actor, const std::string& id) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    if (IsLive(s.status))
        Fail(FailureKind::kConflict, "session_already_connected", "the session is " + s.status + "; disconnect it first");
    store::SessionPatch p;
    p.status = domain::kStatusInitializing;
    p.status_reason = "";
    auto updated = repo_.UpdateSession(s.id, p);
    if (!updated) NotFound("session");
    ApplySessionChange(*updated);
    WriteAudit(&actor, s.company_id, "session.start", "session", s.id);
    Emit(s.company_id, s.id, "whatsapp:session_status",
         {{"sessionId", s.id}, {"status", updated->status}, {"reason", nullptr}});
    engine_.Start(*updated);
    spdlog::info("[WhatsApp] Session {} starting", s.id);
    return *updated;
}

std::string WadeskService::RequestPairingCode(const Actor& actor, const std::string& id, const std::string& phone) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    auto digits = NormalizePhone(phone);
    if (!digits)
        Fail(FailureKind::kBadInput, "invalid_field",
             "field 'phoneNumber' must be an international number: 7 to 15 digits, optional leading +");
    if (IsLive(s.status)) Fail(FailureKind::kConflict, "session_already_connected", "the session is already linked");
    auto code = engine_.RequestPairingCode(s.id, *digits);
    if (!code) {
        if (code.error().code == "session_not_pairing")
            Fail(FailureKind::kConflict, code.error().code, code.error().message);
        Fail(FailureKind::kUnavailable, code.error().code, code.error().message);
    }
    WriteAudit(&actor, s.company_id, "session.pairing_code", "session", s.id, {{"phoneNumber", *digits}});
    return *code;
}

// --- access

std::vector<SessionRights> WadeskService::MyRights(const Actor& actor) {
    std::vector<SessionRights> out;
    for (const auto& s : ListSessions(actor))
        out.push_back(SessionRights{s.id, true, access_.CanWrite(actor.who, s.id), access_.CanManageChats(actor.who, s.id)});
    return out;
}

std::vector<domain::Access> WadeskService::ListAccess(const Actor& actor, const std::string& session_id) {
    domain::WaSession s = VisibleSession(actor, session_id);
    RequireAdmin(actor);
    return repo_.ListAccessBySession(actor.who.company_id, s.id);
}

domain::Access WadeskService::Grant(const Actor& actor, const std::string& session_id, const GrantRequest& g) {
    domain::WaSession s = VisibleSession(actor, session_id);
    RequireAdmin(actor);
    domain::User m = OwnManager(actor, g.manager_id);
    access_.PutUser(m);  // users created by another process (the CLI) are learnt here or at login
    authenticator_.Upsert(m);
    domain::Access a;
    a.company_id = s.company_id;
    a.session_id = s.id;
    a.user_id = m.id;
    a.can_read = g.can_read || g.can_write || g.can_manage_chats;
    a.can_write = g.can_write;
    a.can_manage_chats = g.can_manage_chats;
    a = repo_.UpsertAccess(a);
    access_.PutGrant(a);
    WriteAudit(&actor, s.company_id, "access.grant", "session", s.id,
          {{"managerId", m.id}, {"canRead", a.can_read}, {"canWrite", a.can_write},
           {"canManageChats", a.can_manage_chats}});
    return a;
}

void WadeskService::Revoke(const Actor& actor, const std::string& session_id, const std::string& manager_id) {
    domain::WaSession s = VisibleSession(actor, session_id);
    RequireAdmin(actor);
    if (!IsWellFormedId(manager_id)) NotFound("grant");
    if (!repo_.DeleteAccess(actor.who.company_id, s.id, manager_id)) NotFound("grant");
    access_.RemoveGrant(s.id, manager_id);
    WriteAudit(&actor, s.company_id, "access.revoke", "session", s.id, {{"managerId", manager_id}});
}

// --- chats and messages

store::Page<domain::Chat> WadeskService::ListChats(const Actor& actor, const std::string& session_id,
                                                  const ChatFilter& f) {
    ReadableSession(actor, session_id);
    store::ChatQuery q;
    q.company_id = actor.who.company_id;
    q.session_id = session_id;
    q.page = f.page;
    q.limit = f.limit;
    q.search = f.search;
    q.archived = f.archived;
    q.unread = f.unread;
    if (f.assigned_to) q.assigned_to = *f.assigned_to == "me" ? actor.who.user_id : *f.assigned_to;
    return repo_.ListChats(q);
}

domain::Chat WadeskService::GetChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
    domain::WaSession s = VisibleSession(actor, session_id);
    return RequireChat(actor, s.id, chat_ref);
}

std::vector<domain::User> WadeskService::Assignees(const Actor& actor, const std::string& session_id) {
    domain::WaSession s = VisibleSession(actor, session_id);
    if (!access_.CanManageChats(actor.who, s.id))
        Fail(FailureKind::kForbidden, "forbidden", "assigning chats of this session needs canManageChats");
    auto users = repo_.ListUsers(actor.who.company_id, std::nullopt);
    std::erase_if(users, [&](const domain::User& u) {
        auth::Principal who{u.id, u.company_id, u.role, u.email};
        return u.disabled || !access_.CanRead(who, s.id);
    });
    std::sort(users.begin(), users.end(), [](const domain::User& a, const domain::User& b) {
        return std::tie(a.name, a.email) < std::tie(b.name, b.email);
    });
    return users;
}

domain::Chat WadeskService::UpdateChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                                      const store::ChatPatch& patch) {
    domain::WaSession s = VisibleSession(actor, session_id);
    domain::Chat chat = RequireChat(actor, s.id, chat_ref);
    if (!access_.CanManageChats(actor.who, s.id))
        Fail(FailureKind::kForbidden, "forbidden", "managing chats of this session needs canManageChats");
    if (!patch.name && !patch.archived && !patch.pinned && !patch.muted && !patch.assigned_to && !patch.labels)
        Fail(FailureKind::kBadInput, "empty_patch",
             "nothing to update: give archived, pinned, muted, assignedTo, labels or name");
    if (patch.assigned_to && !patch.assigned_to->empty()) {
        if (!IsWellFormedId(*patch.assigned_to) || !repo_.FindUser(actor.who.company_id, *patch.assigned_to))
            Fail(FailureKind::kUnprocessable, "invalid_assignee", "assignedTo must be a user of this company");
    }
    // A group's name is its subject at WhatsApp: changed there first (groups_service.cpp).
    if (patch.name && chat.is_group) RunGroupRequest(s, GroupRequest{"subject", chat.jid, *patch.name, {}});
    auto updated = repo_.UpdateChat(s.company_id, s.id, chat.id, patch);
    if (!updated) NotFound("chat");
    json::object details;
    if (patch.archived) details["archived"] = *patch.archived;
    if (patch.pinned) details["pinned"] = *patch.pinned;
    if (patch.muted) details["muted"] = *patch.muted;
    if (patch.assigned_to) details["assignedTo"] = *patch.assigned_to;
    if (patch.name) details["name"] = *patch.name;
    if (patch.labels) details["labels"] = ChatView(*updated)["labels"];
    WriteAudit(&actor, s.company_id, "chat.update", "chat", chat.id, details);
    Emit(s.company_id, s.id, "whatsapp:chat_updated", {{"sessionId", s.id}, {"chatId", chat.id}, {"chat", ChatView(*updated)}});
    return *updated;
}

domain::Chat WadeskService::MarkRead(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
    domain::WaSession s = VisibleSession(actor, session_id);
    domain::Chat chat = RequireChat(actor, s.id, chat_ref);
    // The unread incoming messages are the newest `unread_count` ones; read before zeroing.
    std::vector<domain::Message> unread;
    if (chat.unread_count > 0)
        unread = repo_.ListRecentIncoming(s.id, chat.id, std::min<int>(chat.unread_count, kMaxReadReceiptIds));
    auto updated = repo_.MarkChatRead(s.company_id, s.id, chat.id);
    if (!updated) NotFound("chat");
    if (IsLive(s.status) && !unread.empty()) {
        // One receipt per sender: 1:1 chats have one; a group names each sender as participant.
        std::map<std::string, std::vector<std::string>> by_sender;
        for (auto it = unread.rbegin(); it != unread.rend(); ++it)  // oldest first
            by_sender[chat.is_group ? it->sender_jid : std::string()].push_back(it->wa_message_id);
        for (const auto& [sender, ids] : by_sender) engine_.MarkRead(s.id, chat.jid, sender, ids);
    }
    WriteAudit(&actor, s.company_id, "chat.read", "chat", chat.id);
    Emit(s.company_id, s.id, "whatsapp:chat_updated", {{"sessionId", s.id}, {"chatId", chat.id}, {"chat", ChatView(*updated)}});
    return *updated;
}

store::Page<domain::Message> WadeskService::ListMessages(const Actor& actor, const std::string& session_id,
                                                        const std::string& chat_ref, int page, int limit,
                                                        const std::string& before) {
    ReadableSession(actor, session_id);
    auto ref = ParseChatRef(chat_ref);
    if (!ref) NotFound("chat");
    store::MessageQuery q;
    q.company_id = actor.who.company_id;
    q.session_id = session_id;
    if (ref->kind == ChatRef::Kind::kId) {
        q.chat_id = ref->value;
    } else {
        auto chat = repo_.FindChatByJid(q.company_id, session_id, ref->value);
        if (!chat) NotFound("chat");
        q.chat_id = chat->id;
    }
    q.page = page;
    q.limit = limit;
    // A malformed cursor is reported after the chat check, like an unknown one.
    const bool bad_cursor = !before.empty() && !IsWellFormedId(before);
    q.before = bad_cursor ? std::string() : before;
    store::ChatMessages result = repo_.ListChatMessages(q);
    if (!result.chat_found) NotFound("chat");
    if (bad_cursor || !result.cursor_found)
        Fail(FailureKind::kBadInput, "invalid_query", "query parameter 'before' must be a message id of this session");
    return std::move(result.page);
}

SendResult WadeskService::Send(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                               const SendRequest& req) {
    domain::WaSession s = VisibleSession(actor, session_id);
    auto ref = ParseChatRef(chat_ref);
    if (!ref) NotFound("chat");
    if (!access_.CanWrite(actor.who, s.id))
        Fail(FailureKind::kForbidden, "forbidden", "sending in this session needs canWrite");
    std::string text = req.text;
    if (Trim(text).empty() && !req.media) Fail(FailureKind::kBadInput, "invalid_field", "field 'message' must not be empty");
    if (text.size() > 65536) Fail(FailureKind::kBadInput, "invalid_field", "field 'message' must be at most 65536 bytes");
    if (req.client_message_id.size() > 128)
        Fail(FailureKind::kBadInput, "invalid_field", "field 'clientMessageId' must be at most 128 bytes");

    std::optional<domain::Chat> chat;
    if (ref->kind == ChatRef::Kind::kId) {
        chat = repo_.FindChat(s.company_id, s.id, ref->value);
        if (!chat) NotFound("chat");
    } else {
        chat = repo_.FindChatByJid(s.company_id, s.id, ref->value);
    }
    // A retried request answers the first result, whatever the session's state is now.
    if (!req.client_message_id.empty()) {
        if (auto prior = repo_.FindMessageByClientId(s.id, req.client_message_id)) {
            if (chat && prior->chat_id != chat->id)
                Fail(FailureKind::kConflict, "client_message_id_reused",
                     "clientMessageId was already used for another chat");
            return SendResult{*prior, false};
        }
    }
    if (!IsLive(s.status))
        Fail(FailureKind::kUnavailable, "session_not_connected",
             "session is " + s.status + "; messages can be sent once it is connected");

    std::string quoted_id;
    if (!req.quoted_message_id.empty()) {
        std::optional<domain::Message> quoted;
        if (IsWellFormedId(req.quoted_message_id)) quoted = repo_.FindMessage(s.company_id, s.id, req.quoted_message_id);
        if (!quoted) quoted = repo_.FindMessageByWaId(s.id, req.quoted_message_id);
        if (!quoted || (chat && quoted->chat_id != chat->id))
            Fail(FailureKind::kUnprocessable, "invalid_quoted_message", "quotedMessageId is not a message of this chat");
        quoted_id = quoted->id;
    }
    if (!chat) {
        domain::Chat c;
        c.company_id = s.company_id;
        c.session_id = s.id;
        c.jid = ref->value;
        c.is_group = ref->value.ends_with("@g.us");
        chat = repo_.UpsertChat(c);
    }
    domain::Message m;
    m.company_id = s.company_id;
    m.session_id = s.id;
    m.chat_id = chat->id;
    m.from_me = true;
    m.sender_jid = s.jid;
    m.sender_phone = s.phone_number;
    m.sender_name = s.display_name;
    m.type = req.media ? req.type : "text";
    m.body = text;
    m.media = req.media;
    m.quoted_message_id = quoted_id;
    m.timestamp = NowMs();
    m.status = "pending";
    m.wa_message_id = NewWaMessageId();  // fixed now: a re-send after a reconnect keeps it
    m.sent_by = actor.who.user_id;
    m.client_message_id = req.client_message_id;
    store::RecordedMessage rec = repo_.RecordMessage(m);
    if (!rec.inserted) return SendResult{rec.message, false};  // a concurrent retry won the race
    WriteAudit(&actor, s.company_id, "message.send", "message", rec.message.id, {{"chatId", chat->id}});
    Emit(s.company_id, s.id, "whatsapp:message_sent",
         {{"sessionId", s.id}, {"chatId", chat->id}, {"message", MessageView(rec.message)}});
    Emit(s.company_id, s.id, "whatsapp:chat_updated", {{"sessionId", s.id}, {"chatId", chat->id}, {"chat", ChatView(rec.chat)}});
    HandToEngine(s, rec.message);
    spdlog::info("[WhatsApp] Message sent for session {}: {}", s.id, LoggedText(text));
    return SendResult{rec.message, true};
}

void WadeskService::Forget(const std::string& session_id, const std::string& message_id) {
    std::lock_guard lock(send_mutex_);
    if (auto it = handed_.find(session_id); it != handed_.end()) it->second.erase(message_id);
}

void WadeskService::HandToEngine(const domain::WaSession& s, const domain::Message& m) {
    {
        std::lock_guard lock(send_mutex_);
        if (!handed_[s.id].insert(m.id).second) return;
    }
    OutgoingMessage out;
    out.session_id = s.id;
    out.message_id = m.id;
    out.wa_message_id = m.wa_message_id;
    if (out.wa_message_id.empty()) {  // a row stored before ids were given at creation
        out.wa_message_id = NewWaMessageId();
        repo_.SetMessageWaId(s.id, m.id, out.wa_message_id);
    }
    out.body = m.body;
    out.type = m.type;
    out.media = m.media;
    if (auto chat = repo_.FindChat(s.company_id, s.id, m.chat_id)) out.chat_jid = chat->jid;
    if (!m.quoted_message_id.empty()) {
        auto q = repo_.FindMessage(s.company_id, s.id, m.quoted_message_id);
        if (q && !q->wa_message_id.empty()) {  // WhatsApp can only quote what it knows by id
            out.quoted_wa_message_id = q->wa_message_id;
            out.quoted_sender_jid = UserJid(q->from_me ? s.jid : q->sender_jid);
            out.quoted_body = q->body;
        }
    }
    if (out.chat_jid.empty()) return;
    engine_.Send(out);
}

// --- stats, audit, events

StatsView WadeskService::Stats(const Actor& actor) {
    RequireAdmin(actor);
    std::int64_t today = NowMs() / kDayMs * kDayMs;
    std::int64_t since = today - 29 * kDayMs;
    StatsView v;
    v.stats = repo_.Stats(actor.who.company_id, since);
    std::map<std::string, store::DailyCount> by_day;
    for (const auto& d : v.stats.per_day) by_day[d.day] = d;
    std::vector<store::DailyCount> filled;
    for (int i = 0; i < 30; ++i) {
        std::string day = FormatIsoMs(since + i * kDayMs).substr(0, 10);
        auto it = by_day.find(day);
        filled.push_back(it != by_day.end() ? it->second : store::DailyCount{day, 0, 0});
    }
    v.stats.per_day = std::move(filled);
    v.sessions = repo_.ListSessions(actor.who.company_id);
    return v;
}

store::Page<domain::AuditEntry> WadeskService::Audit(const Actor& actor, int page, int limit) {
    RequireAdmin(actor);
    return repo_.ListAudit(actor.who.company_id, page, limit);
}

EventPage WadeskService::Events(const Actor& actor, std::int64_t after, int limit) {
    EventPage out;
    out.last_id = after;
    // Filtering can drop rows, so read ahead a few batches to fill the page when it can.
    for (int round = 0; round < 5 && static_cast<int>(out.items.size()) < limit; ++round) {
        auto batch = repo_.ListEvents(actor.who.company_id, out.last_id, limit);
        for (auto& e : batch) {
            out.last_id = std::max(out.last_id, e.id);
            if (static_cast<int>(out.items.size()) >= limit) {
                out.last_id = out.items.back().id;
                return out;
            }
            if (e.name == "whatsapp:qr" && !actor.who.IsAdmin()) continue;
            if (!e.session_id.empty() && !access_.CanRead(actor.who, e.session_id)) continue;
            if (e.session_id.empty() && !actor.who.IsAdmin()) continue;
            out.items.push_back(std::move(e));
        }
        if (static_cast<int>(batch.size()) < limit) break;
    }
    return out;
}

bool WadeskService::Ping() { return repo_.Ping(); }

std::map<std::string, std::int64_t> WadeskService::SessionsByStatus() {
    std::map<std::string, std::int64_t> out;
    for (const auto& s : kAllStatuses) out[s] = 0;
    std::lock_guard lock(state_mutex_);
    for (const auto& [id, status] : session_status_) ++out[status];
    return out;
}

// --- engine events

void WadeskService::OnQr(const std::string& session_id, const std::string& qr_text, const std::string& png_data_url,
                         std::int64_t expires_at_ms) {
    auto s = repo_.FindSessionById(session_id);
    if (!s) return;
    const bool entered_qr = s->status != domain::kStatusQr;
    if (entered_qr) {
        store::SessionPatch p;
        p.status = domain::kStatusQr;
        p.status_reason = "";
        if (auto u = repo_.UpdateSession(session_id, p)) s = u;
    }
    ApplySessionChange(*s);
    // Entering the QR state is a status change like any other; a rotated QR is only whatsapp:qr.
    if (entered_qr)
        Emit(s->company_id, session_id, "whatsapp:session_status",
             {{"sessionId", session_id}, {"status", domain::kStatusQr}, {"reason", nullptr}});
    {
        std::lock_guard lock(state_mutex_);
        qr_[session_id] = QrState{session_id, domain::kStatusQr, qr_text, png_data_url, expires_at_ms};
    }
    Emit(s->company_id, session_id, "whatsapp:qr",
         {{"sessionId", session_id}, {"qrCode", png_data_url}, {"qr", qr_text}, {"expiresAt", IsoOrNull(expires_at_ms)}});
    spdlog::info("[WhatsApp] QR code received for session {}", session_id);
}

void WadeskService::OnReady(const std::string& session_id, const std::string& phone, const std::string& name,
                            const std::string& jid) {
    store::SessionPatch p;
    p.status = domain::kStatusConnected;
    p.status_reason = "";
    p.phone_number = phone;
    p.display_name = name;
    p.jid = jid;
    p.connected_at = NowMs();
    auto s = repo_.UpdateSession(session_id, p);
    if (!s) return;
    ApplySessionChange(*s);
    WriteAudit(nullptr, s->company_id, "session.ready", "session", s->id, {{"phoneNumber", phone}});
    Emit(s->company_id, s->id, "whatsapp:ready", {{"sessionId", s->id}, {"phoneNumber", phone}, {"displayName", name}});
    Emit(s->company_id, s->id, "whatsapp:session_status", {{"sessionId", s->id}, {"status", s->status}, {"reason", nullptr}});
    spdlog::info("[WhatsApp] Session {} authorized as {}", s->id, phone);
    // A new connection: what was handed to the last one and is still pending leaves now, oldest
    // first, once each (same WhatsApp id, so a copy the last connection got out is deduplicated).
    {
        std::lock_guard lock(send_mutex_);
        handed_.erase(s->id);
    }
    ForgetGroupQueries(s->id);
    const auto pending = repo_.ListPendingOutgoing(s->id, kMaxFlushMessages);
    for (const auto& m : pending) HandToEngine(*s, m);
    if (!pending.empty()) spdlog::info("[WhatsApp] Session {}: sending {} pending message(s)", s->id, pending.size());
}

void WadeskService::OnStatus(const std::string& session_id, const std::string& status, const std::string& reason) {
    if (std::find(kAllStatuses.begin(), kAllStatuses.end(), status) == kAllStatuses.end()) {
        spdlog::warn("[WhatsApp] Session {} reported unknown status '{}'", session_id, status);
        return;
    }
    // The engine's own report of a logout we asked for (Disconnect, which recorded it with its
    // reason) neither overwrites that reason nor announces the logout twice.
    if (status == domain::kStatusLoggedOut && reason == "logout") {
        if (auto current = repo_.FindSessionById(session_id);
            current && current->status == domain::kStatusLoggedOut && !current->status_reason.empty())
            return;
    }
    store::SessionPatch p;
    p.status = status;
    p.status_reason = reason;
    auto s = repo_.UpdateSession(session_id, p);
    if (!s) return;
    ApplySessionChange(*s);
    json::value r = reason.empty() ? json::value(nullptr) : json::value(reason);
    Emit(s->company_id, s->id, "whatsapp:session_status", {{"sessionId", s->id}, {"status", status}, {"reason", r}});
    if (status == domain::kStatusDisconnected || status == domain::kStatusLoggedOut || status == domain::kStatusFailed)
        Emit(s->company_id, s->id, "whatsapp:disconnected",
             {{"sessionId", s->id}, {"reason", reason.empty() ? status : reason}});
    spdlog::info("[WhatsApp] Session {} is {}{}{}", s->id, status, reason.empty() ? "" : ": ", reason);
}

// A session's company never changes: the receive path looks it up once, not per message.
std::optional<domain::WaSession> WadeskService::ReceivingSession(const std::string& session_id) {
    {
        std::lock_guard lock(state_mutex_);
        if (auto it = session_company_.find(session_id); it != session_company_.end()) {
            domain::WaSession s;
            s.id = session_id;
            s.company_id = it->second;
            return s;
        }
    }
    auto s = repo_.FindSessionById(session_id);
    if (!s) return std::nullopt;
    std::lock_guard lock(state_mutex_);
    session_company_[s->id] = s->company_id;
    return s;
}

bool WadeskService::OnIncomingMessage(const std::string& session_id, const IncomingMessage& in,
                                     const CommitHook& also) {
    const std::optional<domain::WaSession> s = ReceivingSession(session_id);
    if (!s) return false;
    const std::vector<domain::Event> events = repo_.Transact([&](store::Transaction& tx) {
        if (also) also(tx);
        if (in.kind == IncomingKind::kRevoke || in.kind == IncomingKind::kEdit) return ApplyChange(tx, *s, in);
        RecordIncoming(tx, *s, in);
    });
    for (const domain::Event& e : events) bus_.Publish(e);
    if (in.is_group && !in.from_history) EnsureGroupMetadata(*s, in.chat_jid);  // group_metadata.cpp
    if (!events.empty()) {
        if (in.kind == IncomingKind::kUndecryptable)
            spdlog::warn("[WhatsApp] Session {}: message {} could not be decrypted ({}); stored as undecryptable, "
                         "a resend was asked for",
                         s->id, in.wa_message_id, in.failure);
        else if (in.kind == IncomingKind::kContent && !in.from_history)
            spdlog::info("[WhatsApp] Saved message for session {}: {}", s->id, LoggedText(in.body));
    }
    return true;
}

bool WadeskService::OnHistory(const std::string& session_id, const HistoryBatch& batch, const CommitHook& also) {
    const std::optional<domain::WaSession> s = ReceivingSession(session_id);
    if (!s) return false;
    const std::vector<domain::Event> events = repo_.Transact([&](store::Transaction& tx) {
        if (also) also(tx);
        const auto progress = [&](std::string_view phase) {
            tx.AppendEvent(MakeEvent(s->company_id, s->id, "whatsapp:history_progress",
                                     {{"sessionId", s->id},
                                      {"phase", phase},
                                      {"syncType", batch.sync_type},
                                      {"chunk", batch.chunk_order},
                                      {"chats", batch.chunk_chats},
                                      {"messages", batch.chunk_messages},
                                      {"progress", batch.progress}}));
        };
        if (!batch.failure.empty()) {
            tx.AppendEvent(MakeEvent(s->company_id, s->id, "whatsapp:history_progress",
                                     {{"sessionId", s->id},
                                      {"phase", "failed"},
                                      {"syncType", batch.sync_type},
                                      {"chunk", batch.chunk_order},
                                      {"reason", batch.failure}}));
            return;
        }
        if (batch.first) progress("started");
        for (const HistoryContact& hc : batch.contacts)
            RecordContact(tx, *s, domain::Contact{.jid = hc.jid, .lid = hc.lid, .name = hc.name, .push_name = hc.push_name});
        for (const HistoryChat& hc : batch.chats) {
            domain::Chat c;
            c.company_id = s->company_id;
            c.session_id = s->id;
            c.jid = hc.jid;
            c.lid = hc.lid;
            // A 1:1 conversation's name is the phone's name for its contact (in batch.contacts):
            // the chat follows the contact; a group's name is its subject.
            if (hc.is_group) c.name = hc.name;
            c.is_group = hc.is_group;
            c.unread_count = hc.unread_count;
            c.archived = hc.archived;
            c.pinned = hc.pinned;
            c.muted = hc.muted;
            domain::Chat chat = tx.UpsertChat(c);
            bool changed = false;
            for (const IncomingMessage& in : hc.messages) {
                store::RecordedMessage rec = tx.RecordMessage(IncomingRow(tx, *s, chat.id, in));
                if (!rec.inserted) continue;
                changed = true;
                chat = rec.chat;
            }
            if (changed || batch.first)
                tx.AppendEvent(MakeEvent(s->company_id, s->id, "whatsapp:chat_updated",
                                         {{"sessionId", s->id}, {"chatId", chat.id}, {"chat", ChatView(chat)}}));
        }
        progress(batch.last ? "done" : "progress");
    });
    for (const domain::Event& e : events) bus_.Publish(e);
    if (batch.last)
        spdlog::info("[WhatsApp] Session {}: history chunk {} ({}, {} chats, {} messages) imported", s->id,
                     batch.chunk_id, batch.sync_type, batch.chunk_chats, batch.chunk_messages);
    return true;
}

// The row of an incoming (or history) message in chat `chat_id`.
domain::Message WadeskService::IncomingRow(store::Transaction& tx, const domain::WaSession& s, const std::string& chat_id,
                                          const IncomingMessage& in) {
    domain::Message m;
    m.company_id = s.company_id;
    m.session_id = s.id;
    m.chat_id = chat_id;
    m.wa_message_id = in.wa_message_id;
    m.from_me = in.from_me;
    m.sender_jid = in.sender_jid;
    m.sender_name = in.sender_name;
    m.sender_phone = in.sender_phone;
    m.sender_lid = in.sender_lid;
    m.type = in.kind == IncomingKind::kUndecryptable ? std::string(domain::kMessageUndecryptable) : in.type;
    m.body = in.kind == IncomingKind::kUndecryptable ? std::string() : in.body;
    if (in.kind == IncomingKind::kContent) m.media = in.media;
    if (!in.quoted_wa_message_id.empty())
        if (auto q = tx.FindMessageByWaId(s.id, in.quoted_wa_message_id)) m.quoted_message_id = q->id;
    m.timestamp = in.timestamp_ms ? in.timestamp_ms : NowMs();
    m.status = !in.status.empty() ? in.status : in.from_me ? "sent" : "delivered";
    m.from_history = in.from_history;
    return m;
}

void WadeskService::RecordIncoming(store::Transaction& tx, const domain::WaSession& s, const IncomingMessage& in) {
    if (auto sender = SenderContact(in)) RecordContact(tx, s, std::move(*sender));
    domain::Chat c;
    c.company_id = s.company_id;
    c.session_id = s.id;
    c.jid = in.chat_jid;
    c.lid = in.chat_lid;
    c.name = in.chat_name;
    c.is_group = in.is_group;
    const domain::Chat chat = tx.UpsertChat(c);
    const domain::Message m = IncomingRow(tx, s, chat.id, in);
    store::RecordedMessage rec = tx.RecordMessage(m);
    if (rec.inserted) {
        if (in.from_history) return;
        tx.AppendEvent(
            MakeEvent(s.company_id, s.id, "whatsapp:message",
                      {{"sessionId", s.id}, {"chatId", rec.chat.id}, {"message", MessageView(rec.message)}}));
        tx.AppendEvent(MakeEvent(s.company_id, s.id, "whatsapp:chat_updated",
                                 {{"sessionId", s.id}, {"chatId", rec.chat.id}, {"chat", ChatView(rec.chat)}}));
        return;
    }
    // The resend that heals an undecryptable message arrives under the same id: it replaces it.
    if (in.kind != IncomingKind::kContent || rec.message.type != domain::kMessageUndecryptable) return;
    domain::Message healed = rec.message;
    healed.type = m.type;
    healed.body = m.body;
    healed.media = m.media;
    healed.quoted_message_id = m.quoted_message_id;
    if (auto updated = tx.UpdateMessageContent(healed)) AppendUpdated(tx, s, *updated);
}

// whatsapp:message_updated, and whatsapp:chat_updated when the chat's preview changed with it.
void WadeskService::AppendUpdated(store::Transaction& tx, const domain::WaSession& s, const store::UpdatedMessage& u) {
    tx.AppendEvent(
        MakeEvent(s.company_id, s.id, "whatsapp:message_updated",
                  {{"sessionId", s.id}, {"chatId", u.message.chat_id}, {"message", MessageView(u.message)}}));
    if (u.chat) {
        tx.AppendEvent(MakeEvent(s.company_id, s.id, "whatsapp:chat_updated",
                                 {{"sessionId", s.id}, {"chatId", u.chat->id}, {"chat", ChatView(*u.chat)}}));
    }
}

// Revoke and edit: only the message's own sender may change it; a change to a message we never
// stored changes nothing (the stanza is still settled: there is nothing to redeliver it for).
void WadeskService::ApplyChange(store::Transaction& tx, const domain::WaSession& s, const IncomingMessage& in) {
    auto target = tx.FindMessageByWaId(s.id, in.target_wa_message_id);
    if (!target) {
        spdlog::info("[WhatsApp] Session {}: {} of unknown message {}", s.id,
                     in.kind == IncomingKind::kRevoke ? "revoke" : "edit", in.target_wa_message_id);
        return;
    }
    const bool same_sender = target->from_me == in.from_me &&
                             (in.from_me || target->sender_jid == in.sender_jid ||
                              (!in.sender_phone.empty() && target->sender_phone == in.sender_phone));
    if (!same_sender) {
        spdlog::warn("[WhatsApp] Session {}: ignored a change of message {} by someone who did not send it", s.id,
                     in.target_wa_message_id);
        return;
    }
    domain::Message changed = *target;
    if (in.kind == IncomingKind::kRevoke) {
        if (changed.deleted) return;
        changed.deleted = true;
        changed.body.clear();
        changed.media.reset();
    } else {
        if (changed.deleted || (changed.edited && changed.body == in.body)) return;
        changed.edited = true;
        changed.body = in.body;
    }
    if (auto updated = tx.UpdateMessageContent(changed)) AppendUpdated(tx, s, *updated);
}

void WadeskService::OnMessageSent(const std::string& session_id, const std::string& message_id,
                                  const std::string& wa_message_id) {
    repo_.SetMessageWaId(session_id, message_id, wa_message_id);
    if (auto m = repo_.AdvanceMessageStatus(session_id, message_id, "sent"))
        Emit(m->company_id, session_id, "whatsapp:message_status",
             {{"sessionId", session_id}, {"chatId", m->chat_id}, {"messageId", m->id}, {"status", m->status}});
}

void WadeskService::OnMessageStatus(const std::string& session_id, const std::string& wa_message_id,
                                    const std::string& status) {
    auto m = repo_.FindMessageByWaId(session_id, wa_message_id);
    if (!m) return;
    if (m->status == "pending") Forget(session_id, m->id);
    if (auto changed = repo_.AdvanceMessageStatus(session_id, m->id, status))
        Emit(changed->company_id, session_id, "whatsapp:message_status",
             {{"sessionId", session_id}, {"chatId", changed->chat_id}, {"messageId", changed->id},
              {"status", changed->status}});
}

void WadeskService::OnMessageFailed(const std::string& session_id, const std::string& wa_message_id,
                                    const std::string& reason) {
    auto m = repo_.FindMessageByWaId(session_id, wa_message_id);
    if (!m || !m->from_me) return;
    Forget(session_id, m->id);
    auto failed = repo_.FailMessage(session_id, m->id, reason);
    if (!failed) return;
    spdlog::warn("[WhatsApp] Session {}: message {} failed: {}", session_id, failed->id, reason);
    Emit(failed->company_id, session_id, "whatsapp:message_status",
         {{"sessionId", session_id}, {"chatId", failed->chat_id}, {"messageId", failed->id}, {"status", failed->status},
          {"reason", reason}});
}

}  // namespace wadesk::service
