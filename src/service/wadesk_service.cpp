// The wiring and the shared parts of the service layer: WadeskService's construction, the
// shared checks of ServiceContext, the views loaded at start (OperatorService::LoadViews),
// resuming sessions, the operator commands, and the reads behind /health and /metrics.
#include "service/wadesk_service.h"

#include <boost/json/serialize.hpp>

#include "auth/password.h"
#include "core/log.h"
#include "service/chat_ref.h"
#include "service/service_internal.h"
#include "store/errors.h"

namespace wadesk::service {
namespace json = boost::json;

ServiceContext::ServiceContext(store::Repository& repo, EventBus& bus, MemoryAccessView& access,
                               auth::TokenAuthenticator& authenticator, Engine& engine, SharedServiceState& shared)
    : repo_(repo),
      bus_(bus),
      access_(access),
      authenticator_(authenticator),
      engine_(engine),
      state_mutex_(shared.state_mutex),
      qr_(shared.qr),
      session_status_(shared.session_status),
      session_company_(shared.session_company),
      send_mutex_(shared.send_mutex),
      handed_(shared.handed) {}

WadeskService::WadeskService(store::Repository& repo, EventBus& bus, MemoryAccessView& access,
                             auth::TokenAuthenticator& authenticator, Engine& engine, auth::LoginLimits login_limits)
    : context_(repo, bus, access, authenticator, engine, shared_),
      auth_(context_, login_limits),
      managers_(context_),
      operators_(context_),
      sessions_(context_),
      access_(context_, sessions_),
      chats_(context_),
      messages_(context_),
      groups_(context_, chats_),
      reports_(context_),
      inbound_(context_) {}

void OperatorService::LoadViews() {
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
    for (const auto& s : sessions) session_status_[s.id] = Name(s.status);
}

// A linked session is resumed unless someone stopped it (disconnected, logged out, failed): a
// crash can leave it "initializing" (each start reports that before it is connected again).
// Until the engine reports, the session reads "initializing": the stored status is the one from
// before the restart, and "connected" would promise a connection that does not exist yet.
void SessionService::ResumeSessions() {
    using domain::SessionStatus;
    for (const auto& s : repo_.ListSessionsByStatus(
             {SessionStatus::kConnected, SessionStatus::kReconnecting, SessionStatus::kInitializing})) {
        if (s.status == SessionStatus::kInitializing && s.jid.empty()) continue;  // never linked: nothing to resume
        spdlog::info("[WhatsApp] Resuming session {}", s.id);
        if (s.status != SessionStatus::kInitializing) {
            store::SessionPatch p;
            p.status = SessionStatus::kInitializing;
            p.status_reason = "";
            if (auto u = repo_.UpdateSession(s.id, p)) ApplySessionChange(*u);
        }
        engine_.Start(s);
    }
}

// --- helpers

void ServiceContext::RequireAdmin(const Actor& actor) const {
    if (!actor.who.IsAdmin()) Fail(ErrorCode::kForbidden, "this action needs the admin role");
}

domain::WaSession ServiceContext::VisibleSession(const Actor& actor, const std::string& id) {
    if (!IsWellFormedId(id) || !access_.CanRead(actor.who, id)) NotFound("session");
    auto s = repo_.FindSession(actor.who.company_id, id);
    if (!s) NotFound("session");
    return *s;
}

void ServiceContext::ReadableSession(const Actor& actor, const std::string& id) const {
    if (!IsWellFormedId(id) || !access_.CanRead(actor.who, id)) NotFound("session");
}

domain::User ServiceContext::OwnManager(const Actor& actor, const std::string& id) {
    if (!IsWellFormedId(id)) NotFound("manager");
    auto u = repo_.FindUser(actor.who.company_id, id);
    if (!u || u->role != domain::Role::kManager) NotFound("manager");
    return *u;
}

std::optional<domain::Chat> ServiceContext::ResolveChat(const Actor& actor, const std::string& session_id,
                                                        const std::string& chat_ref) {
    auto ref = ParseChatRef(chat_ref);
    if (!ref) return std::nullopt;
    if (ref->kind == ChatRef::Kind::kId) return repo_.FindChat(actor.who.company_id, session_id, ref->value);
    return repo_.FindChatByJid(actor.who.company_id, session_id, ref->value);
}

domain::Chat ServiceContext::RequireChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
    auto chat = ResolveChat(actor, session_id, chat_ref);
    if (!chat) NotFound("chat");
    return *chat;
}

void ServiceContext::WriteAudit(const Actor* actor, const std::string& company_id, const std::string& action,
                                const std::string& target_type, const std::string& target_id,
                                const json::object& details) {
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

domain::Event ServiceContext::MakeEvent(const std::string& company_id, const std::string& session_id,
                                        const std::string& name, const json::object& payload) {
    domain::Event e;
    e.company_id = company_id;
    e.session_id = session_id;
    e.name = name;
    e.payload_json = json::serialize(payload);
    return e;
}

void ServiceContext::Emit(const std::string& company_id, const std::string& session_id, const std::string& name,
                          const json::object& payload) {
    bus_.Publish(repo_.AppendEvent(MakeEvent(company_id, session_id, name, payload)));
}

void ServiceContext::ApplySessionChange(const domain::WaSession& s) {
    std::lock_guard lock(state_mutex_);
    session_status_[s.id] = Name(s.status);
    if (s.status != domain::SessionStatus::kQr) qr_.erase(s.id);
}

void ServiceContext::ValidateNewUser(const NewUser& user) const {
    ValidateEmail(user.email);
    ValidatePassword(user.password);
    ValidateName(user.name);
}

// --- operator

std::pair<domain::Company, domain::User> OperatorService::CreateCompany(const std::string& name, const NewUser& admin,
                                                                        int max_sessions) {
    std::string trimmed = Trim(name);
    if (trimmed.empty() || trimmed.size() > 200)
        Fail(ErrorCode::kInvalidField, "company name must be 1 to 200 bytes");
    if (max_sessions < 1 || max_sessions > 10000)
        Fail(ErrorCode::kInvalidField, "max sessions must be 1 to 10000");
    ValidateNewUser(admin);
    if (repo_.FindUserByEmail(StoredEmail(admin.email))) Fail(ErrorCode::kEmailTaken, "email is already in use");
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

domain::User ServiceContext::CreateUser(const std::string& company_id, const NewUser& nu) {
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
        Fail(ErrorCode::kEmailTaken, "email is already in use");
    }
    access_.PutUser(u);
    authenticator_.Upsert(u);
    return u;
}

std::int64_t OperatorService::CountCompanies() { return repo_.CountCompanies(); }

bool ReportService::Ping() { return repo_.Ping(); }

std::map<std::string, std::int64_t> SessionService::SessionsByStatus() {
    std::map<std::string, std::int64_t> out;
    for (const auto s : kAllStatuses) out[std::string(Name(s))] = 0;
    std::lock_guard lock(state_mutex_);
    for (const auto& [id, status] : session_status_) ++out[status];
    return out;
}

}  // namespace wadesk::service
