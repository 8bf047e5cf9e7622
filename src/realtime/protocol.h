#pragma once
// The Socket.IO side of a connection, without I/O: what a client packet asks for, who may
// receive an event, and the wire text of an event. Only the default namespace "/" exists.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/principal.h"
#include "core/result.h"
#include "service/access_view.h"
#include "domain/model.h"

namespace wadesk::realtime {

// What the client put in its CONNECT packet's auth object. Non-string values count as absent.
struct ConnectAuth {
    std::optional<std::string> token;
    std::optional<std::string> pid;     // connection-state recovery: the private id we issued
    std::optional<std::string> offset;  // recovery: the last event id the client received
};

struct SioAction {
    enum class Kind {
        kConnect,        // authenticate `auth` and answer CONNECT or CONNECT_ERROR
        kDisconnect,     // the client left the namespace: close the connection
        kClientEvent,    // an event from the client (this server defines none): ack if `ack_id`
        kClientAck,      // an ack for an event we emitted (we request none): ignored
        kProtocolError,  // send `reply` (an Engine.IO-encoded packet, may be empty), then close
    };
    Kind kind = Kind::kProtocolError;
    ConnectAuth auth;
    std::optional<std::uint64_t> ack_id;
    std::string event_name;
    std::string reply;
    Error error;
};

enum class SioState { kAwaitingConnect, kConnected };

// Interprets one Socket.IO packet (the data of an Engine.IO message packet).
SioAction InterpretSioMessage(std::string_view text, SioState state);

// Engine.IO-encoded packets the server sends.
std::string EncodeConnectOk(std::string_view sid, std::string_view pid);  // pid "" when recovery is off
std::string EncodeConnectError(std::string_view message, std::string_view code, std::string_view nsp = "/");
std::string EncodeServerDisconnect();
std::string EncodeAck(std::uint64_t id, std::string_view json_array);

// The token of a connection: auth.token, else the `token` query parameter, else the bearer
// token of the Authorization header. Empty when none.
std::string PickToken(const ConnectAuth& auth, std::string_view query_token, std::string_view authorization_header);

// The delivery rule of SPEC §5, evaluated at delivery time: same company; whatsapp:qr to admins
// only; admins everything else; managers only sessions where they hold canRead now.
bool MayReceive(const service::AccessView& access, const auth::Principal& who, const domain::Event& event);

// The Engine.IO text of an event: 42["<name>",<payload with sessionId and eventId>,"<id>"].
// The trailing string is the recovery offset the official client remembers. Errors:
// "bad_event_name", "bad_payload" (payload_json not valid JSON).
Result<std::string> EncodeEventFrame(const domain::Event& event);

}  // namespace wadesk::realtime
