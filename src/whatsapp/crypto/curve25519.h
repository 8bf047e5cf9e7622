#pragma once
// Curve25519 as WhatsApp uses it: X25519 key agreement over raw 32-byte keys, and 64-byte
// "Curve25519 signatures" (XEdDSA-compatible: an Ed25519 signature made with the Montgomery
// private scalar, the Edwards sign bit of the public key stored in bit 7 of byte 63).
// Signatures made here verify under libsignal (C and JS, curve25519-js) and vice versa.
#include <array>
#include <cstdint>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::wa::crypto {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;

using Key32 = std::array<std::uint8_t, kKeySize>;
using Signature = std::array<std::uint8_t, kSignatureSize>;

struct KeyPair {
    Key32 priv{};  // clamped scalar
    Key32 pub{};   // Montgomery u coordinate
};

// A fresh random key pair.
KeyPair GenerateKeyPair();
// The key pair of a given private scalar; the scalar is clamped first.
KeyPair KeyPairFromPrivate(const Key32& priv);
// Copies exactly 32 bytes into a Key32; error "bad_key_length" otherwise.
Result<Key32> ToKey32(BytesView bytes);
inline BytesView View(const Key32& k) { return {k.data(), k.size()}; }
inline Bytes ToBytes(const Key32& k) { return Bytes(k.begin(), k.end()); }

// X25519(priv, pub). Error "weak_public_key" for small-order points (all-zero shared secret).
Result<Key32> SharedSecret(const Key32& priv, const Key32& pub);

// Signs message with the Montgomery private key (random nonce, never repeated).
Signature Sign(const Key32& priv, BytesView message);
// True iff signature (64 bytes) is a valid Curve25519 signature of message under pub.
bool Verify(const Key32& pub, BytesView message, BytesView signature);

}  // namespace wadesk::wa::crypto
