#include "http/api.h"

#include <boost/json/serialize.hpp>

#include <chrono>

#include "core/log.h"
#include "core/utf8.h"
#include "http/json.h"
#include "store/errors.h"

namespace wadesk::http {
namespace json = boost::json;
using service::Actor;
using service::FailureKind;
using service::ServiceError;

namespace {

int StatusOf(FailureKind kind) {
    switch (kind) {
        case FailureKind::kBadInput: return 400;
        case FailureKind::kUnauthenticated: return 401;
        case FailureKind::kForbidden: return 403;
        case FailureKind::kNotFound: return 404;
        case FailureKind::kConflict: return 409;
        case FailureKind::kUnprocessable: return 422;
        case FailureKind::kRateLimited: return 429;
        case FailureKind::kUnavailable: return 503;
    }
    return 500;
}

}  // namespace

Api::Api(service::WadeskService* service, auth::TokenAuthenticator* authenticator, Metrics& metrics,
         ApiOptions options)
    : service_(service), authenticator_(authenticator), metrics_(metrics), options_(std::move(options)) {
    Register();
}

service::Actor Api::Authenticate(const Request& req) {
    const std::string& header = req.Header("authorization");
    // Repeated Authorization headers arrive joined by ", " (Request::AddHeader); no bearer token
    // contains a comma. Which one to honour is not for a client to probe: refused.
    if (header.find(',') != std::string::npos)
        throw HttpError(HttpErrorCode::kBadRequest, "the request has more than one Authorization header");
    std::string_view token;
    if (header.size() > 7 && (header.compare(0, 7, "Bearer ") == 0 || header.compare(0, 7, "bearer ") == 0))
        token = std::string_view(header).substr(7);
    std::vector<std::pair<std::string, std::string>> challenge = {{"WWW-Authenticate", "Bearer"}};
    if (token.empty())
        throw HttpError(HttpErrorCode::kMissingToken, "an Authorization: Bearer <token> header is required", challenge);
    auto principal = authenticator_->Authenticate(token);
    if (!principal && principal.error().code == "unknown_user") {
        auto identity = authenticator_->VerifyExternal(token);
        if (identity) {
            service_->auth().ProvisionExternal(*identity);
            principal = authenticator_->Authenticate(token);
        }
    }
    if (!principal) throw HttpError(401, principal.error().code, principal.error().message, challenge);
    return Actor{*principal, req.remote_ip};
}

Response Guarded(const Request& req, const std::function<Response()>& answer) {
    Response resp;
    try {
        resp = answer();
    } catch (const HttpError& e) {
        resp = ErrorResponse(e.status(), e.code(), e.what());
        resp.headers = e.headers();
    } catch (const ServiceError& e) {
        resp = ErrorResponse(StatusOf(e.kind()), e.api_code(), e.what());
        if (e.kind() == FailureKind::kRateLimited)
            resp.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, e.retry_after_s())));
    } catch (const store::ConnectionError& e) {
        spdlog::error("[http] database unavailable for {} {}: {}", req.method, req.path, e.what());
        resp = ErrorResponse(HttpErrorCode::kDatabaseUnavailable, "the database is not reachable; try again");
    } catch (const store::UniqueViolation& e) {
        resp = ErrorResponse(HttpErrorCode::kConflict, "the change conflicts with existing data");
    } catch (const std::exception& e) {
        spdlog::error("[http] internal error for {} {}: {}", req.method, req.path, e.what());
        resp = ErrorResponse(HttpErrorCode::kInternalError, "internal server error");
    }
    return resp;
}

Response Api::Dispatch(Request& req) {
    auto started = std::chrono::steady_clock::now();
    std::string route = "unmatched";
    Response resp = Guarded(req, [&]() -> Response {
        if (!ParseTarget(req.target, req.path, req.query))
            throw HttpError(HttpErrorCode::kBadRequest, "malformed request target");
        if (!IsValidUtf8(req.path)) throw HttpError(HttpErrorCode::kBadRequest, "request path is not valid UTF-8");
        for (const auto& [k, v] : req.query)
            if (!IsValidUtf8(k) || !IsValidUtf8(v))
                throw HttpError(HttpErrorCode::kInvalidQuery, "query parameters must be valid UTF-8");
        auto match = router_.Find(req.method, req.path);
        if (match.kind == Router::MatchKind::kNotFound)
            throw HttpError(HttpErrorCode::kNotFound, "no route for " + req.method + " " + req.path);
        if (match.kind == Router::MatchKind::kMethodNotAllowed) {
            route = match.route;
            std::string allow;
            for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
            throw HttpError(HttpErrorCode::kMethodNotAllowed, req.method + " is not allowed here; allowed: " + allow,
                            {{"Allow", allow}});
        }
        route = match.route;
        req.route = match.route;
        req.params = std::move(match.params);
        return (*match.handler)(req);
    });
    if (resp.deferred) {
        // Measured when the real response is there.
        resp.deferred = [this, method = req.method, route, started, start = std::move(resp.deferred)](Response::Done done) {
            start([this, method, route, started, done = std::move(done)](Response r) {
                double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                metrics_.Record(method, route, r.status, seconds);
                done(std::move(r));
            });
        };
        return resp;
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.Record(req.method, route, resp.status, seconds);
    return resp;
}
void Api::Register() {
    RouteTable t(router_, [this](const Request& req) { return Authenticate(req); });
    AddSystemRoutes(t, context_);
    AddAuthRoutes(t, context_);
    AddManagerRoutes(t, context_);
    AddSessionRoutes(t, context_);
    AddChatRoutes(t, context_);
    AddContactRoutes(t, context_);
    AddMediaRoutes(t, context_);
    AddGroupRoutes(t, context_);
    AddReportRoutes(t, context_);
}

std::string RoutesJson(const Router& router) {
    json::array out;
    for (const auto& r : router.Routes())
        out.push_back(json::object{{"method", r.method}, {"path", r.path}, {"auth", r.auth}});
    return json::serialize(out);
}

}  // namespace wadesk::http