#pragma once
// Test helper: the pre-key bundle a key fetch would return for the holder of `creds` (its
// registration id, identity, signed pre-key and, when given, one one-time pre-key).
#include <optional>

#include "whatsapp/client/credentials.h"
#include "whatsapp/client/signal_manager.h"

namespace wadesk::wa::testing {

inline PreKeyBundle BundleOf(const Credentials& creds, std::optional<PreKeyPublic> one_time = std::nullopt) {
    PreKeyBundle b;
    b.registration_id = creds.registration_id;
    b.identity = creds.identity.pub;
    b.signed_pre_key_id = creds.signed_pre_key.id;
    b.signed_pre_key = creds.signed_pre_key.key.pub;
    b.signed_pre_key_signature.assign(creds.signed_pre_key.signature.begin(), creds.signed_pre_key.signature.end());
    b.pre_key = one_time;
    return b;
}

}  // namespace wadesk::wa::testing
