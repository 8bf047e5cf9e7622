// REST routes of WhatsApp groups (docs/api.md "Groups"):
//   GET  /api/whatsapp/sessions/{sessionId}/chats/{chatId}/participants
//        → [{jid, phone, lid, name, admin: none|admin|superadmin}] (read access; 404 not_a_group)
//   POST /api/whatsapp/sessions/{sessionId}/groups {subject, participants} → 201 chat
//   POST /api/whatsapp/sessions/{sessionId}/chats/{chatId}/participants {action, participants}
//        → [{jid, status: ok|already_participant|not_participant|invite_required|refused_<code>}]
//   POST /api/whatsapp/sessions/{sessionId}/chats/{chatId}/leave → {left: true}
// (The subject changes through PATCH .../chats/{chatId} with `name`.)
#include <boost/json.hpp>

#include "http/api.h"
#include "http/json.h"
#include "service/views.h"

namespace wadesk::http {
namespace json = boost::json;

void Api::RegisterGroups() {
    const std::string s = "/api/whatsapp/sessions";
    router_.Add("GET", s + "/{sessionId}/chats/{chatId}/participants", [this](Request& req) {
        service::Actor actor = Authenticate(req);
        json::array out;
        for (const auto& p : service_->GroupParticipants(actor, req.Param("sessionId"), req.Param("chatId")))
            out.push_back(service::GroupParticipantView(p));
        return Ok(std::move(out));
    });
    auto strings = [](const json::object& body, std::string_view key) {
        std::vector<std::string> out;
        auto it = body.find(key);
        if (it == body.end() || !it->value().is_array())
            throw HttpError(400, "invalid_field", "field '" + std::string(key) + "' must be an array of strings");
        for (const auto& v : it->value().as_array()) {
            if (!v.is_string())
                throw HttpError(400, "invalid_field", "field '" + std::string(key) + "' must be an array of strings");
            out.emplace_back(v.as_string());
        }
        return out;
    };
    router_.Add("POST", s + "/{sessionId}/groups", [this, strings](Request& req) {
        service::Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"subject", "participants"});
        const std::string subject = RequiredString(body, "subject");
        auto chat = service_->CreateGroup(actor, req.Param("sessionId"), subject, strings(body, "participants"));
        return Ok(service::ChatView(chat), 201);
    });
    router_.Add("POST", s + "/{sessionId}/chats/{chatId}/participants", [this, strings](Request& req) {
        service::Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"action", "participants"});
        const std::string action = RequiredString(body, "action");
        json::array out;
        for (const auto& [jid, status] : service_->ChangeGroupParticipants(actor, req.Param("sessionId"),
                                                                          req.Param("chatId"), action,
                                                                          strings(body, "participants")))
            out.push_back(json::object{{"jid", jid}, {"status", status}});
        return Ok(std::move(out));
    });
    router_.Add("POST", s + "/{sessionId}/chats/{chatId}/leave", [this](Request& req) {
        service::Actor actor = Authenticate(req);
        service_->LeaveGroup(actor, req.Param("sessionId"), req.Param("chatId"));
        return Ok(json::object{{"left", true}});
    });
}

}  // namespace wadesk::http
