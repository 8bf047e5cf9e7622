#pragma once
// The encryption of a media retry request and its answer (wa-protocol §11, "media retry"): a
// companion whose media host answered 404/410 for a file asks its own phone to upload it again
// with a ServerErrorReceipt, and the phone answers with a MediaRetryNotification; both are
// AES-256-GCM (tag appended) under HKDF-SHA256(mediaKey, no salt, "WhatsApp Media Retry
// Notification", 32 bytes), with a random 12-byte IV and the message id as additional data.
// Pure; shared by the client and the emulator's phone.
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::wa::crypto {

inline constexpr std::string_view kMediaRetryInfo = "WhatsApp Media Retry Notification";

struct MediaRetryCipher {
    Bytes ciphertext;  // <enc_p>
    Bytes iv;          // <enc_iv>, 12 bytes
};

// Errors: bad_key (the media key is not 32 bytes).
Result<MediaRetryCipher> SealMediaRetry(BytesView media_key, std::string_view message_id, BytesView plaintext);
// Errors: bad_key, bad_iv (not 12 bytes), and AesGcmDecrypt's (the tag does not verify).
Result<Bytes> OpenMediaRetry(BytesView media_key, std::string_view message_id, BytesView ciphertext, BytesView iv);

}  // namespace wadesk::wa::crypto
