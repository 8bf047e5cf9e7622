// /api/managers: the company's managers (admins only, enforced by the service).
#include "http/json.h"
#include "http/routes/routes.h"
#include "service/views.h"

namespace wadesk::http {
namespace json = boost::json;
using service::Actor;

void AddManagerRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* svc = ctx.service;
    t.Authed("GET", "/api/managers", [svc](Request&, const Actor& actor) {
        json::array out;
        for (const auto& u : svc->managers().ListManagers(actor)) out.push_back(service::UserView(u));
        return Ok(std::move(out));
    });
    t.Authed("POST", "/api/managers", [svc](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"email", "password", "name"});
        service::NewUser nu;
        nu.email = RequiredString(body, "email");
        nu.password = RequiredString(body, "password");
        nu.name = OptionalString(body, "name").value_or("");
        return Ok(service::UserView(svc->managers().CreateManager(actor, nu)), 201);
    });
    t.Authed("PATCH", "/api/managers/{managerId}", [svc](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"email", "password", "name", "disabled"});
        service::ManagerPatch p;
        p.name = OptionalString(body, "name");
        p.email = OptionalString(body, "email");
        p.password = OptionalString(body, "password");
        p.disabled = OptionalBool(body, "disabled");
        return Ok(service::UserView(svc->managers().UpdateManager(actor, req.Param("managerId"), p)));
    });
    t.Authed("DELETE", "/api/managers/{managerId}", [svc](Request& req, const Actor& actor) {
        svc->managers().DeleteManager(actor, req.Param("managerId"));
        return Ok(json::object{{"deleted", true}});
    });
    t.Authed("POST", "/api/managers/{managerId}/logout-all", [svc](Request& req, const Actor& actor) {
        svc->managers().LogoutManager(actor, req.Param("managerId"));
        return Ok(json::object{{"loggedOut", true}});
    });
}

}  // namespace wadesk::http
