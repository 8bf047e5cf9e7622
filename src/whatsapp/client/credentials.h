#pragma once
// Credentials: everything a linked companion device must remember between connections
// (wa-protocol §3, §5, §6). Serialized as a versioned TLV blob kept under store_keys::kCredentials.
//
// Secrets: noise.priv, identity.priv, signed_pre_key.key.priv and adv_secret. Nothing in this
// header formats them for logs; never print a Credentials value.
#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/crypto/curve25519.h"

namespace wadesk::wa {

struct SignedPreKey {
    std::uint32_t id = 0;              // 24-bit on the wire
    crypto::KeyPair key;
    crypto::Signature signature{};     // by the identity key over 0x05 || key.pub
};

struct Me {
    std::string jid;   // own PN device JID, "15551234567:5@s.whatsapp.net"
    std::string lid;   // own LID device JID, "1234...:5@lid" (may be empty)
    std::string name;  // push name / business name (may be empty)
};

struct Credentials {
    crypto::KeyPair noise;                  // long-term Noise static key; the login credential
    crypto::KeyPair identity;               // Signal identity key
    std::uint32_t registration_id = 0;      // 14-bit Signal registration id
    SignedPreKey signed_pre_key;
    Bytes adv_secret;                       // 32 bytes, shown in the QR
    std::uint32_t next_pre_key_id = 1;      // id the next generated one-time pre-key gets
    std::uint32_t first_unuploaded_pre_key_id = 1;
    std::string platform;                   // pair-success <platform name>
    std::optional<Me> me;                   // set once paired
    Bytes account;                          // ADVSignedDeviceIdentity incl. accountSignatureKey and deviceSignature
    Bytes routing_info;                     // <edge_routing> bytes, if any

    bool Registered() const { return me.has_value() && !account.empty(); }
};

// Fresh credentials for a new companion: random keys, registration id in [1, 16383],
// signed pre-key id 1 signed by the identity key.
Credentials GenerateCredentials();

// 0x05 || pub, the 33-byte key form used inside Signal structures and prekey signatures.
Bytes SignalPublicKey(const crypto::Key32& pub);

// True when signed_pre_key.signature verifies under identity.pub.
bool SignedPreKeyIsValid(const Credentials& creds);

Bytes EncodeCredentials(const Credentials& creds);
// Error "bad_credentials" on a truncated or inconsistent blob; unknown fields are skipped.
Result<Credentials> DecodeCredentials(BytesView blob);

}  // namespace wadesk::wa
