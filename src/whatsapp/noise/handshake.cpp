#include "whatsapp/noise/handshake.h"

#include <cstring>

#include "whatsapp/noise/frame.h"

namespace wadesk::wa::noise {
namespace {

constexpr char kProtocolName[] = "Noise_XX_25519_AESGCM_SHA256";

std::array<std::uint8_t, 12> MakeIv(std::uint32_t n) {
    std::array<std::uint8_t, 12> iv{};
    iv[8] = static_cast<std::uint8_t>(n >> 24);
    iv[9] = static_cast<std::uint8_t>(n >> 16);
    iv[10] = static_cast<std::uint8_t>(n >> 8);
    iv[11] = static_cast<std::uint8_t>(n);
    return iv;
}

BytesView V(const Key32& k) { return {k.data(), k.size()}; }

Error StateError(const char* what) { return MakeError("handshake_state", what); }

}  // namespace

// ---- TransportCipher -------------------------------------------------------------------------

Result<Bytes> TransportCipher::Encrypt(BytesView plaintext) {
    if (counter_ > 0xffffffffu) return MakeError("counter_exhausted", "transport counter exhausted");
    const auto iv = MakeIv(static_cast<std::uint32_t>(counter_));
    auto out = crypto::AesGcmEncrypt(V(key_), iv, plaintext, {});
    if (out) ++counter_;
    return out;
}

Result<Bytes> TransportCipher::Decrypt(BytesView ciphertext) {
    if (counter_ > 0xffffffffu) return MakeError("counter_exhausted", "transport counter exhausted");
    const auto iv = MakeIv(static_cast<std::uint32_t>(counter_));
    auto out = crypto::AesGcmDecrypt(V(key_), iv, ciphertext, {});
    if (out) ++counter_;
    return out;
}

// ---- SymmetricState --------------------------------------------------------------------------

SymmetricState::SymmetricState(BytesView prologue) {
    static_assert(sizeof(kProtocolName) - 1 == 28);
    std::memcpy(h_.data(), kProtocolName, 28);  // padded with NULs to 32, used unhashed
    std::memcpy(ck_.data(), h_.data(), 32);
    MixHash(prologue);
}

void SymmetricState::MixHash(BytesView data) { h_ = crypto::Sha256({V(h_), data}); }

Result<void> SymmetricState::MixKey(BytesView ikm) {
    auto out = crypto::Hkdf(ikm, V(ck_), {}, 64);
    if (!out) return out.error();
    std::memcpy(ck_.data(), out->data(), 32);
    std::memcpy(k_.data(), out->data() + 32, 32);
    has_key_ = true;
    n_ = 0;
    return {};
}

Result<Bytes> SymmetricState::EncryptAndHash(BytesView plaintext) {
    if (!has_key_) return StateError("encrypt before any MixKey");
    const auto iv = MakeIv(n_);
    auto ct = crypto::AesGcmEncrypt(V(k_), iv, plaintext, V(h_));
    if (!ct) return ct.error();
    MixHash(*ct);
    ++n_;
    return ct;
}

Result<Bytes> SymmetricState::DecryptAndHash(BytesView ciphertext) {
    if (!has_key_) return StateError("decrypt before any MixKey");
    const auto iv = MakeIv(n_);
    auto pt = crypto::AesGcmDecrypt(V(k_), iv, ciphertext, V(h_));
    if (!pt) return pt.error();
    MixHash(ciphertext);
    ++n_;
    return pt;
}

std::pair<Key32, Key32> SymmetricState::Split() const {
    auto out = crypto::Hkdf({}, V(ck_), {}, 64).value();  // cannot fail: fixed valid length
    std::pair<Key32, Key32> keys;
    std::memcpy(keys.first.data(), out.data(), 32);
    std::memcpy(keys.second.data(), out.data() + 32, 32);
    return keys;
}

// ---- Initiator -------------------------------------------------------------------------------

Initiator::Initiator(KeyPair static_key, std::optional<KeyPair> ephemeral)
    : static_(static_key),
      ephemeral_(ephemeral ? *ephemeral : crypto::GenerateKeyPair()),
      state_(BytesView(kWaHeader.data(), kWaHeader.size())) {}

template <class T>
Result<T> Initiator::Fail(const Error& e) {
    step_ = Step::kFailed;
    return e;
}

Key32 Initiator::WriteClientHello() {
    if (step_ != Step::kStart) {
        step_ = Step::kFailed;
        return ephemeral_.pub;
    }
    state_.MixHash(V(ephemeral_.pub));
    step_ = Step::kSentHello;
    return ephemeral_.pub;
}

Result<Initiator::ServerIdentity> Initiator::ReadServerHello(const ServerHelloFields& hello) {
    if (step_ != Step::kSentHello) return Fail<ServerIdentity>(StateError("ServerHello out of order"));
    remote_ephemeral_ = hello.ephemeral;
    state_.MixHash(V(remote_ephemeral_));
    auto ee = crypto::SharedSecret(ephemeral_.priv, remote_ephemeral_);
    if (!ee) return Fail<ServerIdentity>(ee.error());
    if (auto r = state_.MixKey(V(*ee)); !r) return Fail<ServerIdentity>(r.error());

    if (hello.static_ciphertext.size() != 48) {
        return Fail<ServerIdentity>(MakeError("bad_handshake", "server static must be 48 bytes"));
    }
    auto s = state_.DecryptAndHash(hello.static_ciphertext);
    if (!s) return Fail<ServerIdentity>(s.error());
    ServerIdentity id;
    id.server_static = crypto::ToKey32(*s).value();
    auto es = crypto::SharedSecret(ephemeral_.priv, id.server_static);
    if (!es) return Fail<ServerIdentity>(es.error());
    if (auto r = state_.MixKey(V(*es)); !r) return Fail<ServerIdentity>(r.error());

    auto cert = state_.DecryptAndHash(hello.payload_ciphertext);
    if (!cert) return Fail<ServerIdentity>(cert.error());
    id.cert_chain = std::move(*cert);
    step_ = Step::kReadServerHello;
    return id;
}

Result<ClientFinishFields> Initiator::WriteClientFinish(BytesView client_payload) {
    if (step_ != Step::kReadServerHello) return Fail<ClientFinishFields>(StateError("ClientFinish out of order"));
    ClientFinishFields out;
    auto s = state_.EncryptAndHash(V(static_.pub));  // n = 1: the shared-counter quirk
    if (!s) return Fail<ClientFinishFields>(s.error());
    out.static_ciphertext = std::move(*s);
    auto se = crypto::SharedSecret(static_.priv, remote_ephemeral_);
    if (!se) return Fail<ClientFinishFields>(se.error());
    if (auto r = state_.MixKey(V(*se)); !r) return Fail<ClientFinishFields>(r.error());
    auto p = state_.EncryptAndHash(client_payload);
    if (!p) return Fail<ClientFinishFields>(p.error());
    out.payload_ciphertext = std::move(*p);
    step_ = Step::kFinished;
    return out;
}

Result<TransportKeys> Initiator::Split() const {
    if (step_ != Step::kFinished) return StateError("split before the handshake finished");
    auto [write, read] = state_.Split();
    return TransportKeys{TransportCipher(write), TransportCipher(read)};
}

// ---- Responder -------------------------------------------------------------------------------

Responder::Responder(KeyPair static_key, Bytes cert_chain, std::optional<KeyPair> ephemeral)
    : static_(static_key),
      ephemeral_(ephemeral ? *ephemeral : crypto::GenerateKeyPair()),
      cert_chain_(std::move(cert_chain)),
      state_(BytesView(kWaHeader.data(), kWaHeader.size())) {}

template <class T>
Result<T> Responder::Fail(const Error& e) {
    step_ = Step::kFailed;
    return e;
}

Result<ServerHelloFields> Responder::ReadClientHello(BytesView client_ephemeral) {
    if (step_ != Step::kStart) return Fail<ServerHelloFields>(StateError("ClientHello out of order"));
    auto e = crypto::ToKey32(client_ephemeral);
    if (!e) return Fail<ServerHelloFields>(MakeError("bad_handshake", "client ephemeral must be 32 bytes"));
    remote_ephemeral_ = *e;
    state_.MixHash(V(remote_ephemeral_));

    ServerHelloFields out;
    out.ephemeral = ephemeral_.pub;
    state_.MixHash(V(ephemeral_.pub));
    auto ee = crypto::SharedSecret(ephemeral_.priv, remote_ephemeral_);
    if (!ee) return Fail<ServerHelloFields>(ee.error());
    if (auto r = state_.MixKey(V(*ee)); !r) return Fail<ServerHelloFields>(r.error());
    auto s = state_.EncryptAndHash(V(static_.pub));
    if (!s) return Fail<ServerHelloFields>(s.error());
    out.static_ciphertext = std::move(*s);
    auto es = crypto::SharedSecret(static_.priv, remote_ephemeral_);
    if (!es) return Fail<ServerHelloFields>(es.error());
    if (auto r = state_.MixKey(V(*es)); !r) return Fail<ServerHelloFields>(r.error());
    auto p = state_.EncryptAndHash(cert_chain_);
    if (!p) return Fail<ServerHelloFields>(p.error());
    out.payload_ciphertext = std::move(*p);
    step_ = Step::kSentServerHello;
    return out;
}

Result<Responder::ClientIdentity> Responder::ReadClientFinish(const ClientFinishFields& finish) {
    if (step_ != Step::kSentServerHello) return Fail<ClientIdentity>(StateError("ClientFinish out of order"));
    if (finish.static_ciphertext.size() != 48) {
        return Fail<ClientIdentity>(MakeError("bad_handshake", "client static must be 48 bytes"));
    }
    auto s = state_.DecryptAndHash(finish.static_ciphertext);  // n = 1: the shared-counter quirk
    if (!s) return Fail<ClientIdentity>(s.error());
    ClientIdentity id;
    id.client_static = crypto::ToKey32(*s).value();
    auto se = crypto::SharedSecret(ephemeral_.priv, id.client_static);
    if (!se) return Fail<ClientIdentity>(se.error());
    if (auto r = state_.MixKey(V(*se)); !r) return Fail<ClientIdentity>(r.error());
    auto p = state_.DecryptAndHash(finish.payload_ciphertext);
    if (!p) return Fail<ClientIdentity>(p.error());
    id.payload = std::move(*p);
    step_ = Step::kFinished;
    return id;
}

Result<TransportKeys> Responder::Split() const {
    if (step_ != Step::kFinished) return StateError("split before the handshake finished");
    auto [client_write, client_read] = state_.Split();
    return TransportKeys{TransportCipher(client_read), TransportCipher(client_write)};
}

}  // namespace wadesk::wa::noise
