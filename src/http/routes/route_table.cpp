// RouteTable, and the small request helpers every routes file shares.
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

void RejectUnknown(const json::object& o, std::initializer_list<std::string_view> known) {
    for (const auto& kv : o) {
        bool ok = false;
        for (auto k : known) ok = ok || kv.key() == k;
        if (!ok) throw HttpError(400, "unknown_field", "unknown field '" + std::string(kv.key()) + "'");
    }
}

}  // namespace wadesk::http
