#pragma once
// Hashes, MACs, KDFs and ciphers used by the WhatsApp protocol (OpenSSL underneath).
// Pure functions; every failure that depends on caller input is a Result error.
#include <array>
#include <cstdint>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::wa::crypto {

using Digest32 = std::array<std::uint8_t, 32>;

Digest32 Sha256(BytesView data);
Digest32 Sha256(std::initializer_list<BytesView> parts);
Digest32 HmacSha256(BytesView key, BytesView data);

// RFC 5869 HKDF-SHA256. An empty salt means 32 zero bytes. Error if length > 255 * 32.
Result<Bytes> Hkdf(BytesView ikm, BytesView salt, BytesView info, std::size_t length);

// PBKDF2-HMAC-SHA256.
Result<Bytes> Pbkdf2Sha256(BytesView password, BytesView salt, std::uint32_t iterations, std::size_t length);

inline constexpr std::size_t kGcmTagSize = 16;

// AES-256-GCM; the 16-byte tag is appended to / expected at the end of the ciphertext.
// key: 32 bytes, iv: 12 bytes. Decrypt fails with "auth_failed" on a bad tag.
Result<Bytes> AesGcmEncrypt(BytesView key, BytesView iv, BytesView plaintext, BytesView aad);
Result<Bytes> AesGcmDecrypt(BytesView key, BytesView iv, BytesView ciphertext, BytesView aad);

// AES-256-CBC with PKCS#7 padding. key: 32 bytes, iv: 16 bytes. Decrypt fails on bad padding.
Result<Bytes> AesCbcEncrypt(BytesView key, BytesView iv, BytesView plaintext);
Result<Bytes> AesCbcDecrypt(BytesView key, BytesView iv, BytesView ciphertext);

// AES-256-CTR (encryption and decryption are the same). key: 32 bytes, iv: 16 bytes.
Result<Bytes> AesCtr(BytesView key, BytesView iv, BytesView data);

}  // namespace wadesk::wa::crypto
