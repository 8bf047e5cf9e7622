// A session's chats and messages: list, read, assign/label/archive, mark read, send.
#include "core/ids.h"
#include "http/api.h"
#include "http/json.h"
#include "http/multipart.h"
#include "http/routes/routes.h"
#include "service/views.h"

namespace wadesk::http {
namespace json = boost::json;
using service::Actor;

void AddChatRoutes(RouteTable& t, const RouteContext& ctx) {
    service::WadeskService* svc = ctx.service;
    const std::string s = "/api/whatsapp/sessions";
    t.Authed("GET", s + "/{sessionId}/chats", [svc](Request& req, const Actor& actor) {
        service::ChatFilter f;
        f.page = QueryInt(req, "page", 1, 1, 1'000'000);
        f.limit = QueryInt(req, "limit", 50, 1, 200);
        f.search = req.Query("search").value_or("");
        if (f.search.size() > 200)
            throw HttpError(HttpErrorCode::kInvalidQuery, "query parameter 'search' is too long");
        f.archived = QueryBool(req, "archived");
        f.unread = QueryBool(req, "unread");
        if (auto a = req.Query("assignedTo")) {
            if (*a == "none" || a->empty())
                f.assigned_to = "";
            else if (*a == "me" || IsWellFormedId(*a))
                f.assigned_to = *a;
            else
                throw HttpError(HttpErrorCode::kInvalidQuery,
                                "query parameter 'assignedTo' must be a user id, 'me' or 'none'");
        }
        auto page = svc->chats().ListChats(actor, req.Param("sessionId"), f);
        return PageResponse(page, f.page, f.limit, &service::AppendChatJson);
    });
    t.Authed("GET", s + "/{sessionId}/chats/{chatId}", [svc](Request& req, const Actor& actor) {
        return Ok(service::ChatView(svc->chats().GetChat(actor, req.Param("sessionId"), req.Param("chatId"))));
    });
    t.Authed("PATCH", s + "/{sessionId}/chats/{chatId}", [svc](Request& req, const Actor& actor) {
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"archived", "pinned", "muted", "assignedTo", "labels", "name"});
        store::ChatPatch p;
        p.archived = OptionalBool(body, "archived");
        p.pinned = OptionalBool(body, "pinned");
        p.muted = OptionalBool(body, "muted");
        p.assigned_to = OptionalStringOrNull(body, "assignedTo");
        p.name = OptionalString(body, "name");
        if (p.name && p.name->size() > 200)
            throw HttpError(HttpErrorCode::kInvalidField, "field 'name' must be at most 200 bytes");
        if (auto it = body.find("labels"); it != body.end()) {
            if (!it->value().is_array())
                throw HttpError(HttpErrorCode::kInvalidField, "field 'labels' must be an array of strings");
            const auto& arr = it->value().as_array();
            if (arr.size() > 50)
                throw HttpError(HttpErrorCode::kInvalidField, "field 'labels' holds at most 50 labels");
            std::vector<std::string> labels;
            for (const auto& v : arr) {
                if (!v.is_string() || v.as_string().empty() || v.as_string().size() > 64)
                    throw HttpError(HttpErrorCode::kInvalidField, "field 'labels' must hold strings of 1 to 64 bytes");
                labels.emplace_back(v.as_string());
            }
            p.labels = std::move(labels);
        }
        return Ok(service::ChatView(svc->chats().UpdateChat(actor, req.Param("sessionId"), req.Param("chatId"), p)));
    });
    t.Authed("GET", s + "/{sessionId}/assignees", [svc](Request& req, const Actor& actor) {
        json::array out;
        for (const auto& u : svc->chats().Assignees(actor, req.Param("sessionId")))
            out.push_back(json::object{{"id", u.id},
                                       {"name", u.name},
                                       {"email", u.email},
                                       {"role", u.role == domain::Role::kAdmin ? "admin" : "manager"}});
        return Ok(std::move(out));
    });
    t.Authed("POST", s + "/{sessionId}/chats/{chatId}/read", [svc](Request& req, const Actor& actor) {
        return Ok(service::ChatView(svc->chats().MarkRead(actor, req.Param("sessionId"), req.Param("chatId"))));
    });
    t.Authed("GET", s + "/{sessionId}/chats/{chatId}/messages", [svc](Request& req, const Actor& actor) {
        int page = QueryInt(req, "page", 1, 1, 1'000'000);
        int limit = QueryInt(req, "limit", 50, 1, 200);
        std::string before = req.Query("before").value_or("");
        auto result =
            svc->chats().ListMessages(actor, req.Param("sessionId"), req.Param("chatId"), page, limit, before);
        return PageResponse(result, before.empty() ? page : 1, limit, &service::AppendMessageJson);
    });
    const RouteContext* c = &ctx;
    t.Authed("POST", s + "/{sessionId}/chats/{chatId}/send", [svc, c](Request& req, const Actor& actor) {
        if (FormBoundary(req.Header("content-type")) || req.Header("content-type").starts_with("multipart/"))
            return SendMultipart(*svc, actor, req, c->options.media_max_bytes);
        if (req.body.size() > c->options.json_body_limit)
            throw HttpError(HttpErrorCode::kPayloadTooLarge,
                            "request body exceeds " + std::to_string(c->options.json_body_limit) + " bytes");
        auto body = ParseJsonObject(req);
        RejectUnknown(body, {"message", "quotedMessageId", "clientMessageId"});
        service::SendRequest sr;
        sr.text = RequiredString(body, "message");
        sr.quoted_message_id = OptionalStringOrNull(body, "quotedMessageId").value_or("");
        sr.client_message_id = OptionalStringOrNull(body, "clientMessageId").value_or("");
        auto result = svc->messages().Send(actor, req.Param("sessionId"), req.Param("chatId"), sr);
        return Ok(service::MessageView(result.message), result.created ? 201 : 200);
    });
}

}  // namespace wadesk::http
