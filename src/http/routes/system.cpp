// Routes without a token: /health, /ready, /metrics, the web console's files, the OpenAPI document.
#include "http/api.h"
#include "http/console_assets.h"
#include "http/json.h"
#include "http/routes/routes.h"

namespace wadesk::http {
namespace json = boost::json;
using service::Actor;

void AddSystemRoutes(RouteTable& t, const RouteContext& ctx) {
    const RouteContext* c = &ctx;
    const std::string s = "/api/whatsapp/sessions";
    t.Public("GET", "/health", [](Request&) { return Ok(json::object{{"status", "ok"}}); });
    t.Public("GET", "/ready", [c](Request&) {
        bool ok = false;
        try {
            ok = c->service->reports().Ping();
        } catch (const std::exception&) {
        }
        if (!ok) throw HttpError(HttpErrorCode::kDatabaseUnavailable, "the database does not answer");
        return Ok(json::object{{"status", "ready"}});
    });
    t.Public("GET", "/metrics", [c](Request&) {
        std::string out;
        c->metrics.Render(out);
        out += "# HELP wadesk_sessions WhatsApp sessions by status.\n# TYPE wadesk_sessions gauge\n";
        for (const auto& [status, n] : c->service->sessions().SessionsByStatus())
            out += "wadesk_sessions{status=\"" + status + "\"} " + std::to_string(n) + "\n";
        if (c->options.extra_metrics) c->options.extra_metrics(out);
        Response resp;
        resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
        resp.body = std::move(out);
        return resp;
    });
    auto console_asset = [](std::string_view name) {
        const ConsoleAsset* asset = FindConsoleAsset(name);
        if (!asset) throw HttpError(HttpErrorCode::kNotFound, "no such console file");
        Response resp;
        resp.content_type = std::string(asset->content_type);
        resp.body = std::string(asset->body);
        resp.headers.emplace_back("Cache-Control", "no-cache");
        return resp;
    };
    t.Public("GET", "/", [console_asset](Request&) { return console_asset("index.html"); });
    t.Public("GET", "/console/{file}", [console_asset](Request& req) { return console_asset(req.Param("file")); });
    // The console's UI library (Preact, htm), named by index.html's import map.
    t.Public("GET", "/vendor/{file}", [console_asset](Request& req) { return console_asset("vendor/" + req.Param("file")); });
    // Browsers and tools ask for /favicon.ico whatever the page links: the console's icon.
    t.Public("GET", "/favicon.ico", [console_asset](Request&) { return console_asset("favicon.svg"); });
    t.Public("GET", "/api/openapi.json", [](Request&) {
        Response resp;
        resp.body = std::string(Api::OpenApiDocument());
        return resp;
    });
}

}  // namespace wadesk::http
