// WhatsApp sessions: create, read, rename, delete, QR, stop, start, pairing code.
#include "service/session_service.h"

#include <boost/json/value.hpp>

#include <algorithm>

#include "core/log.h"
#include "service/chat_ref.h"
#include "service/service_internal.h"

namespace wadesk::service {
namespace json = boost::json;

std::vector<domain::WaSession> SessionService::ListSessions(const Actor& actor) {
    auto all = repo_.ListSessions(actor.who.company_id);
    std::erase_if(all, [&](const domain::WaSession& s) { return !access_.CanRead(actor.who, s.id); });
    return all;
}

namespace {

void ValidateHistory(const std::string& history) {
    if (history != domain::kHistoryNone && history != domain::kHistoryRecent && history != domain::kHistoryFull)
        Fail(ErrorCode::kInvalidHistory, "history must be none, recent or full");
}

}  // namespace

domain::WaSession SessionService::CreateSession(const Actor& actor, const std::string& name_in,
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
        Fail(ErrorCode::kSessionLimitReached,
             "this company already has " + std::to_string(count) + " of " + std::to_string(company->max_sessions) +
                 " allowed sessions");
    spdlog::info("[WhatsApp] Creating a new session for company {}", company->id);
    domain::WaSession s;
    s.company_id = company->id;
    s.name = name.empty() ? "WhatsApp " + std::to_string(count + 1) : name;
    s.status = domain::SessionStatus::kInitializing;
    s.history_sync = history;
    s = repo_.CreateSession(s);
    access_.PutSession(s.id, s.company_id);
    ApplySessionChange(s);
    WriteAudit(&actor, s.company_id, "session.create", "session", s.id, {{"name", s.name}});
    Emit(s.company_id, s.id, "whatsapp:session_status", {{"sessionId", s.id}, {"status", Name(s.status)}, {"reason", nullptr}});
    engine_.Start(s);
    spdlog::info("[WhatsApp] Session {} created and initialized", s.id);
    return s;
}

domain::WaSession SessionService::GetSession(const Actor& actor, const std::string& id) {
    return VisibleSession(actor, id);
}

void SessionService::DeleteSession(const Actor& actor, const std::string& id, bool purge) {
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

domain::WaSession SessionService::UpdateSession(const Actor& actor, const std::string& id,
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
         {{"sessionId", s.id}, {"status", Name(updated->status)}, {"name", updated->name},
          {"reason", updated->status_reason.empty() ? json::value(nullptr) : json::value(updated->status_reason)}});
    return *updated;
}

QrState SessionService::GetQr(const Actor& actor, const std::string& id) {
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

domain::WaSession SessionService::Disconnect(const Actor& actor, const std::string& id) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    engine_.Logout(s.id);
    repo_.DeleteCredentials(s.id);
    store::SessionPatch p;
    p.status = domain::SessionStatus::kLoggedOut;
    p.status_reason = "disconnected_by_admin";
    auto updated = repo_.UpdateSession(s.id, p);
    if (!updated) NotFound("session");
    ApplySessionChange(*updated);
    WriteAudit(&actor, s.company_id, "session.disconnect", "session", s.id);
    Emit(s.company_id, s.id, "whatsapp:disconnected", {{"sessionId", s.id}, {"reason", "disconnected_by_admin"}});
    Emit(s.company_id, s.id, "whatsapp:session_status",
         {{"sessionId", s.id}, {"status", Name(updated->status)}, {"reason", updated->status_reason}});
    spdlog::info("[WhatsApp] Session {} disconnected by {}", s.id, actor.who.user_id);
    return *updated;
}

domain::WaSession SessionService::StartSession(const Actor& actor, const std::string& id) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    if (IsLive(s.status))
        Fail(ErrorCode::kSessionAlreadyConnected, "the session is " + std::string(Name(s.status)) + "; disconnect it first");
    store::SessionPatch p;
    p.status = domain::SessionStatus::kInitializing;
    p.status_reason = "";
    auto updated = repo_.UpdateSession(s.id, p);
    if (!updated) NotFound("session");
    ApplySessionChange(*updated);
    WriteAudit(&actor, s.company_id, "session.start", "session", s.id);
    Emit(s.company_id, s.id, "whatsapp:session_status",
         {{"sessionId", s.id}, {"status", Name(updated->status)}, {"reason", nullptr}});
    engine_.Start(*updated);
    spdlog::info("[WhatsApp] Session {} starting", s.id);
    return *updated;
}

std::string SessionService::RequestPairingCode(const Actor& actor, const std::string& id, const std::string& phone) {
    domain::WaSession s = VisibleSession(actor, id);
    RequireAdmin(actor);
    auto digits = NormalizePhone(phone);
    if (!digits)
        Fail(ErrorCode::kInvalidField,
             "field 'phoneNumber' must be an international number: 7 to 15 digits, optional leading +");
    if (IsLive(s.status)) Fail(ErrorCode::kSessionAlreadyConnected, "the session is already linked");
    auto code = engine_.RequestPairingCode(s.id, *digits);
    // session_not_pairing is kConflict and phone_not_registered kUnprocessable by their code.
    if (!code) throw ServiceError(code.error(), FailureKind::kUnavailable);
    WriteAudit(&actor, s.company_id, "session.pairing_code", "session", s.id, {{"phoneNumber", *digits}});
    return *code;
}

}  // namespace wadesk::service
