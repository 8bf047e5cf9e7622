#pragma once
// Companion side of QR pairing (wa-protocol §5.1 steps 6-8): verification of the phone's
// ADVSignedDeviceIdentityHMAC container and the device signature we return.
// Pure functions over bytes; no I/O.
#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "whatsapp/client/credentials.h"

namespace wadesk::wa {

inline constexpr std::uint8_t kAdvPrefixAccountSignature[] = {0x06, 0x00};
inline constexpr std::uint8_t kAdvPrefixHostedAccountSignature[] = {0x06, 0x05};
inline constexpr std::uint8_t kAdvPrefixDeviceSignature[] = {0x06, 0x01};

struct PairedIdentity {
    Bytes account;             // ADVSignedDeviceIdentity with deviceSignature, incl. accountSignatureKey (kept)
    Bytes reply_identity;      // the same without accountSignatureKey (sent in pair-device-sign)
    std::uint32_t key_index = 0;
    bool hosted = false;
};

// Verifies `container` (ADVSignedDeviceIdentityHMAC bytes from <device-identity>) against our
// adv secret and identity key, then signs it as this device. Error codes:
//   bad_protobuf, hmac-mismatch (the HMAC is wrong), signature-mismatch (account signature
//   does not verify), bad_device_identity (fields missing).
Result<PairedIdentity> VerifyAndSignDeviceIdentity(BytesView container, const Credentials& creds);

// Splits a QR text produced by BuildQrText back into its parts (used by tests and the tools).
struct QrParts {
    std::string ref;
    Bytes noise_pub;
    Bytes identity_pub;
    Bytes adv_secret;
    std::string platform_id;
};
Result<QrParts> ParseQrText(std::string_view text);

}  // namespace wadesk::wa
