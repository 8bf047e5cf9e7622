#pragma once
// HandshakeMessage protobuf (de)serialization for the handshake fields of handshake.h.
// Parsing checks presence and the sizes the state machines need; error code "bad_handshake".
#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/noise/handshake.h"

namespace wadesk::wa::noise {

Bytes EncodeClientHello(const Key32& ephemeral);
Result<Key32> ParseClientHello(BytesView handshake_message);

Bytes EncodeServerHello(const ServerHelloFields& hello);
Result<ServerHelloFields> ParseServerHello(BytesView handshake_message);

Bytes EncodeClientFinish(const ClientFinishFields& finish);
Result<ClientFinishFields> ParseClientFinish(BytesView handshake_message);

}  // namespace wadesk::wa::noise
