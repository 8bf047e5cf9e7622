#pragma once
// The service layer of one wadesk process: WadeskService owns one instance of each service and
// the state they share, and wires them together. It holds no use case itself: callers take the
// service they need (services.chats().ListChats(...)) and the engine reports to inbound().
//
// The services (one header each; their contract: service/service_context.h):
//   auth()       AuthService      sign-in, sign-out, who am I, external identities
//   managers()   ManagerService   the company's managers (admin)
//   operators()  OperatorService  start-up views, the command line's companies and users
//   sessions()   SessionService   WhatsApp sessions: lifecycle, QR, pairing, resume, metrics
//   access()     AccessService    grants on sessions, the caller's own rights
//   chats()      ChatService      chats, their messages page by page, contacts
//   messages()   MessageService   sending, media files, receipts per recipient
//   groups()     GroupService     group members and group management at WhatsApp
//   reports()    ReportService    stats, audit log, events feed, store health
//   inbound()    InboundAdapter   the engine's events (EngineEvents)
#include "auth/rate_limiter.h"
#include "auth/token_authenticator.h"
#include "service/access_service.h"
#include "service/auth_service.h"
#include "service/chat_service.h"
#include "service/engine.h"
#include "service/event_bus.h"
#include "service/group_service.h"
#include "service/inbound_adapter.h"
#include "service/manager_service.h"
#include "service/memory_access_view.h"
#include "service/message_service.h"
#include "service/operator_service.h"
#include "service/report_service.h"
#include "service/service_context.h"
#include "service/session_service.h"
#include "store/blob_store.h"
#include "store/repository.h"

namespace wadesk::service {

class WadeskService {
public:
    // Everything given outlives this object. Hand inbound() to the engine (Engine::SetEvents),
    // then call operators().LoadViews() before serving.
    WadeskService(store::Repository& repo, EventBus& bus, MemoryAccessView& access,
                  auth::TokenAuthenticator& authenticator, Engine& engine, auth::LoginLimits login_limits = {});
    WadeskService(const WadeskService&) = delete;
    WadeskService& operator=(const WadeskService&) = delete;

    // Where decrypted files are kept (MessageService::SetBlobStore).
    void SetBlobStore(store::BlobStore* blobs) { messages_.SetBlobStore(blobs); }

    AuthService& auth() { return auth_; }
    ManagerService& managers() { return managers_; }
    OperatorService& operators() { return operators_; }
    SessionService& sessions() { return sessions_; }
    AccessService& access() { return access_; }
    ChatService& chats() { return chats_; }
    MessageService& messages() { return messages_; }
    GroupService& groups() { return groups_; }
    ReportService& reports() { return reports_; }
    InboundAdapter& inbound() { return inbound_; }

private:
    // Declared first: every service refers to it.
    SharedServiceState shared_;
    ServiceContext context_;
    AuthService auth_;
    ManagerService managers_;
    OperatorService operators_;
    SessionService sessions_;
    AccessService access_;  // uses sessions_
    ChatService chats_;
    MessageService messages_;
    GroupService groups_;  // uses chats_
    ReportService reports_;
    InboundAdapter inbound_;
};

}  // namespace wadesk::service
