#pragma once
// The REST API's routes, one file per resource under src/http/routes/, registered by Api
// (api.cpp). A route is declared public or authenticated: RouteTable authenticates before an
// authenticated handler runs and hands it the actor, so no handler authenticates by hand and
// none can forget to. Internal to the http module.
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "http/json.h"
#include "http/message.h"
#include "http/router.h"
#include "service/wadesk_service.h"

namespace wadesk::http {

struct ApiOptions;
class Metrics;

// A handler of an authenticated route: `actor` is the caller the bearer token names.
using AuthedHandler = std::function<Response(Request& req, const service::Actor& actor)>;

class RouteTable {
public:
    // `authenticate` turns a request's Authorization header into the actor or throws HttpError
    // 401/400 (Api::Authenticate).
    RouteTable(Router& router, std::function<service::Actor(const Request&)> authenticate)
        : router_(router), authenticate_(std::move(authenticate)) {}

    void Public(std::string method, std::string path, Handler handler);
    void Authed(std::string method, std::string path, AuthedHandler handler);

private:
    Router& router_;
    std::function<service::Actor(const Request&)> authenticate_;
};

// What route handlers may use. REQUIRES: outlives the router (Api owns both).
struct RouteContext {
    service::WadeskService* service;  // null only when the routes are listed, never called
    Metrics& metrics;
    const ApiOptions& options;
};

void AddSystemRoutes(RouteTable& t, const RouteContext& ctx);   // routes/system.cpp
void AddAuthRoutes(RouteTable& t, const RouteContext& ctx);     // routes/auth.cpp
void AddManagerRoutes(RouteTable& t, const RouteContext& ctx);  // routes/managers.cpp
void AddSessionRoutes(RouteTable& t, const RouteContext& ctx);  // routes/sessions.cpp
void AddChatRoutes(RouteTable& t, const RouteContext& ctx);     // routes/chats.cpp
void AddContactRoutes(RouteTable& t, const RouteContext& ctx);  // routes/contacts.cpp
void AddMediaRoutes(RouteTable& t, const RouteContext& ctx);    // routes/media.cpp
void AddGroupRoutes(RouteTable& t, const RouteContext& ctx);    // routes/groups.cpp
void AddReportRoutes(RouteTable& t, const RouteContext& ctx);   // routes/reports.cpp

// POST .../chats/{chatId}/send as multipart/form-data (docs/api.md; routes/media.cpp): `file` (its
// filename and Content-Type kept), `message` (caption), `clientMessageId`, `quotedMessageId`,
// `type`. 400 invalid_multipart / invalid_field / missing_field, 413 payload_too_large beyond
// `max_file_bytes`.
Response SendMultipart(service::WadeskService& service, const service::Actor& actor, const Request& req,
                       std::uint64_t max_file_bytes);

// Runs `answer` and turns every failure it throws into its error response (one catch per
// request, also for the second half of a deferred response). Defined in api.cpp.
Response Guarded(const Request& req, const std::function<Response()>& answer);

// An optional body: empty means {}, anything else must be a JSON object.
boost::json::object OptionalObject(const Request& req);

namespace json = boost::json;

template <class T, class F>
json::object PageJson(const store::Page<T>& page, int page_no, int limit, F view) {
    json::array items;
    for (const auto& item : page.items) items.push_back(view(item));
    json::object o;
    o["items"] = std::move(items);
    o["total"] = page.total;
    o["page"] = page_no;
    o["limit"] = limit;
    return o;
}

// PageJson's text, written directly: {"items":[...],"total":n,"page":p,"limit":l}.
template <class T>
Response PageResponse(const store::Page<T>& page, int page_no, int limit, void (*append)(std::string&, const T&)) {
    std::string out;
    out.reserve(64 + page.items.size() * 512);
    out += "{\"items\":[";
    bool first = true;
    for (const auto& item : page.items) {
        if (!first) out += ',';
        first = false;
        append(out, item);
    }
    out += "],\"total\":";
    out += std::to_string(page.total);
    out += ",\"page\":";
    out += std::to_string(page_no);
    out += ",\"limit\":";
    out += std::to_string(limit);
    out += '}';
    return OkSerialized(out);
}

}  // namespace wadesk::http
