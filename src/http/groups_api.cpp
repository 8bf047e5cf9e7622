// REST routes of WhatsApp groups (docs/api.md "Groups"):
//   GET /api/whatsapp/sessions/{sessionId}/chats/{chatId}/participants
//       → [{jid, phone, lid, name, admin: none|admin|superadmin}] (read access; 404 not_a_group)
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
}

}  // namespace wadesk::http
