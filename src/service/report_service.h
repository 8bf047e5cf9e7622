#pragma once
// ReportService: what the company looks back on: statistics and the audit log (admin), the
// events feed (filtered by the caller's rights), and the store's health for /health.
// stats.cpp (Ping: wadesk_service.cpp). Contract: as every service (service/service_context.h).
#include <cstdint>
#include <vector>

#include "service/service_context.h"

namespace wadesk::service {

struct StatsView {
    store::CompanyStats stats;  // per_day filled to 30 days, zeros included
    std::vector<domain::WaSession> sessions;
};

struct EventPage {
    std::vector<domain::Event> items;
    std::int64_t last_id = 0;  // the highest id examined: pass as `after` to continue
};

class ReportService : private ServiceContext {
public:
    explicit ReportService(const ServiceContext& context) : ServiceContext(context) {}

    StatsView Stats(const Actor& actor);
    store::Page<domain::AuditEntry> Audit(const Actor& actor, int page, int limit);
    // The events after id `after` the actor may see: those of sessions it can read (QR events and
    // events of no session: admins only).
    EventPage Events(const Actor& actor, std::int64_t after, int limit);
    // Whether the store answers.
    bool Ping();
};

}  // namespace wadesk::service
