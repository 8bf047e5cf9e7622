#include "realtime/protocol.h"

#include <boost/json.hpp>

#include "realtime/engineio_packet.h"
#include "realtime/socketio_packet.h"

namespace wadesk::realtime {
namespace json = boost::json;
namespace {

std::string AsEngineMessage(const SioPacket& packet) {
    return EncodeEioPacket(EioType::kMessage, EncodeSioPacket(packet));
}

std::optional<std::string> StringField(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return std::nullopt;
    return std::string(it->value().as_string());
}

SioAction ProtocolError(std::string code, std::string message, std::string reply) {
    SioAction a;
    a.kind = SioAction::Kind::kProtocolError;
    a.error = MakeError(std::move(code), std::move(message));
    a.reply = std::move(reply);
    return a;
}

}  // namespace

SioAction InterpretSioMessage(std::string_view text, SioState state) {
    auto decoded = DecodeSioPacket(text);
    if (!decoded) {
        const Error& e = decoded.error();
        return ProtocolError(e.code, e.message, EncodeConnectError(e.message, e.code));
    }
    SioPacket& p = *decoded;
    if (p.nsp != "/") {
        if (p.type == SioType::kConnect)
            return ProtocolError("invalid_namespace", "Invalid namespace", EncodeConnectError("Invalid namespace", "invalid_namespace", p.nsp));
        return ProtocolError("invalid_namespace", "Invalid namespace", "");
    }
    SioAction a;
    switch (p.type) {
        case SioType::kConnect:
            if (state == SioState::kConnected)
                return ProtocolError("already_connected", "already connected to the namespace",
                                     EncodeConnectError("already connected", "already_connected"));
            a.kind = SioAction::Kind::kConnect;
            if (p.data) {
                const auto& o = p.data->as_object();
                a.auth.token = StringField(o, "token");
                a.auth.pid = StringField(o, "pid");
                a.auth.offset = StringField(o, "offset");
            }
            return a;
        case SioType::kDisconnect:
            a.kind = SioAction::Kind::kDisconnect;
            return a;
        case SioType::kEvent:
            if (state != SioState::kConnected)
                return ProtocolError("not_connected", "event before connect", EncodeConnectError("not connected", "not_connected"));
            a.kind = SioAction::Kind::kClientEvent;
            a.ack_id = p.id;
            if (const auto& name = p.data->as_array().front(); name.is_string()) a.event_name = std::string(name.as_string());
            return a;
        case SioType::kAck:
            a.kind = SioAction::Kind::kClientAck;
            a.ack_id = p.id;
            return a;
        default:
            return ProtocolError("unexpected_packet", "unexpected Socket.IO packet type from a client",
                                 EncodeConnectError("unexpected packet", "unexpected_packet"));
    }
}

std::string EncodeConnectOk(std::string_view sid, std::string_view pid) {
    json::object o;
    o["sid"] = sid;
    if (!pid.empty()) o["pid"] = pid;
    SioPacket p;
    p.type = SioType::kConnect;
    p.data = std::move(o);
    return AsEngineMessage(p);
}

std::string EncodeConnectError(std::string_view message, std::string_view code, std::string_view nsp) {
    json::object o;
    o["message"] = message;
    json::object data;
    data["code"] = code;
    o["data"] = std::move(data);
    SioPacket p;
    p.type = SioType::kConnectError;
    p.nsp = std::string(nsp);
    p.data = std::move(o);
    return AsEngineMessage(p);
}

std::string EncodeServerDisconnect() {
    SioPacket p;
    p.type = SioType::kDisconnect;
    return AsEngineMessage(p);
}

std::string EncodeAck(std::uint64_t id, std::string_view json_array) {
    std::string out = EncodeEioPacket(EioType::kMessage, "3");
    out.append(std::to_string(id));
    out.append(json_array);
    return out;
}

std::string PickToken(const ConnectAuth& auth, std::string_view query_token, std::string_view authorization_header) {
    if (auth.token && !auth.token->empty()) return *auth.token;
    if (!query_token.empty()) return std::string(query_token);
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization_header.size() > kBearer.size()) {
        bool match = true;
        for (std::size_t i = 0; i < kBearer.size(); ++i) {
            char a = authorization_header[i], b = kBearer[i];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
            if (a != b) { match = false; break; }
        }
        if (match) {
            std::string_view rest = authorization_header.substr(kBearer.size());
            while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
            while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
            return std::string(rest);
        }
    }
    return {};
}

bool MayReceive(const service::AccessView& access, const auth::Principal& who, const domain::Event& event) {
    if (event.company_id != who.company_id) return false;
    if (who.IsAdmin()) return true;
    if (event.name == "whatsapp:qr") return false;
    return access.CanRead(who, event.session_id);
}

Result<std::string> EncodeEventFrame(const domain::Event& event) {
    if (event.name.empty()) return MakeError("bad_event_name", "event without a name");
    json::object payload;
    if (!event.payload_json.empty()) {
        boost::system::error_code ec;
        json::value v = json::parse(event.payload_json, ec);
        if (ec) return MakeError("bad_payload", "event payload is not valid JSON");
        if (v.is_object()) payload = std::move(v.as_object());
        else if (!v.is_null()) payload["data"] = std::move(v);
    }
    payload["sessionId"] = event.session_id;
    payload["eventId"] = event.id;
    json::array args;
    args.reserve(3);
    args.emplace_back(json::string(event.name));
    args.emplace_back(std::move(payload));
    args.emplace_back(json::string(std::to_string(event.id)));
    std::string out = "42";
    out.append(json::serialize(args));
    return Result<std::string>(boost::system::in_place_value, std::move(out));
}

}  // namespace wadesk::realtime
