// RouteTable, and OptionalObject for the routes files.
#include "http/routes/routes.h"

namespace wadesk::http {

void RouteTable::Public(std::string method, std::string path, Handler handler) {
    router_.Add(std::move(method), std::move(path), std::move(handler), false);
}

void RouteTable::Authed(std::string method, std::string path, AuthedHandler handler) {
    router_.Add(std::move(method), std::move(path),
                [authenticate = authenticate_, handler = std::move(handler)](Request& req) {
                    const service::Actor actor = authenticate(req);
                    return handler(req, actor);
                });
}

json::object OptionalObject(const Request& req) {
    if (req.body.empty()) return {};
    return ParseJsonObject(req);
}

}  // namespace wadesk::http
