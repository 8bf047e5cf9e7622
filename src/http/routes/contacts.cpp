// GET /api/whatsapp/sessions/{sessionId}/contacts: the session's contacts (canRead), paged and
// searchable like the chat list.
#include "http/routes/routes.h"

#include "service/views.h"

namespace wadesk::http {
using service::Actor;

void AddContactRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* svc = ctx.service;
    t.Authed("GET", "/api/whatsapp/sessions/{sessionId}/contacts", [svc](Request& req, const Actor& actor) {
        service::ContactFilter f;
        f.page = QueryInt(req, "page", 1, 1, 1'000'000);
        f.limit = QueryInt(req, "limit", 50, 1, 200);
        f.search = req.Query("search").value_or("");
        if (f.search.size() > 200)
            throw HttpError(HttpErrorCode::kInvalidQuery, "query parameter 'search' is too long");
        return Ok(PageJson(svc->chats().ListContacts(actor, req.Param("sessionId"), f), f.page, f.limit,
                           service::ContactView));
    });
}

}  // namespace wadesk::http
