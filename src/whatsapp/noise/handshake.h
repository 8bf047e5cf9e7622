#pragma once
// Noise_XX_25519_AESGCM_SHA256 as WhatsApp Web runs it, both roles, as synchronous state machines
// with no I/O. The caller moves the message fields (HandshakeMessage protobuf, see messages.h)
// between the two sides.
//
//   -> e                   ClientHello  { ephemeral }
//   <- e, ee, s, es        ServerHello  { ephemeral, static (48 B), payload (cert chain) }
//   -> s, se               ClientFinish { static (48 B), payload (ClientPayload) }
//
// Prologue = the WA header 57 41 06 03. The 32-byte padded protocol name is the initial h and ck.
// WhatsApp quirk: the AES-GCM counter is shared by both directions within one key epoch (MixKey
// resets it): the client decrypts the cert payload at n = 0 and encrypts its static key at n = 1.
// IV = 8 zero bytes || n (32-bit BE); handshake AAD = h. After Split each direction has its own
// counter from 0 and the AAD is empty.
//
// Every method that consumes peer bytes returns Result; once a step fails the object is dead and
// every further call fails with "handshake_failed".
#include <array>
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/crypto/curve25519.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::wa::noise {

using crypto::Key32;
using crypto::KeyPair;

// One direction of the transport: AES-256-GCM with a 32-bit counter IV and empty AAD.
class TransportCipher {
public:
    TransportCipher() = default;
    explicit TransportCipher(const Key32& key) : key_(key) {}

    Result<Bytes> Encrypt(BytesView plaintext);
    Result<Bytes> Decrypt(BytesView ciphertext);
    std::uint64_t counter() const { return counter_; }
    const Key32& key() const { return key_; }

private:
    Key32 key_{};
    std::uint64_t counter_ = 0;
};

struct TransportKeys {
    TransportCipher send;
    TransportCipher recv;
};

// h, ck, k, n, and the operations of the Noise SymmetricState (WhatsApp's shared counter).
class SymmetricState {
public:
    explicit SymmetricState(BytesView prologue);

    void MixHash(BytesView data);
    Result<void> MixKey(BytesView input_key_material);
    Result<Bytes> EncryptAndHash(BytesView plaintext);
    Result<Bytes> DecryptAndHash(BytesView ciphertext);
    // (first 32 bytes, last 32 bytes) of HKDF(salt = ck, ikm = empty, 64).
    std::pair<Key32, Key32> Split() const;

    const crypto::Digest32& h() const { return h_; }
    const Key32& ck() const { return ck_; }
    const Key32& k() const { return k_; }

private:
    crypto::Digest32 h_{};
    Key32 ck_{};
    Key32 k_{};
    bool has_key_ = false;
    std::uint32_t n_ = 0;
};

struct ServerHelloFields {
    Key32 ephemeral{};
    Bytes static_ciphertext;   // 48 bytes
    Bytes payload_ciphertext;  // encrypted certificate chain
};

struct ClientFinishFields {
    Bytes static_ciphertext;   // 48 bytes
    Bytes payload_ciphertext;  // encrypted ClientPayload
};

// The client side.
class Initiator {
public:
    // ephemeral: for fixed test vectors; a fresh key pair is generated when absent.
    explicit Initiator(KeyPair static_key, std::optional<KeyPair> ephemeral = std::nullopt);

    // ClientHello.ephemeral. REQUIRES: first call.
    Key32 WriteClientHello();

    struct ServerIdentity {
        Key32 server_static{};
        Bytes cert_chain;  // decrypted payload, to be verified by the caller (cert_chain.h)
    };
    Result<ServerIdentity> ReadServerHello(const ServerHelloFields& hello);

    // Encrypts our static key and the ClientPayload. REQUIRES: ReadServerHello succeeded.
    Result<ClientFinishFields> WriteClientFinish(BytesView client_payload);

    // Transport keys: send = client write key, recv = client read key. REQUIRES: finished.
    Result<TransportKeys> Split() const;

    const SymmetricState& state() const { return state_; }

private:
    enum class Step { kStart, kSentHello, kReadServerHello, kFinished, kFailed };
    template <class T>
    Result<T> Fail(const Error& e);

    KeyPair static_;
    KeyPair ephemeral_;
    Key32 remote_ephemeral_{};
    SymmetricState state_;
    Step step_ = Step::kStart;
};

// The server side.
class Responder {
public:
    // cert_chain: serialized CertChain sent (encrypted) in ServerHello.payload.
    Responder(KeyPair static_key, Bytes cert_chain, std::optional<KeyPair> ephemeral = std::nullopt);

    Result<ServerHelloFields> ReadClientHello(BytesView client_ephemeral);

    struct ClientIdentity {
        Key32 client_static{};  // the client's long-term noise key: its login credential
        Bytes payload;          // decrypted ClientPayload bytes
    };
    Result<ClientIdentity> ReadClientFinish(const ClientFinishFields& finish);

    // Transport keys: send = server write (client read) key, recv = client write key.
    Result<TransportKeys> Split() const;

    const SymmetricState& state() const { return state_; }

private:
    enum class Step { kStart, kSentServerHello, kFinished, kFailed };
    template <class T>
    Result<T> Fail(const Error& e);

    KeyPair static_;
    KeyPair ephemeral_;
    Bytes cert_chain_;
    Key32 remote_ephemeral_{};
    SymmetricState state_;
    Step step_ = Step::kStart;
};

}  // namespace wadesk::wa::noise
