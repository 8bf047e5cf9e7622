#pragma once
// WhatsApp sessions (linked accounts).
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

struct SessionPatch {
    std::optional<std::string> name;
    std::optional<SessionStatus> status;
    std::optional<std::string> status_reason;
    std::optional<std::string> phone_number;
    std::optional<std::string> display_name;
    std::optional<std::string> jid;
    std::optional<std::int64_t> connected_at;
    std::optional<std::string> history_sync;
};

class SessionRepository {
public:
    virtual ~SessionRepository() = default;

    virtual WaSession CreateSession(const WaSession& session) = 0;
    virtual std::optional<WaSession> FindSession(std::string_view company_id, std::string_view id) = 0;
    virtual std::optional<WaSession> FindSessionById(std::string_view id) = 0;  // engine side, no company
    virtual std::vector<WaSession> ListSessions(std::string_view company_id) = 0;
    // Sessions of every company with one of `statuses`: what a starting node resumes.
    virtual std::vector<WaSession> ListSessionsByStatus(const std::vector<SessionStatus>& statuses) = 0;
    virtual std::int64_t CountSessions(std::string_view company_id) = 0;
    virtual std::optional<WaSession> UpdateSession(std::string_view id, const SessionPatch& patch) = 0;
    // Removes the session, its grants and credentials; with purge also chats, messages, contacts,
    // events.
    virtual bool DeleteSession(std::string_view company_id, std::string_view id, bool purge) = 0;
};

}  // namespace wadesk::store
