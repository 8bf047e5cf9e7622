#pragma once
// The emulated primary phone's side of QR pairing (wa-protocol §5.1): QR parsing, the ADV device
// identity it signs for a companion, and the check of the companion's pair-device-sign reply.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "sim/state.h"

namespace wadesk::sim {

// `[https://wa.me/settings/linked_devices#]ref,b64(noise pub),b64(identity pub),b64(adv secret),platform`
struct QrData {
    std::string ref;
    Key32 noise_key{};
    Key32 identity{};
    Bytes adv_secret;  // 32 bytes
    std::string platform_id;
};

// Error "bad_qr" for anything that is not exactly that form.
Result<QrData> ParseQr(std::string_view qr);

// Platform id of the QR ("1" Chrome, ...) to a lowercase platform name.
std::string PlatformName(std::string_view platform_id);

struct AdvPairing {
    std::uint32_t key_index = 0;
    Bytes details;            // serialized ADVDeviceIdentity (D)
    Bytes account_signature;  // Sign(phone identity, 06 00 || D || companion identity)
    Bytes signed_identity;    // serialized ADVSignedDeviceIdentity (S), no device signature
    Bytes hmac_container;     // serialized ADVSignedDeviceIdentityHMAC, HMAC-SHA256(adv secret, S)
};

// What the phone sends in pair-success <device-identity>.
AdvPairing BuildAdvPairing(const Account& account, const Key32& companion_identity, BytesView adv_secret,
                           std::uint32_t key_index, std::int64_t now_seconds);

// Checks the companion's <device-identity> (ADVSignedDeviceIdentity without the account key):
// same details and account signature as sent, and a device signature by the companion identity
// over 06 01 || D || companion identity || account key. Returns the device signature.
// Errors: bad_device_identity, signature_mismatch.
Result<Bytes> VerifyDeviceSign(BytesView reply, const AdvPairing& sent, const Key32& companion_identity,
                               const Key32& account_key);

}  // namespace wadesk::sim
