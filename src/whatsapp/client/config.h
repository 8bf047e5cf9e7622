#pragma once
// ClientConfig: what a companion connection needs besides its credentials. Plain struct with
// production defaults (WhatsApp's endpoint and trust root); tests and the emulator override
// url and trust_root.
#include <chrono>
#include <cstdint>
#include <string>

#include "whatsapp/crypto/curve25519.h"

namespace wadesk::wa {

// WhatsApp's long-term Noise certificate root ("WhatsAppLongTerm1", serial 0).
inline constexpr crypto::Key32 kWhatsAppTrustRoot = {
    0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
    0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b};

struct ClientConfig {
    std::string url = "wss://web.whatsapp.com/ws/chat";
    std::string origin = "https://web.whatsapp.com";
    crypto::Key32 trust_root = kWhatsAppTrustRoot;

    // What the phone shows in "Linked devices": browser and OS (DeviceProps), QR platform id.
    std::string os_name = "Ubuntu";
    std::string browser = "Chrome";
    std::string platform_id = "1";  // Chrome
    std::uint32_t version_primary = 2, version_secondary = 3000, version_tertiary = 1043857760;

    std::chrono::seconds first_qr_ttl{60};  // the first ref is shown this long,
    std::chrono::seconds next_qr_ttl{20};   // each further ref this long; then qr_timeout
    std::chrono::seconds handshake_timeout{20};
    std::chrono::seconds ping_interval{25};
    std::chrono::seconds idle_timeout{45};  // no frame at all for this long: connection lost
    std::chrono::seconds iq_timeout{60};

    std::uint32_t min_pre_keys = 5;         // upload when the server holds fewer
    std::uint32_t pre_key_upload_count = 50;

    // Reconnect backoff (the session driver): base * 2^attempt, capped, with +/-20 % jitter.
    std::chrono::milliseconds reconnect_base{1000};
    std::chrono::milliseconds reconnect_max{60000};
};

}  // namespace wadesk::wa
