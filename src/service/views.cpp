#include "service/views.h"

#include <boost/json/parse.hpp>

#include <charconv>
#include <cstdint>
#include <cstring>

#include "core/clock.h"

namespace wadesk::service {
namespace json = boost::json;

namespace {
json::value OrNull(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }
json::value PositiveOrNull(std::int64_t v) { return v > 0 ? json::value(v) : json::value(nullptr); }

// Where the message's file is served (GET, under the message's read right).
std::string MediaUrl(const domain::Message& m) {
    return "/api/whatsapp/sessions/" + m.session_id + "/messages/" + m.id + "/media";
}
// pending | ready | failed | too_large (rows stored before files were fetched read as failed).
std::string MediaStatus(const domain::Message& m) { return std::string(Name(m.media->status)); }
}  // namespace

json::value IsoOrNull(std::int64_t unix_ms) {
    return unix_ms == 0 ? json::value(nullptr) : json::value(FormatIsoMs(unix_ms));
}

json::object UserView(const domain::User& u) {
    json::object o;
    o["id"] = u.id;
    o["companyId"] = u.company_id;
    o["email"] = u.email;
    o["name"] = u.name;
    o["role"] = u.role == domain::Role::kAdmin ? "admin" : "manager";
    o["disabled"] = u.disabled;
    o["external"] = !u.external_id.empty();
    o["createdAt"] = IsoOrNull(u.created_at);
    o["updatedAt"] = IsoOrNull(u.updated_at);
    return o;
}

json::object CompanyView(const domain::Company& c) {
    json::object o;
    o["id"] = c.id;
    o["name"] = c.name;
    o["maxSessions"] = c.max_sessions;
    o["createdAt"] = IsoOrNull(c.created_at);
    return o;
}

json::object SessionView(const domain::WaSession& s) {
    json::object o;
    o["id"] = s.id;
    o["name"] = s.name;
    o["status"] = Name(s.status);
    o["statusReason"] = OrNull(s.status_reason);
    o["phoneNumber"] = OrNull(s.phone_number);
    o["displayName"] = OrNull(s.display_name);
    o["createdAt"] = IsoOrNull(s.created_at);
    o["updatedAt"] = IsoOrNull(s.updated_at);
    o["connectedAt"] = IsoOrNull(s.connected_at);
    o["history"] = s.history_sync;
    return o;
}

json::object AccessGrantView(const domain::Access& a) {
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

namespace {

// A contact's two identities (wa-protocol §13): the phone number (digits of a PN chat JID) and
// the LID (the stored alias, or the JID itself for a chat only known by LID); empty when unknown.
std::string ChatPhone(const domain::Chat& c) {
    constexpr std::string_view kPn = "@s.whatsapp.net";
    if (c.is_group || !c.jid.ends_with(kPn)) return {};
    std::string user = c.jid.substr(0, c.jid.size() - kPn.size());
    if (user.empty() || user.find_first_not_of("0123456789") != std::string::npos) return {};
    return user;
}

std::string ChatLid(const domain::Chat& c) {
    if (!c.lid.empty()) return c.lid;
    return c.jid.ends_with("@lid") ? c.jid : std::string();
}

}  // namespace

json::object ChatView(const domain::Chat& c) {
    json::object o;
    o["id"] = c.id;
    o["sessionId"] = c.session_id;
    o["jid"] = c.jid;
    o["phone"] = OrNull(ChatPhone(c));
    o["lid"] = OrNull(ChatLid(c));
    o["name"] = ChatName(c);
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

json::object ContactView(const domain::Contact& c) {
    json::object o;
    o["jid"] = c.jid;
    o["phone"] = OrNull(c.phone);
    o["lid"] = OrNull(c.lid);
    o["name"] = OrNull(c.name);
    o["pushName"] = OrNull(c.push_name);
    return o;
}

json::object MessageView(const domain::Message& m) {
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
    sender["lid"] = OrNull(m.sender_lid);
    o["sender"] = std::move(sender);
    o["type"] = Name(m.type);
    o["body"] = m.body;
    if (m.media) {
        json::object media;
        media["mimetype"] = m.media->mimetype;
        media["size"] = m.media->size;
        media["fileName"] = OrNull(m.media->file_name);
        media["url"] = MediaUrl(m);
        media["sha256"] = OrNull(m.media->sha256);
        media["status"] = MediaStatus(m);
        media["duration"] = PositiveOrNull(m.media->duration);
        media["width"] = PositiveOrNull(m.media->width);
        media["height"] = PositiveOrNull(m.media->height);
        o["media"] = std::move(media);
    } else {
        o["media"] = nullptr;
    }
    o["quotedMessageId"] = OrNull(m.quoted_message_id);
    o["timestamp"] = IsoOrNull(m.timestamp);
    o["status"] = Name(m.status);
    o["failureReason"] = OrNull(m.failure_reason);
    o["sentBy"] = OrNull(m.sent_by);
    o["clientMessageId"] = OrNull(m.client_message_id);
    o["edited"] = m.edited;
    o["deleted"] = m.deleted;
    o["fromHistory"] = m.from_history;
    return o;
}

json::object AuditView(const domain::AuditEntry& e) {
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

json::object EventView(const domain::Event& e) {
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

// ---- direct serialization (must stay in step with ChatView / MessageView above)

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendInt(std::string& out, std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

void AppendBool(std::string& out, bool v) { out += v ? "true" : "false"; }

void AppendStringOrNull(std::string& out, const std::string& s) {
    if (s.empty()) out += "null";
    else AppendJsonString(out, s);
}

void Append2(char* p, int v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

// FormatIsoMs without gmtime/snprintf: days to civil date (proleptic Gregorian, UTC).
void AppendIsoOrNull(std::string& out, std::int64_t unix_ms) {
    if (unix_ms == 0) {
        out += "null";
        return;
    }
    std::int64_t secs = unix_ms / 1000;
    int ms = static_cast<int>(unix_ms % 1000);
    if (ms < 0) {
        ms += 1000;
        --secs;
    }
    std::int64_t days = secs / 86400;
    std::int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        --days;
    }
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {  // outside the fixed-width form: the reference formatter decides
        AppendJsonString(out, FormatIsoMs(unix_ms));
        return;
    }
    char buf[26] = "\"0000-00-00T00:00:00.000Z";
    buf[25] = '"';
    const int y = static_cast<int>(year);
    Append2(buf + 1, y / 100);
    Append2(buf + 3, y % 100);
    Append2(buf + 6, month);
    Append2(buf + 9, day);
    Append2(buf + 12, static_cast<int>(sod / 3600));
    Append2(buf + 15, static_cast<int>(sod / 60 % 60));
    Append2(buf + 18, static_cast<int>(sod % 60));
    buf[21] = static_cast<char>('0' + ms / 100);
    Append2(buf + 22, ms % 100);
    out.append(buf, 26);
}

}  // namespace

namespace {

// True when any of the 8 bytes of v is a control character (< 0x20), '"' or '\\': the bytes a
// JSON string must escape. Bytes >= 0x80 (UTF-8) never count. (The classic "has a zero byte"
// test: exact as a yes/no answer, which is all that is asked here.)
bool NeedsEscape8(std::uint64_t v) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t x) { return ((x - kOnes) & ~x & kHigh) != 0; };
    const bool control = ((v - kOnes * 0x20) & ~v & kHigh) != 0;
    return control || has_zero(v ^ (kOnes * '"')) || has_zero(v ^ (kOnes * '\\'));
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    std::size_t run = 0;  // start of the pending run of bytes that need no escape
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.size() - i >= 8) {  // skip clean 8-byte blocks without looking at each byte
            std::uint64_t block;
            std::memcpy(&block, s.data() + i, 8);
            if (!NeedsEscape8(block)) {
                i += 8;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        out.append(s.data() + run, i - run);
        run = ++i;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
                out.append(u, 6);
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void AppendChatJson(std::string& out, const domain::Chat& c) {
    out += "{\"id\":";
    AppendJsonString(out, c.id);
    out += ",\"sessionId\":";
    AppendJsonString(out, c.session_id);
    out += ",\"jid\":";
    AppendJsonString(out, c.jid);
    out += ",\"phone\":";
    AppendStringOrNull(out, ChatPhone(c));
    out += ",\"lid\":";
    AppendStringOrNull(out, ChatLid(c));
    out += ",\"name\":";
    AppendJsonString(out, ChatName(c));
    out += ",\"isGroup\":";
    AppendBool(out, c.is_group);
    out += ",\"unreadCount\":";
    AppendInt(out, c.unread_count);
    out += ",\"lastMessage\":";
    AppendStringOrNull(out, c.last_message);
    out += ",\"lastMessageAt\":";
    AppendIsoOrNull(out, c.last_message_at);
    out += ",\"archived\":";
    AppendBool(out, c.archived);
    out += ",\"pinned\":";
    AppendBool(out, c.pinned);
    out += ",\"muted\":";
    AppendBool(out, c.muted);
    out += ",\"assignedTo\":";
    AppendStringOrNull(out, c.assigned_to);
    out += ",\"labels\":[";
    for (std::size_t i = 0; i < c.labels.size(); ++i) {
        if (i) out += ',';
        AppendJsonString(out, c.labels[i]);
    }
    out += "]}";
}

void AppendMessageJson(std::string& out, const domain::Message& m) {
    out += "{\"id\":";
    AppendJsonString(out, m.id);
    out += ",\"waMessageId\":";
    AppendStringOrNull(out, m.wa_message_id);
    out += ",\"chatId\":";
    AppendJsonString(out, m.chat_id);
    out += ",\"sessionId\":";
    AppendJsonString(out, m.session_id);
    out += ",\"fromMe\":";
    AppendBool(out, m.from_me);
    out += ",\"sender\":{\"jid\":";
    AppendStringOrNull(out, m.sender_jid);
    out += ",\"name\":";
    AppendStringOrNull(out, m.sender_name);
    out += ",\"phone\":";
    AppendStringOrNull(out, m.sender_phone);
    out += ",\"lid\":";
    AppendStringOrNull(out, m.sender_lid);
    out += "},\"type\":";
    AppendJsonString(out, Name(m.type));
    out += ",\"body\":";
    AppendJsonString(out, m.body);
    out += ",\"media\":";
    if (m.media) {
        out += "{\"mimetype\":";
        AppendJsonString(out, m.media->mimetype);
        out += ",\"size\":";
        AppendInt(out, m.media->size);
        out += ",\"fileName\":";
        AppendStringOrNull(out, m.media->file_name);
        out += ",\"url\":";
        AppendJsonString(out, MediaUrl(m));
        out += ",\"sha256\":";
        AppendStringOrNull(out, m.media->sha256);
        out += ",\"status\":";
        AppendJsonString(out, MediaStatus(m));
        for (auto [name, value] : {std::pair{",\"duration\":", m.media->duration}, std::pair{",\"width\":", m.media->width},
                                   std::pair{",\"height\":", m.media->height}}) {
            out += name;
            if (value > 0) AppendInt(out, value);
            else out += "null";
        }
        out += '}';
    } else {
        out += "null";
    }
    out += ",\"quotedMessageId\":";
    AppendStringOrNull(out, m.quoted_message_id);
    out += ",\"timestamp\":";
    AppendIsoOrNull(out, m.timestamp);
    out += ",\"status\":";
    AppendJsonString(out, Name(m.status));
    out += ",\"failureReason\":";
    AppendStringOrNull(out, m.failure_reason);
    out += ",\"sentBy\":";
    AppendStringOrNull(out, m.sent_by);
    out += ",\"clientMessageId\":";
    AppendStringOrNull(out, m.client_message_id);
    out += ",\"edited\":";
    AppendBool(out, m.edited);
    out += ",\"deleted\":";
    AppendBool(out, m.deleted);
    out += ",\"fromHistory\":";
    AppendBool(out, m.from_history);
    out += '}';
}

json::object GroupParticipantView(const domain::GroupParticipant& p) {
    return json::object{{"jid", p.jid},
                        {"phone", OrNull(p.phone)},
                        {"lid", OrNull(p.lid)},
                        {"name", OrNull(p.name)},
                        {"admin", p.admin.empty() ? std::string("none") : p.admin}};
}

json::object ReceiptView(const domain::MessageReceipt& r) {
    return json::object{{"jid", r.jid},
                        {"phone", OrNull(r.phone)},
                        {"name", OrNull(r.name)},
                        {"status", Name(r.status)},
                        {"at", IsoOrNull(r.at)}};
}

}  // namespace wadesk::service
