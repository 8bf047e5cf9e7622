#pragma once
// Method + path-template routing. Templates are literal segments and "{name}" parameters, each
// parameter matching exactly one non-empty segment ("/api/whatsapp/sessions/{id}/qr").
// Literal segments win over parameters at the same position, so "/a/stats" beats "/a/{id}".
#include <functional>
#include <string>
#include <vector>

#include "http/message.h"

namespace wadesk::http {

using Handler = std::function<Response(Request&)>;

struct RouteInfo {
    std::string method;
    std::string path;     // the template
    bool auth = true;     // needs a bearer token (documentation and the route table)
};

class Router {
public:
    void Add(std::string method, std::string path_template, Handler handler, bool auth = true);

    enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };
    struct Match {
        MatchKind kind = MatchKind::kNotFound;
        const Handler* handler = nullptr;
        std::string route;                        // template when found or method mismatch
        std::map<std::string, std::string> params;
        std::vector<std::string> allowed;         // methods of the path, for 405
    };
    // REQUIRES: `path` is percent-decoded. A trailing slash is not ignored. HEAD finds the GET
    // route of the path (and is listed in `allowed` wherever GET is).
    Match Find(const std::string& method, const std::string& path) const;

    std::vector<RouteInfo> Routes() const;        // in registration order

private:
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;        // "{x}" kept as is
        Handler handler;
    };
    static std::vector<std::string> Split(const std::string& path);
    // Score: higher is more specific (literal segments count more), -1 when no match.
    static int Score(const Route& route, const std::vector<std::string>& segments,
                     std::map<std::string, std::string>* params);
    std::vector<Route> routes_;
};

}  // namespace wadesk::http
