// Company-wide reads: /api/whatsapp/stats, /api/audit, /api/events (the durable event log).
#include <map>

#include "http/json.h"
#include "http/routes/routes.h"
#include "service/views.h"

namespace wadesk::http {
namespace json = boost::json;
using service::Actor;

void AddReportRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* svc = ctx.service;
    t.Authed("GET", "/api/whatsapp/stats", [svc](Request&, const Actor& actor) {
        auto v = svc->reports().Stats(actor);
        std::int64_t incoming = 0, outgoing = 0;
        json::array per_day;
        for (const auto& d : v.stats.per_day) {
            incoming += d.incoming;
            outgoing += d.outgoing;
            per_day.push_back(json::object{{"date", d.day},
                                           {"incoming", d.incoming},
                                           {"outgoing", d.outgoing},
                                           {"total", d.incoming + d.outgoing}});
        }
        std::map<std::string, store::SessionStats> by_session;
        for (const auto& ss : v.stats.per_session) by_session[ss.session_id] = ss;
        json::array per_session;
        for (const auto& session : v.sessions) {
            auto it = by_session.find(session.id);
            store::SessionStats ss = it != by_session.end() ? it->second : store::SessionStats{session.id, 0, 0, 0};
            per_session.push_back(json::object{{"sessionId", session.id},
                                               {"name", session.name},
                                               {"status", Name(session.status)},
                                               {"chats", ss.chats},
                                               {"incoming", ss.incoming},
                                               {"outgoing", ss.outgoing},
                                               {"total", ss.incoming + ss.outgoing}});
        }
        json::object data;
        data["activeSessions"] = v.stats.active_sessions;
        data["totalSessions"] = v.stats.total_sessions;
        data["totalChats"] = v.stats.total_chats;
        data["messages"] = json::object{{"incoming", incoming},
                                        {"outgoing", outgoing},
                                        {"total", incoming + outgoing},
                                        {"perDay", std::move(per_day)}};
        data["perSession"] = std::move(per_session);
        return Ok(std::move(data));
    });
    t.Authed("GET", "/api/audit", [svc](Request& req, const Actor& actor) {
        int page = QueryInt(req, "page", 1, 1, 1'000'000);
        int limit = QueryInt(req, "limit", 50, 1, 200);
        return Ok(PageJson(svc->reports().Audit(actor, page, limit), page, limit, service::AuditView));
    });
    t.Authed("GET", "/api/events", [svc](Request& req, const Actor& actor) {
        std::int64_t after = QueryInt64(req, "after", 0).value_or(0);
        int limit = QueryInt(req, "limit", 100, 1, 200);
        auto page = svc->reports().Events(actor, after, limit);
        json::array items;
        for (const auto& e : page.items) items.push_back(service::EventView(e));
        return Ok(json::object{{"items", std::move(items)}, {"lastId", page.last_id}});
    });
}

}  // namespace wadesk::http
