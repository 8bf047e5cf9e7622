// Statistics, audit log and the events feed.
#include "service/report_service.h"

#include <algorithm>

#include "service/service_internal.h"

namespace wadesk::service {

StatsView ReportService::Stats(const Actor& actor) {
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

store::Page<domain::AuditEntry> ReportService::Audit(const Actor& actor, int page, int limit) {
    RequireAdmin(actor);
    return repo_.ListAudit(actor.who.company_id, page, limit);
}

EventPage ReportService::Events(const Actor& actor, std::int64_t after, int limit) {
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

}  // namespace wadesk::service
