#pragma once
// What every service of the layer shares: its collaborators (the store, the event bus, the
// permission view, the authenticator, the engine), the state several services read and write,
// and the checks and writes every use case is built from. Each service (auth_service.h,
// session_service.h, chat_service.h, ..., inbound_adapter.h) derives from ServiceContext;
// WadeskService (wadesk_service.h) owns one SharedServiceState and hands every service the same
// context.
//
// Contract of every service:
// - Every method blocks on the database: call it from the worker pool, never an I/O thread.
// - Every method that takes an Actor enforces SPEC §2 rights itself: an object of another
//   company, or a session the actor may not read, is kNotFound; a visible object the actor may
//   not change is kForbidden. Failures throw ServiceError; store failures propagate as StoreError.
// - Every state change writes an audit entry (who, what, target, ip) and, where SPEC names one,
//   an event: Repository::AppendEvent, then EventBus::Publish. The in-memory views
//   (AccessView, the authenticator's user table) change right after the store change commits.
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "auth/token_authenticator.h"
#include "service/actor.h"
#include "service/engine.h"
#include "service/errors.h"
#include "service/event_bus.h"
#include "service/memory_access_view.h"
#include "store/repository.h"

namespace wadesk::service {

// A user to create (CLI, bootstrap, or an admin creating a manager).
struct NewUser {
    std::string email;
    std::string password;
    std::string name;
    domain::Role role = domain::Role::kManager;
};

// The QR a session shows while it waits to be linked (SessionService::GetQr).
struct QrState {
    std::string session_id;
    domain::SessionStatus status = domain::SessionStatus::kInitializing;
    std::string qr_text;  // empty when no QR is pending
    std::string png_data_url;
    std::int64_t expires_at_ms = 0;
};

// What several services read and write about live sessions, each part under its own mutex.
// Owned by WadeskService; every ServiceContext refers to the same one.
struct SharedServiceState {
    // Written by the engine's reports (InboundAdapter) and the session commands, read by
    // SessionService::GetQr, SessionService::SessionsByStatus and the receive path.
    std::mutex state_mutex;
    std::map<std::string, QrState> qr;                   // pending QR per session
    std::map<std::string, std::string> session_status;   // session id -> status, for metrics
    std::map<std::string, std::string> session_company;  // session id -> company id, for the receive path
    // Outgoing message ids handed to the engine since the session's last OnReady: the REST send
    // and the reconnect flush both hand pending messages, and each is handed once per connection.
    std::mutex send_mutex;
    std::map<std::string, std::set<std::string>> handed;  // session id -> message ids
};

// The base of every service: references to the collaborators and to the shared state (under the
// member names the use cases are written with), and the shared checks. Copyable: every service
// is built from a copy of the one context WadeskService makes. Everything it refers to outlives
// the services.
class ServiceContext {
public:
    ServiceContext(store::Repository& repo, EventBus& bus, MemoryAccessView& access,
                   auth::TokenAuthenticator& authenticator, Engine& engine, SharedServiceState& shared);

protected:
    void RequireAdmin(const Actor& actor) const;
    domain::WaSession VisibleSession(const Actor& actor, const std::string& id);
    // The read paths' check, from memory only: the access view knows every session with its
    // company, so a readable session exists and belongs to the actor's company.
    void ReadableSession(const Actor& actor, const std::string& id) const;
    domain::User OwnManager(const Actor& actor, const std::string& id);
    // chat_ref: our id, a JID or a phone number.
    std::optional<domain::Chat> ResolveChat(const Actor& actor, const std::string& session_id,
                                            const std::string& chat_ref);
    domain::Chat RequireChat(const Actor& actor, const std::string& session_id, const std::string& chat_ref);
    void WriteAudit(const Actor* actor, const std::string& company_id, const std::string& action,
                    const std::string& target_type, const std::string& target_id,
                    const boost::json::object& details = {});
    void Emit(const std::string& company_id, const std::string& session_id, const std::string& name,
              const boost::json::object& payload);
    // An event not stored yet: append it in a transaction, publish it after the commit.
    static domain::Event MakeEvent(const std::string& company_id, const std::string& session_id,
                                   const std::string& name, const boost::json::object& payload);
    // Records a session's new status in the shared state (and drops its QR once it left "qr").
    void ApplySessionChange(const domain::WaSession& session);
    void ValidateNewUser(const NewUser& user) const;
    // Stores a new user of company `company_id` and makes it known to the access view and the
    // authenticator (OperatorService::CreateUser, ManagerService::CreateManager). kConflict
    // "email_taken" when its email is in use.
    domain::User CreateUser(const std::string& company_id, const NewUser& user);
    // groups_service.cpp: runs a group request at WhatsApp for a session the actor manages chats
    // of, turning WhatsApp's refusals into ServiceErrors (GroupService, and ChatService renaming a
    // group).
    GroupAnswer RunGroupRequest(const domain::WaSession& session, const GroupRequest& request);
    // send.cpp: hands `m` (an outgoing row of session `s`) to the engine unless it was already
    // handed in the session's current connection (see SharedServiceState::handed).
    void HandToEngine(const domain::WaSession& s, const domain::Message& m);
    // send.cpp: drops a message that left "pending" from the handed set (it is never handed again anyway).
    void Forget(const std::string& session_id, const std::string& message_id);

    store::Repository& repo_;
    EventBus& bus_;
    MemoryAccessView& access_;
    auth::TokenAuthenticator& authenticator_;
    Engine& engine_;
    // The parts of SharedServiceState, by the names the use cases use.
    std::mutex& state_mutex_;
    std::map<std::string, QrState>& qr_;
    std::map<std::string, std::string>& session_status_;
    std::map<std::string, std::string>& session_company_;
    std::mutex& send_mutex_;
    std::map<std::string, std::set<std::string>>& handed_;
};

}  // namespace wadesk::service
