// libFuzzer target: the Noise handshake messages a peer sends and the certificate chain inside the
// server's hello. Input: byte 0 picks the message, the rest is its HandshakeMessage (or CertChain).
//   0  ClientHello (the emulator reads it), then Responder::ReadClientHello
//   1  ServerHello (the client reads it), then Initiator::ReadServerHello
//   2  ClientFinish (the emulator reads it), then Responder::ReadClientFinish after a real hello
//   3  a CertChain as received, verified against fixed keys
//   4  a CertChain re-signed by this target's root and intermediate keys, carried through a real
//      handshake (Responder encrypts it, Initiator decrypts it) and verified, so the checks after
//      the signatures are reached
// Invariants: a parsed message encodes back to bytes that parse to the same fields; a chain that
// verifies has the intermediate key that signed its leaf, issuer serials 0 and the intermediate's,
// and the server's static key in its leaf; the decrypted chain is the chain the server sent.
#include <cstdint>

#include "fuzz_check.h"
#include "quiet_protobuf.h"
#include "whatsapp/noise/cert_chain.h"
#include "whatsapp/noise/handshake.h"
#include "whatsapp/noise/messages.h"
#include "whatsapp/proto/message_util.h"

using namespace wadesk;
using namespace wadesk::wa;
using namespace wadesk::wa::noise;

namespace {

crypto::KeyPair FixedKey(std::uint8_t seed) {
    crypto::Key32 priv{};
    priv.fill(seed);
    return crypto::KeyPairFromPrivate(priv);
}

const crypto::KeyPair kClientStatic = FixedKey(1), kClientEphemeral = FixedKey(2), kServerStatic = FixedKey(3),
                      kServerEphemeral = FixedKey(4), kRoot = FixedKey(5), kIntermediate = FixedKey(6);
constexpr std::int64_t kNow = 1'700'000'000;

void ClientHello(BytesView bytes) {
    auto key = ParseClientHello(bytes);
    if (!key) return;
    FUZZ_CHECK(ParseClientHello(EncodeClientHello(*key)).value() == *key, "ClientHello does not round-trip");
    Responder responder(kServerStatic, Bytes{}, kServerEphemeral);
    (void)responder.ReadClientHello(crypto::View(*key));
}

void ServerHello(BytesView bytes) {
    auto hello = ParseServerHello(bytes);
    if (!hello) return;
    auto again = ParseServerHello(EncodeServerHello(*hello));
    FUZZ_CHECK(again && again->ephemeral == hello->ephemeral && again->static_ciphertext == hello->static_ciphertext &&
                   again->payload_ciphertext == hello->payload_ciphertext,
               "ServerHello does not round-trip");
    Initiator initiator(kClientStatic, kClientEphemeral);
    initiator.WriteClientHello();
    (void)initiator.ReadServerHello(*hello);
}

void ClientFinish(BytesView bytes) {
    auto finish = ParseClientFinish(bytes);
    if (!finish) return;
    auto again = ParseClientFinish(EncodeClientFinish(*finish));
    FUZZ_CHECK(again && again->static_ciphertext == finish->static_ciphertext &&
                   again->payload_ciphertext == finish->payload_ciphertext,
               "ClientFinish does not round-trip");
    Responder responder(kServerStatic, Bytes{}, kServerEphemeral);
    if (!responder.ReadClientHello(crypto::View(kClientEphemeral.pub))) return;
    (void)responder.ReadClientFinish(*finish);
}

// What a chain that verified must hold, read independently of VerifyCertChain.
void CheckVerifiedChain(BytesView bytes, const crypto::Key32& intermediate_key) {
    auto chain = ParseProto<CertChain>(bytes).value();
    auto inter = ParseProto<CertChain::NoiseCertificate::Details>(AsBytes(chain.intermediate().details())).value();
    auto leaf = ParseProto<CertChain::NoiseCertificate::Details>(AsBytes(chain.leaf().details())).value();
    FUZZ_CHECK(inter.key() == ToString(crypto::View(intermediate_key)), "verified with another intermediate key");
    FUZZ_CHECK(inter.issuerserial() == 0 && leaf.issuerserial() == inter.serial(), "verified with wrong serials");
    FUZZ_CHECK(leaf.key() == ToString(crypto::View(kServerStatic.pub)), "verified with another leaf key");
    FUZZ_CHECK(inter.notbefore() <= kNow && kNow <= inter.notafter() && leaf.notbefore() <= kNow &&
                   kNow <= leaf.notafter(),
               "verified outside the validity window");
}

void ReceivedChain(BytesView bytes) {
    if (VerifyCertChain(bytes, kServerStatic.pub, kRoot.pub, kNow)) CheckVerifiedChain(bytes, kIntermediate.pub);
}

void ResignedChainThroughHandshake(BytesView bytes) {
    auto chain = ParseProto<CertChain>(bytes);
    if (!chain) return;
    if (chain->has_intermediate()) {
        auto sig = crypto::Sign(kRoot.priv, AsBytes(chain->intermediate().details()));
        chain->mutable_intermediate()->set_signature(std::string(sig.begin(), sig.end()));
    }
    if (chain->has_leaf()) {
        auto sig = crypto::Sign(kIntermediate.priv, AsBytes(chain->leaf().details()));
        chain->mutable_leaf()->set_signature(std::string(sig.begin(), sig.end()));
    }
    const Bytes sent = SerializeProto(*chain);

    Initiator initiator(kClientStatic, kClientEphemeral);
    Responder responder(kServerStatic, sent, kServerEphemeral);
    auto hello = responder.ReadClientHello(crypto::View(initiator.WriteClientHello()));
    FUZZ_CHECK(hello, "a real ClientHello is refused");
    auto server = initiator.ReadServerHello(*ParseServerHello(EncodeServerHello(*hello)));
    FUZZ_CHECK(server && server->server_static == kServerStatic.pub && server->cert_chain == sent,
               "the client does not read the server's hello as sent");
    if (VerifyCertChain(server->cert_chain, server->server_static, kRoot.pub, kNow))
        CheckVerifiedChain(server->cert_chain, kIntermediate.pub);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const BytesView bytes(data + 1, size - 1);
    switch (data[0] % 5) {
        case 0: ClientHello(bytes); break;
        case 1: ServerHello(bytes); break;
        case 2: ClientFinish(bytes); break;
        case 3: ReceivedChain(bytes); break;
        case 4: ResignedChainThroughHandshake(bytes); break;
    }
    return 0;
}
