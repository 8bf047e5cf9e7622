#pragma once
// ClientConfig: what a companion connection needs besides its credentials. Plain struct with
// production defaults (WhatsApp's endpoint and trust root); tests and the emulator override
// url and trust_root.
#include <chrono>
#include <cstdint>
#include <string>

#include "whatsapp/crypto/curve25519.h"
#include "whatsapp/noise/cert_chain.h"

namespace wadesk::wa {

struct ClientConfig {
    std::string url = "wss://web.whatsapp.com/ws/chat";
    std::string origin = "https://web.whatsapp.com";
    crypto::Key32 trust_root = noise::kWhatsAppRootKey;

    // What the phone shows in "Linked devices": browser and OS (DeviceProps), QR platform id.
    std::string os_name = "Ubuntu";
    std::string browser = "Chrome";
    std::string platform_id = "1";  // Chrome
    std::uint32_t version_primary = 2, version_secondary = 3000, version_tertiary = 1043857760;

    std::chrono::seconds first_qr_ttl{60};  // the first ref is shown this long,
    std::chrono::seconds next_qr_ttl{20};   // each further ref this long; then qr_timeout
    // When set, a link by QR gives up (qr_timeout) this long after its first code at the latest,
    // even with refs left: the codes keep WhatsApp's lifetimes, only the wait is shorter.
    std::chrono::seconds qr_wait_limit{0};
    std::chrono::seconds handshake_timeout{20};
    std::chrono::seconds ping_interval{25};
    std::chrono::seconds idle_timeout{45};  // no frame at all for this long: connection lost
    std::chrono::seconds iq_timeout{60};

    // Asks the phone, when linking, for its whole history (DeviceProps.requireFullSync) instead of
    // its recent chats.
    bool require_full_sync = false;

    std::uint32_t min_pre_keys = 5;         // upload when the server holds fewer
    std::uint32_t pre_key_upload_count = 50;

    // Reconnect backoff (the session driver): base * 2^attempt, capped, with +/-20 % jitter.
    std::chrono::milliseconds reconnect_base{1000};
    std::chrono::milliseconds reconnect_max{60000};
};

}  // namespace wadesk::wa
