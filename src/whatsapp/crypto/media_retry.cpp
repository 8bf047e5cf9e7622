#include "whatsapp/crypto/media_retry.h"

#include "whatsapp/crypto/primitives.h"

namespace wadesk::wa::crypto {

namespace {

constexpr std::size_t kIvSize = 12;

Result<Bytes> RetryKey(BytesView media_key) {
    if (media_key.size() != 32) return MakeError("bad_key", "a media key is 32 bytes");
    return Hkdf(media_key, {}, AsBytes(kMediaRetryInfo), 32);
}

}  // namespace

Result<MediaRetryCipher> SealMediaRetry(BytesView media_key, std::string_view message_id, BytesView plaintext) {
    auto key = RetryKey(media_key);
    if (!key) return key.error();
    MediaRetryCipher out;
    out.iv = RandomBytes(kIvSize);
    auto sealed = AesGcmEncrypt(*key, out.iv, plaintext, AsBytes(message_id));
    if (!sealed) return sealed.error();
    out.ciphertext = std::move(*sealed);
    return out;
}

Result<Bytes> OpenMediaRetry(BytesView media_key, std::string_view message_id, BytesView ciphertext, BytesView iv) {
    auto key = RetryKey(media_key);
    if (!key) return key.error();
    if (iv.size() != kIvSize) return MakeError("bad_iv", "a media retry IV is 12 bytes");
    return AesGcmDecrypt(*key, iv, ciphertext, AsBytes(message_id));
}

}  // namespace wadesk::wa::crypto
