// /api/auth: sign in, sign out (this token or everywhere), who am I and what may I do.
#include <memory>

#include "http/api.h"
#include "http/json.h"
#include "http/routes/routes.h"
#include "service/views.h"

namespace wadesk::http {
namespace json = boost::json;
using service::Actor;

namespace {

// POST /api/auth/login: the password check runs on ctx.options.passwords (a deferred response that
// holds no worker thread while the check runs).
Response Login(const RouteContext& ctx, Request& req) {
    auto body = ParseJsonObject(req);
    std::string email = RequiredString(body, "email");
    std::string password = RequiredString(body, "password");
    auto pending =
        std::make_shared<service::PendingLogin>(ctx.service->auth().BeginLogin(email, password, req.remote_ip));
    // What Guarded needs to name the request in a log line once the handler has returned.
    auto about = std::make_shared<Request>();
    about->method = req.method;
    about->path = req.path;
    Response resp;
    resp.deferred = [c = &ctx, pending, about, password = std::move(password)](Response::Done done) mutable {
        auto finish = [c, pending, about, done](bool ok) {
            done(Guarded(*about, [&] {
                auto result = c->service->auth().FinishLogin(*pending, ok);
                json::object data;
                data["token"] = result.token.token;
                data["expiresAt"] = service::IsoOrNull(result.token.expires_at_ms);
                data["user"] = service::UserView(result.user);
                return Ok(std::move(data));
            }));
        };
        if (!c->options.passwords->TryVerify(std::move(password), pending->password_hash, finish)) {
            c->service->auth().AbandonLogin(*pending);
            Response busy = ErrorResponse(HttpErrorCode::kBusy, "too many logins are being checked; try again shortly");
            busy.headers.emplace_back("Retry-After", "1");
            done(std::move(busy));
        }
    };
    return resp;
}

}  // namespace

void AddAuthRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* svc = ctx.service;
    const RouteContext* c = &ctx;
    t.Public("POST", "/api/auth/login", [c](Request& req) { return Login(*c, req); });
    t.Authed("POST", "/api/auth/logout", [svc](Request&, const Actor& actor) {
        svc->auth().Logout(actor);
        return Ok(json::object{{"loggedOut", true}});
    });
    t.Authed("POST", "/api/auth/logout-all", [svc](Request&, const Actor& actor) {
        svc->auth().LogoutAll(actor);
        return Ok(json::object{{"loggedOut", true}});
    });
    t.Authed("GET", "/api/auth/me",
             [svc](Request&, const Actor& actor) { return Ok(service::UserView(svc->auth().Me(actor))); });
    t.Authed("GET", "/api/auth/me/access", [svc](Request&, const Actor& actor) {
        json::array out;
        for (const auto& rights : svc->access().MyRights(actor))
            out.push_back(json::object{{"sessionId", rights.session_id},
                                       {"canRead", rights.can_read},
                                       {"canWrite", rights.can_write},
                                       {"canManageChats", rights.can_manage_chats}});
        return Ok(std::move(out));
    });
}

}  // namespace wadesk::http
