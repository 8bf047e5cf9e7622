#include "whatsapp/noise/messages.h"

#include "whatsapp/proto/message_util.h"

namespace wadesk::wa::noise {
namespace {

std::string Str(BytesView b) { return ToString(b); }
Error Bad(const char* what) { return MakeError("bad_handshake", what); }

}  // namespace

Bytes EncodeClientHello(const Key32& ephemeral) {
    HandshakeMessage m;
    m.mutable_clienthello()->set_ephemeral(std::string(ephemeral.begin(), ephemeral.end()));
    return SerializeProto(m);
}

Result<Key32> ParseClientHello(BytesView bytes) {
    auto m = ParseProto<HandshakeMessage>(bytes);
    if (!m) return Bad("malformed HandshakeMessage");
    if (!m->has_clienthello() || !m->clienthello().has_ephemeral()) return Bad("missing ClientHello.ephemeral");
    auto k = crypto::ToKey32(AsBytes(m->clienthello().ephemeral()));
    if (!k) return Bad("ClientHello.ephemeral is not 32 bytes");
    return *k;
}

Bytes EncodeServerHello(const ServerHelloFields& hello) {
    HandshakeMessage m;
    auto* s = m.mutable_serverhello();
    s->set_ephemeral(std::string(hello.ephemeral.begin(), hello.ephemeral.end()));
    s->set_static_(Str(hello.static_ciphertext));
    s->set_payload(Str(hello.payload_ciphertext));
    return SerializeProto(m);
}

Result<ServerHelloFields> ParseServerHello(BytesView bytes) {
    auto m = ParseProto<HandshakeMessage>(bytes);
    if (!m) return Bad("malformed HandshakeMessage");
    if (!m->has_serverhello()) return Bad("missing ServerHello");
    const auto& s = m->serverhello();
    if (!s.has_ephemeral() || !s.has_static_() || !s.has_payload()) return Bad("incomplete ServerHello");
    auto e = crypto::ToKey32(AsBytes(s.ephemeral()));
    if (!e) return Bad("ServerHello.ephemeral is not 32 bytes");
    return ServerHelloFields{*e, ToBytes(s.static_()), ToBytes(s.payload())};
}

Bytes EncodeClientFinish(const ClientFinishFields& finish) {
    HandshakeMessage m;
    auto* f = m.mutable_clientfinish();
    f->set_static_(Str(finish.static_ciphertext));
    f->set_payload(Str(finish.payload_ciphertext));
    return SerializeProto(m);
}

Result<ClientFinishFields> ParseClientFinish(BytesView bytes) {
    auto m = ParseProto<HandshakeMessage>(bytes);
    if (!m) return Bad("malformed HandshakeMessage");
    if (!m->has_clientfinish()) return Bad("missing ClientFinish");
    const auto& f = m->clientfinish();
    if (!f.has_static_() || !f.has_payload()) return Bad("incomplete ClientFinish");
    return ClientFinishFields{ToBytes(f.static_()), ToBytes(f.payload())};
}

}  // namespace wadesk::wa::noise
