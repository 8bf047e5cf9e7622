#pragma once
// SessionService: the company's WhatsApp sessions: list, create, read, rename, delete, QR, stop,
// start, pairing code; resuming them after a restart and counting them by status.
// sessions.cpp (ResumeSessions and SessionsByStatus: wadesk_service.cpp).
// Contract: as every service (service/service_context.h).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "service/service_context.h"

namespace wadesk::service {

class SessionService : private ServiceContext {
public:
    explicit SessionService(const ServiceContext& context) : ServiceContext(context) {}

    // The sessions of the actor's company it can read.
    std::vector<domain::WaSession> ListSessions(const Actor& actor);
    // Admin. `history`: domain::kHistoryNone / kHistoryRecent / kHistoryFull ("" = recent);
    // anything else fails with invalid_history.
    domain::WaSession CreateSession(const Actor& actor, const std::string& name, const std::string& history = "");
    domain::WaSession GetSession(const Actor& actor, const std::string& id);
    // Admin: a new name and/or history setting (the setting applies from the next link). Emits
    // whatsapp:session_status (with the new name) so open consoles show it.
    domain::WaSession UpdateSession(const Actor& actor, const std::string& id, const std::optional<std::string>& name,
                                    const std::optional<std::string>& history);
    void DeleteSession(const Actor& actor, const std::string& id, bool purge);
    QrState GetQr(const Actor& actor, const std::string& id);
    domain::WaSession Disconnect(const Actor& actor, const std::string& id);
    domain::WaSession StartSession(const Actor& actor, const std::string& id);
    std::string RequestPairingCode(const Actor& actor, const std::string& id, const std::string& phone);

    // Starts the engine for sessions that were connected (or reconnecting) before a restart.
    void ResumeSessions();
    // Sessions per status, from memory, for /metrics.
    std::map<std::string, std::int64_t> SessionsByStatus();
};

}  // namespace wadesk::service
