#include "http/api.h"

#include "http/console_assets.h"

#include <boost/json/serialize.hpp>

#include <chrono>

#include "core/ids.h"
#include "core/log.h"
#include "http/json.h"
#include "http/media_routes.h"
#include "http/multipart.h"
#include "service/views.h"
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
Response PageResponse(const store::Page<T>& page, int page_no, int limit,
                      void (*append)(std::string&, const T&)) {
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

// An optional body: empty means {}, anything else must be a JSON object.
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
        throw HttpError(400, "bad_request", "the request has more than one Authorization header");
    std::string_view token;
    if (header.size() > 7 && (header.compare(0, 7, "Bearer ") == 0 || header.compare(0, 7, "bearer ") == 0))
        token = std::string_view(header).substr(7);
    std::vector<std::pair<std::string, std::string>> challenge = {{"WWW-Authenticate", "Bearer"}};
    if (token.empty()) throw HttpError(401, "missing_token", "an Authorization: Bearer <token> header is required", challenge);
    auto principal = authenticator_->Authenticate(token);
    if (!principal && principal.error().code == "unknown_user") {
        auto identity = authenticator_->VerifyExternal(token);
        if (identity) {
            service_->ProvisionExternal(*identity);
            principal = authenticator_->Authenticate(token);
        }
    }
    if (!principal) throw HttpError(401, principal.error().code, principal.error().message, challenge);
    return Actor{*principal, req.remote_ip};
}

Response Api::Guarded(const Request& req, const std::function<Response()>& answer) {
    Response resp;
    try {
        resp = answer();
    } catch (const HttpError& e) {
        resp = ErrorResponse(e.status(), e.code(), e.what());
        resp.headers = e.headers();
    } catch (const ServiceError& e) {
        // The engine's verdict on a pairing-code request for a number WhatsApp does not know.
        const int status = e.code() == "phone_not_registered" ? 422 : StatusOf(e.kind());
        resp = ErrorResponse(status, e.code(), e.what());
        if (e.kind() == FailureKind::kRateLimited)
            resp.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, e.retry_after_s())));
    } catch (const store::ConnectionError& e) {
        spdlog::error("[http] database unavailable for {} {}: {}", req.method, req.path, e.what());
        resp = ErrorResponse(503, "database_unavailable", "the database is not reachable; try again");
    } catch (const store::UniqueViolation& e) {
        resp = ErrorResponse(409, "conflict", "the change conflicts with existing data");
    } catch (const std::exception& e) {
        spdlog::error("[http] internal error for {} {}: {}", req.method, req.path, e.what());
        resp = ErrorResponse(500, "internal_error", "internal server error");
    }
    return resp;
}

Response Api::Dispatch(Request& req) {
    auto started = std::chrono::steady_clock::now();
    std::string route = "unmatched";
    Response resp = Guarded(req, [&]() -> Response {
        if (!ParseTarget(req.target, req.path, req.query))
            throw HttpError(400, "bad_request", "malformed request target");
        if (!IsValidUtf8(req.path)) throw HttpError(400, "bad_request", "request path is not valid UTF-8");
        for (const auto& [k, v] : req.query)
            if (!IsValidUtf8(k) || !IsValidUtf8(v))
                throw HttpError(400, "invalid_query", "query parameters must be valid UTF-8");
        auto match = router_.Find(req.method, req.path);
        if (match.kind == Router::MatchKind::kNotFound)
            throw HttpError(404, "not_found", "no route for " + req.method + " " + req.path);
        if (match.kind == Router::MatchKind::kMethodNotAllowed) {
            route = match.route;
            std::string allow;
            for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
            throw HttpError(405, "method_not_allowed", req.method + " is not allowed here; allowed: " + allow,
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

Response Api::Login(Request& req) {
    auto body = ParseJsonObject(req);
    std::string email = RequiredString(body, "email");
    std::string password = RequiredString(body, "password");
    auto pending = std::make_shared<service::PendingLogin>(service_->BeginLogin(email, password, req.remote_ip));
    // What Guarded needs to name the request in a log line once the handler has returned.
    auto about = std::make_shared<Request>();
    about->method = req.method;
    about->path = req.path;
    Response resp;
    resp.deferred = [this, pending, about, password = std::move(password)](Response::Done done) mutable {
        auto finish = [this, pending, about, done](bool ok) {
            done(Guarded(*about, [&] {
                auto result = service_->FinishLogin(*pending, ok);
                json::object data;
                data["token"] = result.token.token;
                data["expiresAt"] = service::IsoOrNull(result.token.expires_at_ms);
                data["user"] = service::UserView(result.user);
                return Ok(std::move(data));
            }));
        };
        if (!options_.passwords->TryVerify(std::move(password), pending->password_hash, finish)) {
            service_->AbandonLogin(*pending);
            Response busy = ErrorResponse(503, "busy", "too many logins are being checked; try again shortly");
            busy.headers.emplace_back("Retry-After", "1");
            done(std::move(busy));
        }
    };
    return resp;
}

void Api::Register() {
    auto& r = router_;
    auto* svc = service_;

    // --- operations (no token)
    r.Add("GET", "/health", [](Request&) { return Ok(json::object{{"status", "ok"}}); }, false);
    r.Add("GET", "/ready", [svc](Request&) {
        bool ok = false;
        try {
            ok = svc->Ping();
        } catch (const std::exception&) {
        }
        if (!ok) throw HttpError(503, "database_unavailable", "the database does not answer");
        return Ok(json::object{{"status", "ready"}});
    }, false);
    r.Add("GET", "/metrics", [this](Request&) {
        std::string out;
        metrics_.Render(out);
        out += "# HELP wadesk_sessions WhatsApp sessions by status.\n# TYPE wadesk_sessions gauge\n";
        for (const auto& [status, n] : service_->SessionsByStatus())
            out += "wadesk_sessions{status=\"" + status + "\"} " + std::to_string(n) + "\n";
        if (options_.extra_metrics) options_.extra_metrics(out);
        Response resp;
        resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
        resp.body = std::move(out);
        return resp;
    }, false);
    // --- the web console: static files; it signs in with the API like any client
    auto console_asset = [](std::string_view name) {
        const ConsoleAsset* asset = FindConsoleAsset(name);
        if (!asset) throw HttpError(404, "not_found", "no such console file");
        Response resp;
        resp.content_type = std::string(asset->content_type);
        resp.body = std::string(asset->body);
        resp.headers.emplace_back("Cache-Control", "no-cache");
        return resp;
    };
    r.Add("GET", "/", [console_asset](Request&) { return console_asset("index.html"); }, false);
    r.Add("GET", "/console/{file}", [console_asset](Request& req) { return console_asset(req.Param("file")); }, false);
    r.Add("GET", "/api/openapi.json", [](Request&) {
        Response resp;
        resp.body = std::string(OpenApiDocument());
        return resp;
    }, false);

    // --- auth
    r.Add("POST", "/api/auth/login", [this](Request& req) { return Login(req); }, false);
    r.Add("POST", "/api/auth/logout-all", [this](Request& req) {
        Actor actor = Authenticate(req);
        service_->LogoutAll(actor);
        return Ok(json::object{{"loggedOut", true}});
    });
    r.Add("GET", "/api/auth/me", [this](Request& req) {
        Actor actor = Authenticate(req);
        return Ok(service::UserView(service_->Me(actor)));
    });
    r.Add("GET", "/api/auth/me/access", [this](Request& req) {
        Actor actor = Authenticate(req);
        json::array out;
        for (const auto& rights : service_->MyRights(actor))
            out.push_back(json::object{{"sessionId", rights.session_id}, {"canRead", rights.can_read},
                                       {"canWrite", rights.can_write}, {"canManageChats", rights.can_manage_chats}});
        return Ok(std::move(out));
    });

    // --- managers
    r.Add("GET", "/api/managers", [this](Request& req) {
        Actor actor = Authenticate(req);
        json::array out;
        for (const auto& u : service_->ListManagers(actor)) out.push_back(service::UserView(u));
        return Ok(std::move(out));
    });
    r.Add("POST", "/api/managers", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"email", "password", "name"});
        service::NewUser nu;
        nu.email = RequiredString(body, "email");
        nu.password = RequiredString(body, "password");
        nu.name = OptionalString(body, "name").value_or("");
        return Ok(service::UserView(service_->CreateManager(actor, nu)), 201);
    });
    r.Add("PATCH", "/api/managers/{managerId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"email", "password", "name", "disabled"});
        service::ManagerPatch p;
        p.name = OptionalString(body, "name");
        p.email = OptionalString(body, "email");
        p.password = OptionalString(body, "password");
        p.disabled = OptionalBool(body, "disabled");
        return Ok(service::UserView(service_->UpdateManager(actor, req.Param("managerId"), p)));
    });
    r.Add("DELETE", "/api/managers/{managerId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        service_->DeleteManager(actor, req.Param("managerId"));
        return Ok(json::object{{"deleted", true}});
    });
    r.Add("POST", "/api/managers/{managerId}/logout-all", [this](Request& req) {
        Actor actor = Authenticate(req);
        service_->LogoutManager(actor, req.Param("managerId"));
        return Ok(json::object{{"loggedOut", true}});
    });

    // --- sessions
    const std::string s = "/api/whatsapp/sessions";
    r.Add("GET", s, [this](Request& req) {
        Actor actor = Authenticate(req);
        json::array out;
        for (const auto& session : service_->ListSessions(actor)) out.push_back(service::SessionView(session));
        return Ok(std::move(out));
    });
    r.Add("POST", s, [this](Request& req) {
        Actor actor = Authenticate(req);
        auto body = OptionalObject(req);
        RejectUnknown(body, {"name", "history"});
        auto session = service_->CreateSession(actor, OptionalString(body, "name").value_or(""),
                                               OptionalString(body, "history").value_or(""));
        json::object data = service::SessionView(session);
        data["sessionId"] = session.id;
        return Ok(std::move(data), 201);
    });
    r.Add("GET", s + "/{sessionId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        return Ok(service::SessionView(service_->GetSession(actor, req.Param("sessionId"))));
    });
    r.Add("PATCH", s + "/{sessionId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"name", "history"});
        auto name = OptionalString(body, "name");
        auto history = OptionalString(body, "history");
        if (!name && !history) throw HttpError(400, "empty_patch", "nothing to update: give name or history");
        return Ok(service::SessionView(service_->UpdateSession(actor, req.Param("sessionId"), name, history)));
    });
    r.Add("DELETE", s + "/{sessionId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        bool purge = QueryBool(req, "purge").value_or(false);
        service_->DeleteSession(actor, req.Param("sessionId"), purge);
        return Ok(json::object{{"deleted", true}, {"purged", purge}});
    });
    r.Add("GET", s + "/{sessionId}/qr", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto qr = service_->GetQr(actor, req.Param("sessionId"));
        json::object data;
        data["sessionId"] = qr.session_id;
        data["status"] = qr.status;
        bool has = !qr.qr_text.empty();
        data["qrCode"] = has ? json::value(qr.png_data_url) : json::value(nullptr);
        data["qr"] = has ? json::value(qr.qr_text) : json::value(nullptr);
        data["expiresAt"] = has ? service::IsoOrNull(qr.expires_at_ms) : json::value(nullptr);
        return Ok(std::move(data));
    });
    r.Add("POST", s + "/{sessionId}/disconnect", [this](Request& req) {
        Actor actor = Authenticate(req);
        return Ok(service::SessionView(service_->Disconnect(actor, req.Param("sessionId"))));
    });
    r.Add("POST", s + "/{sessionId}/start", [this](Request& req) {
        Actor actor = Authenticate(req);
        return Ok(service::SessionView(service_->StartSession(actor, req.Param("sessionId"))));
    });
    r.Add("POST", s + "/{sessionId}/pairing-code", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"phoneNumber"});
        std::string phone = RequiredString(body, "phoneNumber");
        std::string code = service_->RequestPairingCode(actor, req.Param("sessionId"), phone);
        return Ok(json::object{{"sessionId", req.Param("sessionId")}, {"pairingCode", code}});
    });

    // --- access
    r.Add("GET", s + "/{sessionId}/access", [this](Request& req) {
        Actor actor = Authenticate(req);
        json::array out;
        for (const auto& a : service_->ListAccess(actor, req.Param("sessionId"))) out.push_back(service::AccessGrantView(a));
        return Ok(std::move(out));
    });
    r.Add("POST", s + "/{sessionId}/access", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"managerId", "canRead", "canWrite", "canManageChats"});
        service::GrantRequest g;
        g.manager_id = RequiredString(body, "managerId");
        g.can_read = OptionalBool(body, "canRead").value_or(true);
        g.can_write = OptionalBool(body, "canWrite").value_or(false);
        g.can_manage_chats = OptionalBool(body, "canManageChats").value_or(false);
        return Ok(service::AccessGrantView(service_->Grant(actor, req.Param("sessionId"), g)));
    });
    r.Add("DELETE", s + "/{sessionId}/access/{managerId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        service_->Revoke(actor, req.Param("sessionId"), req.Param("managerId"));
        return Ok(json::object{{"revoked", true}});
    });

    // --- chats
    r.Add("GET", s + "/{sessionId}/chats", [this](Request& req) {
        Actor actor = Authenticate(req);
        service::ChatFilter f;
        f.page = QueryInt(req, "page", 1, 1, 1'000'000);
        f.limit = QueryInt(req, "limit", 50, 1, 200);
        f.search = req.Query("search").value_or("");
        if (f.search.size() > 200) throw HttpError(400, "invalid_query", "query parameter 'search' is too long");
        f.archived = QueryBool(req, "archived");
        f.unread = QueryBool(req, "unread");
        if (auto a = req.Query("assignedTo")) {
            if (*a == "none" || a->empty()) f.assigned_to = "";
            else if (*a == "me" || IsWellFormedId(*a)) f.assigned_to = *a;
            else throw HttpError(400, "invalid_query", "query parameter 'assignedTo' must be a user id, 'me' or 'none'");
        }
        auto page = service_->ListChats(actor, req.Param("sessionId"), f);
        return PageResponse(page, f.page, f.limit, &service::AppendChatJson);
    });
    r.Add("GET", s + "/{sessionId}/chats/{chatId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        return Ok(service::ChatView(service_->GetChat(actor, req.Param("sessionId"), req.Param("chatId"))));
    });
    r.Add("PATCH", s + "/{sessionId}/chats/{chatId}", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"archived", "pinned", "muted", "assignedTo", "labels", "name"});
        store::ChatPatch p;
        p.archived = OptionalBool(body, "archived");
        p.pinned = OptionalBool(body, "pinned");
        p.muted = OptionalBool(body, "muted");
        p.assigned_to = OptionalStringOrNull(body, "assignedTo");
        p.name = OptionalString(body, "name");
        if (p.name && p.name->size() > 200) throw HttpError(400, "invalid_field", "field 'name' must be at most 200 bytes");
        if (auto it = body.find("labels"); it != body.end()) {
            if (!it->value().is_array()) throw HttpError(400, "invalid_field", "field 'labels' must be an array of strings");
            const auto& arr = it->value().as_array();
            if (arr.size() > 50) throw HttpError(400, "invalid_field", "field 'labels' holds at most 50 labels");
            std::vector<std::string> labels;
            for (const auto& v : arr) {
                if (!v.is_string() || v.as_string().empty() || v.as_string().size() > 64)
                    throw HttpError(400, "invalid_field", "field 'labels' must hold strings of 1 to 64 bytes");
                labels.emplace_back(v.as_string());
            }
            p.labels = std::move(labels);
        }
        return Ok(service::ChatView(service_->UpdateChat(actor, req.Param("sessionId"), req.Param("chatId"), p)));
    });
    r.Add("GET", s + "/{sessionId}/assignees", [this](Request& req) {
        Actor actor = Authenticate(req);
        json::array out;
        for (const auto& u : service_->Assignees(actor, req.Param("sessionId")))
            out.push_back(json::object{{"id", u.id}, {"name", u.name}, {"email", u.email},
                                       {"role", u.role == store::Role::kAdmin ? "admin" : "manager"}});
        return Ok(std::move(out));
    });
    r.Add("POST", s + "/{sessionId}/chats/{chatId}/read", [this](Request& req) {
        Actor actor = Authenticate(req);
        return Ok(service::ChatView(service_->MarkRead(actor, req.Param("sessionId"), req.Param("chatId"))));
    });
    r.Add("GET", s + "/{sessionId}/chats/{chatId}/messages", [this](Request& req) {
        Actor actor = Authenticate(req);
        int page = QueryInt(req, "page", 1, 1, 1'000'000);
        int limit = QueryInt(req, "limit", 50, 1, 200);
        std::string before = req.Query("before").value_or("");
        auto result = service_->ListMessages(actor, req.Param("sessionId"), req.Param("chatId"), page, limit, before);
        return PageResponse(result, before.empty() ? page : 1, limit, &service::AppendMessageJson);
    });
    r.Add("POST", s + "/{sessionId}/chats/{chatId}/send", [this](Request& req) {
        Actor actor = Authenticate(req);
        if (FormBoundary(req.Header("content-type")) || req.Header("content-type").starts_with("multipart/"))
            return SendMultipart(*service_, actor, req, options_.media_max_bytes);
        if (req.body.size() > options_.json_body_limit)
            throw HttpError(413, "payload_too_large", "request body exceeds " + std::to_string(options_.json_body_limit) + " bytes");
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"message", "quotedMessageId", "clientMessageId"});
        service::SendRequest sr;
        sr.text = RequiredString(body, "message");
        sr.quoted_message_id = OptionalStringOrNull(body, "quotedMessageId").value_or("");
        sr.client_message_id = OptionalStringOrNull(body, "clientMessageId").value_or("");
        auto result = service_->Send(actor, req.Param("sessionId"), req.Param("chatId"), sr);
        return Ok(service::MessageView(result.message), result.created ? 201 : 200);
    });

    // --- message files (media_routes.cpp)
    RegisterMediaRoutes(r, service_, [this](const Request& q) { return Authenticate(q); });

    // --- stats, audit, events
    r.Add("GET", "/api/whatsapp/stats", [this](Request& req) {
        Actor actor = Authenticate(req);
        auto v = service_->Stats(actor);
        std::int64_t incoming = 0, outgoing = 0;
        json::array per_day;
        for (const auto& d : v.stats.per_day) {
            incoming += d.incoming;
            outgoing += d.outgoing;
            per_day.push_back(json::object{{"date", d.day}, {"incoming", d.incoming}, {"outgoing", d.outgoing},
                                           {"total", d.incoming + d.outgoing}});
        }
        std::map<std::string, store::SessionStats> by_session;
        for (const auto& ss : v.stats.per_session) by_session[ss.session_id] = ss;
        json::array per_session;
        for (const auto& session : v.sessions) {
            auto it = by_session.find(session.id);
            store::SessionStats ss = it != by_session.end() ? it->second : store::SessionStats{session.id, 0, 0, 0};
            per_session.push_back(json::object{{"sessionId", session.id}, {"name", session.name},
                                               {"status", session.status}, {"chats", ss.chats},
                                               {"incoming", ss.incoming}, {"outgoing", ss.outgoing},
                                               {"total", ss.incoming + ss.outgoing}});
        }
        json::object data;
        data["activeSessions"] = v.stats.active_sessions;
        data["totalSessions"] = v.stats.total_sessions;
        data["totalChats"] = v.stats.total_chats;
        data["messages"] = json::object{{"incoming", incoming}, {"outgoing", outgoing},
                                        {"total", incoming + outgoing}, {"perDay", std::move(per_day)}};
        data["perSession"] = std::move(per_session);
        return Ok(std::move(data));
    });
    r.Add("GET", "/api/audit", [this](Request& req) {
        Actor actor = Authenticate(req);
        int page = QueryInt(req, "page", 1, 1, 1'000'000);
        int limit = QueryInt(req, "limit", 50, 1, 200);
        return Ok(PageJson(service_->Audit(actor, page, limit), page, limit, service::AuditView));
    });
    r.Add("GET", "/api/events", [this](Request& req) {
        Actor actor = Authenticate(req);
        std::int64_t after = QueryInt64(req, "after", 0).value_or(0);
        int limit = QueryInt(req, "limit", 100, 1, 200);
        auto page = service_->Events(actor, after, limit);
        json::array items;
        for (const auto& e : page.items) items.push_back(service::EventView(e));
        return Ok(json::object{{"items", std::move(items)}, {"lastId", page.last_id}});
    });
}

std::string RoutesJson(const Router& router) {
    json::array out;
    for (const auto& r : router.Routes())
        out.push_back(json::object{{"method", r.method}, {"path", r.path}, {"auth", r.auth}});
    return json::serialize(out);
}

}  // namespace wadesk::http
