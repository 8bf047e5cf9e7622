// GET /api/whatsapp/sessions/{sessionId}/contacts: the session's contacts (canRead), paged and
// searchable like the chat list.
#include "http/api.h"
#include "http/json.h"
#include "http/page_json.h"
#include "service/views.h"

namespace wadesk::http {

void Api::RegisterContactRoutes() {
    router_.Add("GET", "/api/whatsapp/sessions/{sessionId}/contacts", [this](Request& req) {
        service::Actor actor = Authenticate(req);
        service::ContactFilter f;
        f.page = QueryInt(req, "page", 1, 1, 1'000'000);
        f.limit = QueryInt(req, "limit", 50, 1, 200);
        f.search = req.Query("search").value_or("");
        if (f.search.size() > 200) throw HttpError(400, "invalid_query", "query parameter 'search' is too long");
        return Ok(PageJson(service_->ListContacts(actor, req.Param("sessionId"), f), f.page, f.limit,
                           service::ContactView));
    });
}

}  // namespace wadesk::http
