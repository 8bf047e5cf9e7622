#pragma once
// The emulated phone's side of linking by pairing code (wa-protocol §5.2): the code check, the
// unwrapping of the companion's ephemeral key with the typed code, the wrapping of the phone's own
// ephemeral key, and the opening of the companion's key bundle. Pure functions over bytes.
//
// A wrong code is detected honestly: the phone unwraps the companion ephemeral with the code it
// was given (AES-CTR has no integrity, so this always "works"), and the key bundle of
// companion_finish then fails its AES-GCM tag because both sides derived different secrets.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "sim/state.h"

namespace wadesk::sim {

inline constexpr std::uint32_t kLinkCodeIterations = 131072;  // PBKDF2-HMAC-SHA256 rounds (2 << 16)
inline constexpr std::size_t kWrappedKeySize = 80;            // salt(32) || iv(16) || ctr(pub)(32)
inline constexpr std::size_t kWrappedBundleSize = 156;        // salt(32) || nonce(12) || gcm(96 + 16)

// Upper-cases and drops one dash ("abcd-1234" -> "ABCD1234"). Error "bad_code" unless the result
// is 8 characters of the alphabet 123456789ABCDEFGHJKLMNPQRSTVWXYZ.
Result<std::string> NormalizeLinkCode(std::string_view typed);

// AES-256-CTR(PBKDF2(code, salt), iv) of a 32-byte key, framed as salt || iv || ciphertext.
Bytes WrapWithLinkCode(std::string_view code, const Key32& key, BytesView salt, BytesView iv);
// Inverse of WrapWithLinkCode. Error "bad_wrapped_key" when `wrapped` is not 80 bytes.
Result<Key32> UnwrapWithLinkCode(std::string_view code, BytesView wrapped);

struct KeyBundle {
    Key32 companion_identity{};
    Key32 primary_identity{};
    Bytes random;  // 32 bytes, mixed into the adv secret
};

// Opens salt || nonce || AES-256-GCM(HKDF(shared, salt, "link_code_pairing_key_bundle_encryption_key"))
// of companion identity || primary identity || random. Errors: "bad_bundle" (size), "wrong_code"
// (the tag does not verify: the two sides derived different secrets).
Result<KeyBundle> OpenKeyBundle(BytesView wrapped, const Key32& shared);

// HKDF-SHA256(shared || identity_shared || random, no salt, "adv_secret", 32).
Bytes DeriveLinkCodeAdvSecret(const Key32& shared, const Key32& identity_shared, BytesView random);

}  // namespace wadesk::sim
