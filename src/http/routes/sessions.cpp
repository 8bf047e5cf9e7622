// /api/whatsapp/sessions: linked WhatsApp accounts (create, rename, link by QR or pairing code,
// disconnect, restart, delete) and the managers' rights on each.
#include "http/json.h"
#include "http/routes/routes.h"
#include "service/views.h"

namespace wadesk::http {
namespace json = boost::json;
using service::Actor;

void AddSessionRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* svc = ctx.service;
    const std::string s = "/api/whatsapp/sessions";
    t.Authed("GET", s, [svc](Request&, const Actor& actor) {
        json::array out;
        for (const auto& session : svc->sessions().ListSessions(actor)) out.push_back(service::SessionView(session));
        return Ok(std::move(out));
    });
    t.Authed("POST", s, [svc](Request& req, const Actor& actor) {
        auto body = OptionalObject(req);
        RejectUnknown(body, {"name", "history"});
        auto session = svc->sessions().CreateSession(actor, OptionalString(body, "name").value_or(""),
                                                     OptionalString(body, "history").value_or(""));
        json::object data = service::SessionView(session);
        data["sessionId"] = session.id;
        return Ok(std::move(data), 201);
    });
    t.Authed("GET", s + "/{sessionId}", [svc](Request& req, const Actor& actor) {
        return Ok(service::SessionView(svc->sessions().GetSession(actor, req.Param("sessionId"))));
    });
    t.Authed("PATCH", s + "/{sessionId}", [svc](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"name", "history"});
        auto name = OptionalString(body, "name");
        auto history = OptionalString(body, "history");
        if (!name && !history) throw HttpError(HttpErrorCode::kEmptyPatch, "nothing to update: give name or history");
        return Ok(service::SessionView(svc->sessions().UpdateSession(actor, req.Param("sessionId"), name, history)));
    });
    t.Authed("DELETE", s + "/{sessionId}", [svc](Request& req, const Actor& actor) {
        bool purge = QueryBool(req, "purge").value_or(false);
        svc->sessions().DeleteSession(actor, req.Param("sessionId"), purge);
        return Ok(json::object{{"deleted", true}, {"purged", purge}});
    });
    t.Authed("GET", s + "/{sessionId}/qr", [svc](Request& req, const Actor& actor) {
        auto qr = svc->sessions().GetQr(actor, req.Param("sessionId"));
        json::object data;
        data["sessionId"] = qr.session_id;
        data["status"] = Name(qr.status);
        bool has = !qr.qr_text.empty();
        data["qrCode"] = has ? json::value(qr.png_data_url) : json::value(nullptr);
        data["qr"] = has ? json::value(qr.qr_text) : json::value(nullptr);
        data["expiresAt"] = has ? service::IsoOrNull(qr.expires_at_ms) : json::value(nullptr);
        return Ok(std::move(data));
    });
    t.Authed("POST", s + "/{sessionId}/disconnect", [svc](Request& req, const Actor& actor) {
        return Ok(service::SessionView(svc->sessions().Disconnect(actor, req.Param("sessionId"))));
    });
    t.Authed("POST", s + "/{sessionId}/start", [svc](Request& req, const Actor& actor) {
        return Ok(service::SessionView(svc->sessions().StartSession(actor, req.Param("sessionId"))));
    });
    t.Authed("POST", s + "/{sessionId}/pairing-code", [svc](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"phoneNumber"});
        std::string phone = RequiredString(body, "phoneNumber");
        std::string code = svc->sessions().RequestPairingCode(actor, req.Param("sessionId"), phone);
        return Ok(json::object{{"sessionId", req.Param("sessionId")}, {"pairingCode", code}});
    });

    t.Authed("GET", s + "/{sessionId}/access", [svc](Request& req, const Actor& actor) {
        json::array out;
        for (const auto& a : svc->access().ListAccess(actor, req.Param("sessionId")))
            out.push_back(service::AccessGrantView(a));
        return Ok(std::move(out));
    });
    t.Authed("POST", s + "/{sessionId}/access", [svc](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"managerId", "canRead", "canWrite", "canManageChats"});
        service::GrantRequest g;
        g.manager_id = RequiredString(body, "managerId");
        g.can_read = OptionalBool(body, "canRead").value_or(true);
        g.can_write = OptionalBool(body, "canWrite").value_or(false);
        g.can_manage_chats = OptionalBool(body, "canManageChats").value_or(false);
        return Ok(service::AccessGrantView(svc->access().Grant(actor, req.Param("sessionId"), g)));
    });
    t.Authed("DELETE", s + "/{sessionId}/access/{managerId}", [svc](Request& req, const Actor& actor) {
        svc->access().Revoke(actor, req.Param("sessionId"), req.Param("managerId"));
        return Ok(json::object{{"revoked", true}});
    });
}

}  // namespace wadesk::http
