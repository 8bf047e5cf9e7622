#include "http/router.h"

#include <algorithm>

namespace wadesk::http {

std::vector<std::string> Router::Split(const std::string& path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    if (!path.empty() && path[0] == '/') i = 1;
    while (i <= path.size()) {
        auto slash = path.find('/', i);
        if (slash == std::string::npos) {
            out.push_back(path.substr(i));
            break;
        }
        out.push_back(path.substr(i, slash - i));
        i = slash + 1;
    }
    return out;
}

void Router::Add(std::string method, std::string path_template, Handler handler, bool auth) {
    Route route;
    route.segments = Split(path_template);
    route.info = RouteInfo{std::move(method), std::move(path_template), auth};
    route.handler = std::move(handler);
    routes_.push_back(std::move(route));
}

int Router::Score(const Route& route, const std::vector<std::string>& segments,
                  std::map<std::string, std::string>* params) {
    if (route.segments.size() != segments.size()) return -1;
    int score = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string& pattern = route.segments[i];
        bool is_param = pattern.size() >= 2 && pattern.front() == '{' && pattern.back() == '}';
        if (is_param) {
            if (segments[i].empty()) return -1;
            if (params) (*params)[pattern.substr(1, pattern.size() - 2)] = segments[i];
        } else {
            if (pattern != segments[i]) return -1;
            score += 1 << (segments.size() - i);  // earlier literal segments weigh more
        }
    }
    return score;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
    Match match;
    auto segments = Split(path);
    const Route* best = nullptr;
    int best_score = -1;
    int best_any_score = -1;
    const Route* best_any = nullptr;
    for (const auto& route : routes_) {
        int score = Score(route, segments, nullptr);
        if (score < 0) continue;
        if (score > best_any_score) {
            best_any_score = score;
            best_any = &route;
        }
        // HEAD is served by every GET route (the server sends the headers without the body).
        const bool method_matches = route.info.method == method || (method == "HEAD" && route.info.method == "GET");
        if (method_matches && score > best_score) {
            best_score = score;
            best = &route;
        }
    }
    if (!best_any) return match;
    // The most specific template decides; a less specific one with the right method does not
    // steal its path ("/x/stats" with POST is 405, not "/x/{id}").
    if (best && best_score == best_any_score) {
        match.kind = MatchKind::kFound;
        match.handler = &best->handler;
        match.route = best->info.path;
        Score(*best, segments, &match.params);
        return match;
    }
    match.kind = MatchKind::kMethodNotAllowed;
    match.route = best_any->info.path;
    for (const auto& route : routes_) {
        if (route.info.path == best_any->info.path &&
            std::find(match.allowed.begin(), match.allowed.end(), route.info.method) == match.allowed.end())
            match.allowed.push_back(route.info.method);
    }
    if (std::find(match.allowed.begin(), match.allowed.end(), "GET") != match.allowed.end()) match.allowed.push_back("HEAD");
    return match;
}

std::vector<RouteInfo> Router::Routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const auto& r : routes_) out.push_back(r.info);
    return out;
}

}  // namespace wadesk::http
