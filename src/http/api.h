#pragma once
// The REST API: every route of SPEC §1–§6 registered on one Router, plus /health, /ready,
// /metrics and /api/openapi.json. Dispatch() is the server's Dispatcher: it parses the target,
// routes (404 not_found / 405 method_not_allowed), authenticates, runs the handler and turns
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
    service::Actor Authenticate(const Request& req);
    // Runs `answer` and turns every failure it throws into its error response (one catch per
    // request, also for the second half of a deferred response).
    Response Guarded(const Request& req, const std::function<Response()>& answer);
    // POST /api/auth/login: the password check runs on options_.passwords (a deferred response).
    Response Login(Request& req);

    service::WadeskService* service_;
    auth::TokenAuthenticator* authenticator_;
    Metrics& metrics_;
    ApiOptions options_;
    Router router_;
};

// The route table as JSON: [{"method":"GET","path":"/api/...","auth":true}, ...].
std::string RoutesJson(const Router& router);

}  // namespace wadesk::http
