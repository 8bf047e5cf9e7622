#pragma once
// Companion side of linking by pairing code (wa-protocol §5.2): the code, the PBKDF2 + AES-CTR
// wrapping of the companion's ephemeral key (companion_hello), and the key bundle and adv secret
// computed from the phone's primary_hello (companion_finish). Pure functions over bytes; no I/O.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/crypto/curve25519.h"

namespace wadesk::wa {

inline constexpr std::uint32_t kPairingCodeIterations = 131072;  // PBKDF2-HMAC-SHA256 rounds (2 << 16)
inline constexpr std::size_t kPairingCodeLength = 8;
inline constexpr std::size_t kWrappedEphemeralSize = 80;  // salt(32) || iv(16) || AES-CTR(pub)(32)
inline constexpr std::size_t kWrappedKeyBundleSize = 156;  // salt(32) || nonce(12) || AES-GCM(96) || tag(16)
// How long a requested code stays valid on our side before the session gives up (like the QR refs).
inline constexpr std::chrono::seconds kPairingCodeTtl{180};

// 5 bytes as 8 characters of 123456789ABCDEFGHJKLMNPQRSTVWXYZ, 5 bits each, most significant first.
// REQUIRES: five.size() == 5.
std::string EncodePairingCode(BytesView five);
// A fresh random code (8 characters, no dash).
std::string NewPairingCode();
// True iff `code` is 8 characters of the alphabet above.
bool IsPairingCode(std::string_view code);

// salt || iv || AES-256-CTR(PBKDF2-HMAC-SHA256(code, salt, 131072, 32), iv, key).
// Errors: "bad_length" when salt is not 32 bytes or iv not 16.
Result<Bytes> WrapEphemeral(std::string_view code, const crypto::Key32& key, BytesView salt, BytesView iv);
// Inverse of WrapEphemeral. Error "bad_wrapped_key" when `wrapped` is not 80 bytes.
Result<crypto::Key32> UnwrapEphemeral(std::string_view code, BytesView wrapped);

struct CompanionFinish {
    Bytes wrapped_key_bundle;  // 156 bytes for <link_code_pairing_wrapped_key_bundle>
    Bytes adv_secret;          // 32 bytes: the new adv secret that keys the pair-success HMAC
};

// From the phone's primary_hello: shared = X25519(companion_ephemeral.priv, primary_ephemeral);
// bundle key = HKDF(shared, salt, "link_code_pairing_key_bundle_encryption_key");
// bundle = salt || nonce || AES-256-GCM(companion identity || primary identity || random);
// adv secret = HKDF(shared || X25519(identity.priv, primary_identity) || random, "adv_secret").
// `random` and `salt` are 32 bytes, `nonce` 12 (callers pass fresh random bytes; tests pin them).
// Errors: "bad_length", "weak_public_key".
Result<CompanionFinish> BuildCompanionFinish(const crypto::KeyPair& companion_ephemeral,
                                             const crypto::Key32& primary_ephemeral,
                                             const crypto::KeyPair& identity, const crypto::Key32& primary_identity,
                                             BytesView random, BytesView salt, BytesView nonce);

}  // namespace wadesk::wa
