#include "service/views.h"

#include <boost/json/parse.hpp>

#include "core/clock.h"

namespace wadesk::service {
namespace json = boost::json;

namespace {
json::value OrNull(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }
}  // namespace

json::value IsoOrNull(std::int64_t unix_ms) {
    return unix_ms == 0 ? json::value(nullptr) : json::value(FormatIsoMs(unix_ms));
}

json::object UserView(const store::User& u) {
    json::object o;
    o["id"] = u.id;
    o["companyId"] = u.company_id;
    o["email"] = u.email;
    o["name"] = u.name;
    o["role"] = u.role == store::Role::kAdmin ? "admin" : "manager";
    o["disabled"] = u.disabled;
    o["external"] = !u.external_id.empty();
    o["createdAt"] = IsoOrNull(u.created_at);
    o["updatedAt"] = IsoOrNull(u.updated_at);
    return o;
}

json::object CompanyView(const store::Company& c) {
    json::object o;
    o["id"] = c.id;
    o["name"] = c.name;
    o["maxSessions"] = c.max_sessions;
    o["createdAt"] = IsoOrNull(c.created_at);
    return o;
}

json::object SessionView(const store::WaSession& s) {
    json::object o;
    o["id"] = s.id;
    o["name"] = s.name;
    o["status"] = s.status;
    o["statusReason"] = OrNull(s.status_reason);
    o["phoneNumber"] = OrNull(s.phone_number);
    o["displayName"] = OrNull(s.display_name);
    o["createdAt"] = IsoOrNull(s.created_at);
    o["updatedAt"] = IsoOrNull(s.updated_at);
    o["connectedAt"] = IsoOrNull(s.connected_at);
    return o;
}

json::object AccessGrantView(const store::Access& a) {
    json::object o;
    o["sessionId"] = a.session_id;
    o["managerId"] = a.user_id;
    o["canRead"] = a.can_read;
    o["canWrite"] = a.can_write;
    o["canManageChats"] = a.can_manage_chats;
    o["createdAt"] = IsoOrNull(a.created_at);
    o["updatedAt"] = IsoOrNull(a.updated_at);
    return o;
}

json::object ChatView(const store::Chat& c) {
    json::object o;
    o["id"] = c.id;
    o["sessionId"] = c.session_id;
    o["jid"] = c.jid;
    o["name"] = c.name;
    o["isGroup"] = c.is_group;
    o["unreadCount"] = c.unread_count;
    o["lastMessage"] = OrNull(c.last_message);
    o["lastMessageAt"] = IsoOrNull(c.last_message_at);
    o["archived"] = c.archived;
    o["pinned"] = c.pinned;
    o["muted"] = c.muted;
    o["assignedTo"] = OrNull(c.assigned_to);
    json::array labels;
    for (const auto& l : c.labels) labels.emplace_back(l);
    o["labels"] = std::move(labels);
    return o;
}

json::object MessageView(const store::Message& m) {
    json::object o;
    o["id"] = m.id;
    o["waMessageId"] = OrNull(m.wa_message_id);
    o["chatId"] = m.chat_id;
    o["sessionId"] = m.session_id;
    o["fromMe"] = m.from_me;
    json::object sender;
    sender["jid"] = OrNull(m.sender_jid);
    sender["name"] = OrNull(m.sender_name);
    sender["phone"] = OrNull(m.sender_phone);
    o["sender"] = std::move(sender);
    o["type"] = m.type;
    o["body"] = m.body;
    if (m.media) {
        json::object media;
        media["mimetype"] = m.media->mimetype;
        media["size"] = m.media->size;
        media["fileName"] = OrNull(m.media->file_name);
        media["url"] = OrNull(m.media->url);
        o["media"] = std::move(media);
    } else {
        o["media"] = nullptr;
    }
    o["quotedMessageId"] = OrNull(m.quoted_message_id);
    o["timestamp"] = IsoOrNull(m.timestamp);
    o["status"] = m.status;
    o["sentBy"] = OrNull(m.sent_by);
    o["clientMessageId"] = OrNull(m.client_message_id);
    o["edited"] = m.edited;
    o["deleted"] = m.deleted;
    return o;
}

json::object AuditView(const store::AuditEntry& e) {
    json::object o;
    o["id"] = e.id;
    o["userId"] = OrNull(e.user_id);
    o["action"] = e.action;
    o["targetType"] = e.target_type;
    o["targetId"] = e.target_id;
    boost::system::error_code ec;
    json::value details = json::parse(e.details_json.empty() ? "{}" : e.details_json, ec);
    o["details"] = ec ? json::value(json::object{}) : std::move(details);
    o["ip"] = OrNull(e.ip);
    o["createdAt"] = IsoOrNull(e.created_at);
    return o;
}

json::object EventView(const store::Event& e) {
    json::object o;
    o["id"] = e.id;
    o["name"] = e.name;
    o["sessionId"] = e.session_id;
    boost::system::error_code ec;
    json::value data = json::parse(e.payload_json, ec);
    o["data"] = ec ? json::value(nullptr) : std::move(data);
    o["createdAt"] = IsoOrNull(e.created_at);
    return o;
}

}  // namespace wadesk::service
