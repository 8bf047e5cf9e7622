#pragma once
// The Noise server certificate chain (CertChain protobuf, sent encrypted in ServerHello.payload):
//
//   root (trust anchor, serial 0) --signs--> intermediate (serial 1, issuerSerial 0, key I)
//   I --signs--> leaf (serial 2, issuerSerial 1, key = the server's Noise static key)
//
// Each certificate is {details = serialized Details, signature = 64-byte Curve25519 signature over
// the raw details bytes}. Verification is the strict form: both certificates present, 64-byte
// signatures, 32-byte keys, intermediate signed by the trust root with issuerSerial 0, leaf signed
// by the intermediate key with issuerSerial == intermediate serial, leaf key == the server static
// key from the handshake, notBefore <= now <= notAfter for both.
#include <cstdint>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/crypto/curve25519.h"

namespace wadesk::wa::noise {

// WhatsApp's real Noise root public key (serial 0, "WhatsAppLongTerm1").
inline constexpr crypto::Key32 kWhatsAppRootKey = {
    0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
    0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b};

inline constexpr std::uint32_t kIntermediateSerial = 1;
inline constexpr std::uint32_t kLeafSerial = 2;

struct Validity {
    std::uint64_t not_before = 0;  // unix seconds
    std::uint64_t not_after = 0;
};

// Serialized CertChain: intermediate over intermediate_key signed by root, leaf over server_static
// signed by the intermediate.
Bytes BuildCertChain(const crypto::KeyPair& root, const crypto::KeyPair& intermediate,
                     const crypto::Key32& server_static, Validity intermediate_validity, Validity leaf_validity);

// Error codes: bad_cert_chain (malformed, missing parts, wrong lengths or serials),
// bad_cert_signature, cert_key_mismatch (leaf key != server static), cert_expired (outside the
// validity window).
Result<void> VerifyCertChain(BytesView chain, const crypto::Key32& server_static, const crypto::Key32& trust_root,
                             std::int64_t now_seconds);

}  // namespace wadesk::wa::noise
