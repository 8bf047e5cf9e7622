#pragma once
// The REST API: every route of SPEC §1–§6 registered on one Router, plus /health, /ready,
// /metrics and /api/openapi.json; the routes live one file per resource in src/http/routes/.
// Dispatch() is the server's Dispatcher: it parses the target, routes (404 not_found / 405
// method_not_allowed), runs the handler (authenticated first when the route says so) and turns
// every failure into the error envelope with one catch per request. Runs on the worker pool.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "auth/password_pool.h"
#include "auth/token_authenticator.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/routes/routes.h"
#include "service/wadesk_service.h"

namespace wadesk::http {

struct ApiOptions {
    std::string version;
    // Appends process-level series (worker pool, connections) to the /metrics text.
    std::function<void(std::string&)> extra_metrics;
    // Where login checks passwords (POST /api/auth/login answers 503 "busy" when it is full).
    // REQUIRES for Dispatch(): set, and outliving the Api.
    auth::PasswordPool* passwords = nullptr;
    // The largest file a multipart send takes (WADESK_MEDIA_MAX_BYTES; 413 beyond), and the body
    // limit a JSON send keeps although the server lets upload requests be larger.
    std::uint64_t media_max_bytes = 100ull << 20;
    std::size_t json_body_limit = 1024 * 1024;
};

class Api {
public:
    // `service` and `authenticator` may be null only to list routes (router()); Dispatch()
    // needs both.
    Api(service::WadeskService* service, auth::TokenAuthenticator* authenticator, Metrics& metrics,
        ApiOptions options);

    Response Dispatch(Request& req);
    const Router& router() const { return router_; }

    // The embedded OpenAPI 3 document (src/http/openapi.json).
    static std::string_view OpenApiDocument();

private:
    void Register();
    // The actor of a request's bearer token, or HttpError 401 (none, expired, revoked) / 400
    // (more than one Authorization header). Provisions an external user on first sight.
    service::Actor Authenticate(const Request& req);

    service::WadeskService* service_;
    auth::TokenAuthenticator* authenticator_;
    Metrics& metrics_;
    ApiOptions options_;
    RouteContext context_{service_, metrics_, options_};
    Router router_;
};

// True for the requests whose body may hold a file (the multipart send), so the server allows
// them a body up to the file limit (routes/media.cpp).
bool IsUploadRequest(std::string_view method, std::string_view target);

// The route table as JSON: [{"method":"GET","path":"/api/...","auth":true}, ...].
std::string RoutesJson(const Router& router);

}  // namespace wadesk::http
