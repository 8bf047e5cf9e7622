// REST routes of WhatsApp groups (docs/api.md "Groups"):
//   GET  /api/whatsapp/sessions/{sessionId}/chats/{chatId}/participants
//        → [{jid, phone, lid, name, admin: none|admin|superadmin}] (read access; 404 not_a_group)
//   POST /api/whatsapp/sessions/{sessionId}/groups {subject, participants} → 201 chat
//   POST /api/whatsapp/sessions/{sessionId}/chats/{chatId}/participants {action, participants}
//        → [{jid, status: ok|already_participant|not_participant|invite_required|refused_<code>}]
//   POST /api/whatsapp/sessions/{sessionId}/chats/{chatId}/leave → {left: true}
//   GET  /api/whatsapp/sessions/{sessionId}/messages/{messageId}/receipts
//        → [{jid, phone, name, status, at}] one per recipient (read access; 404 not_found)
// (The subject changes through PATCH .../chats/{chatId} with `name`.)
#include "http/routes/routes.h"
#include "service/views.h"

namespace wadesk::http {
using service::Actor;

void AddGroupRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* svc = ctx.service;
    const std::string s = "/api/whatsapp/sessions";
    t.Authed("GET", s + "/{sessionId}/chats/{chatId}/participants", [svc](Request& req, const Actor& actor) {
        json::array out;
        for (const auto& p : svc->groups().GroupParticipants(actor, req.Param("sessionId"), req.Param("chatId")))
            out.push_back(service::GroupParticipantView(p));
        return Ok(std::move(out));
    });
    auto strings = [](const json::object& body, std::string_view key) {
        std::vector<std::string> out;
        auto it = body.find(key);
        if (it == body.end() || !it->value().is_array())
            throw HttpError(HttpErrorCode::kInvalidField,
                            "field '" + std::string(key) + "' must be an array of strings");
        for (const auto& v : it->value().as_array()) {
            if (!v.is_string())
                throw HttpError(HttpErrorCode::kInvalidField,
                                "field '" + std::string(key) + "' must be an array of strings");
            out.emplace_back(v.as_string());
        }
        return out;
    };
    t.Authed("POST", s + "/{sessionId}/groups", [svc, strings](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"subject", "participants"});
        const std::string subject = RequiredString(body, "subject");
        auto chat = svc->groups().CreateGroup(actor, req.Param("sessionId"), subject, strings(body, "participants"));
        return Ok(service::ChatView(chat), 201);
    });
    t.Authed("POST", s + "/{sessionId}/chats/{chatId}/participants", [svc, strings](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"action", "participants"});
        const std::string action = RequiredString(body, "action");
        json::array out;
        for (const auto& [jid, status] : svc->groups().ChangeGroupParticipants(
                 actor, req.Param("sessionId"), req.Param("chatId"), action, strings(body, "participants")))
            out.push_back(json::object{{"jid", jid}, {"status", status}});
        return Ok(std::move(out));
    });
    t.Authed("GET", s + "/{sessionId}/messages/{messageId}/receipts", [svc](Request& req, const Actor& actor) {
        json::array out;
        for (const auto& r : svc->messages().MessageReceipts(actor, req.Param("sessionId"), req.Param("messageId")))
            out.push_back(service::ReceiptView(r));
        return Ok(std::move(out));
    });
    t.Authed("POST", s + "/{sessionId}/chats/{chatId}/leave", [svc](Request& req, const Actor& actor) {
        svc->groups().LeaveGroup(actor, req.Param("sessionId"), req.Param("chatId"));
        return Ok(json::object{{"left", true}});
    });
}

}  // namespace wadesk::http
