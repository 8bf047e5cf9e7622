#pragma once
// Media keys sealed at rest: a received file's reference (MediaInfo::ref, media_fetcher.h) names
// the message's mediaKey, which opens the file on WhatsApp's host. Like the credentials
// (sealed_credential_store.h) it is stored AES-256-GCM encrypted under a key derived from the
// master key, with a random nonce per write and the session id as additional data (a reference
// cannot be moved to another session): the JSON's "mediaKey" becomes "mediaKeySealed" (base64 of
// nonce || ciphertext), every other field stays readable. References stored before sealing (a clear
// "mediaKey") are still read as they are; the fetcher seals them when it next writes the row.
#include <string>
#include <string_view>

#include "core/result.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::engine {

// The sealing key, derived from the credential key (CredentialKey of the master key).
wa::crypto::Digest32 MediaKeySealKey(const wa::crypto::Digest32& credential_key);

// The reference with its mediaKey sealed; one that is not JSON or names no clear mediaKey is
// returned unchanged.
std::string SealMediaRef(std::string_view ref_json, const wa::crypto::Digest32& key, std::string_view session_id);

// The reference with its mediaKey in clear, for DecodeMediaRef. A reference without a sealed key
// (stored before sealing) is returned unchanged. Error media_key_unreadable: the sealed key is
// malformed or does not open (another master key, another session).
Result<std::string> OpenMediaRef(std::string_view ref_json, const wa::crypto::Digest32& key,
                                 std::string_view session_id);

}  // namespace wadesk::engine
