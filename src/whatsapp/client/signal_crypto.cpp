#include "whatsapp/client/signal_crypto.h"

#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <span>
#include <vector>

#include "core/bytes.h"

namespace wadesk::wa {

namespace {

int RandomFunc(uint8_t* data, size_t len, void*) {
    FillRandom(std::span<std::uint8_t>(data, len));
    return SG_SUCCESS;
}

int HmacInit(void** ctx, const uint8_t* key, size_t key_len, void*) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) return SG_ERR_UNKNOWN;
    EVP_MAC_CTX* c = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (!c) return SG_ERR_NOMEM;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(c, key, key_len, params) != 1) {
        EVP_MAC_CTX_free(c);
        return SG_ERR_UNKNOWN;
    }
    *ctx = c;
    return SG_SUCCESS;
}

int HmacUpdate(void* ctx, const uint8_t* data, size_t len, void*) {
    return EVP_MAC_update(static_cast<EVP_MAC_CTX*>(ctx), data, len) == 1 ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

int HmacFinal(void* ctx, signal_buffer** output, void*) {
    std::uint8_t md[EVP_MAX_MD_SIZE];
    size_t len = 0;
    if (EVP_MAC_final(static_cast<EVP_MAC_CTX*>(ctx), md, &len, sizeof md) != 1) return SG_ERR_UNKNOWN;
    *output = signal_buffer_create(md, len);
    return *output ? SG_SUCCESS : SG_ERR_NOMEM;
}

void HmacCleanup(void* ctx, void*) { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(ctx)); }

int ShaInit(void** ctx, void*) {
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    if (!c) return SG_ERR_NOMEM;
    if (EVP_DigestInit_ex(c, EVP_sha512(), nullptr) != 1) {
        EVP_MD_CTX_free(c);
        return SG_ERR_UNKNOWN;
    }
    *ctx = c;
    return SG_SUCCESS;
}

int ShaUpdate(void* ctx, const uint8_t* data, size_t len, void*) {
    return EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx), data, len) == 1 ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

int ShaFinal(void* ctx, signal_buffer** output, void*) {
    auto* c = static_cast<EVP_MD_CTX*>(ctx);
    std::uint8_t md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_DigestFinal_ex(c, md, &len) != 1) return SG_ERR_UNKNOWN;
    // libsignal reuses the context after final: re-arm it.
    if (EVP_DigestInit_ex(c, EVP_sha512(), nullptr) != 1) return SG_ERR_UNKNOWN;
    *output = signal_buffer_create(md, len);
    return *output ? SG_SUCCESS : SG_ERR_NOMEM;
}

void ShaCleanup(void* ctx, void*) { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx)); }

const EVP_CIPHER* PickCipher(int cipher, size_t key_len) {
    if (key_len != 32) return nullptr;
    if (cipher == SG_CIPHER_AES_CBC_PKCS5) return EVP_aes_256_cbc();
    if (cipher == SG_CIPHER_AES_CTR_NOPADDING) return EVP_aes_256_ctr();
    return nullptr;
}

int AesCrypt(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len, const uint8_t* iv, size_t iv_len,
             const uint8_t* in, size_t in_len, bool encrypt) {
    const EVP_CIPHER* evp = PickCipher(cipher, key_len);
    if (!evp || iv_len != 16) return SG_ERR_INVAL;
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    if (!ctx) return SG_ERR_NOMEM;
    if (EVP_CipherInit_ex(ctx.get(), evp, nullptr, key, iv, encrypt ? 1 : 0) != 1) return SG_ERR_UNKNOWN;
    std::vector<std::uint8_t> out(in_len + 32);
    int n1 = 0, n2 = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &n1, in, static_cast<int>(in_len)) != 1) return SG_ERR_UNKNOWN;
    if (EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) return SG_ERR_UNKNOWN;
    *output = signal_buffer_create(out.data(), static_cast<size_t>(n1 + n2));
    return *output ? SG_SUCCESS : SG_ERR_NOMEM;
}

int EncryptFunc(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len, const uint8_t* iv,
                size_t iv_len, const uint8_t* plaintext, size_t plaintext_len, void*) {
    return AesCrypt(output, cipher, key, key_len, iv, iv_len, plaintext, plaintext_len, true);
}

int DecryptFunc(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len, const uint8_t* iv,
                size_t iv_len, const uint8_t* ciphertext, size_t ciphertext_len, void*) {
    return AesCrypt(output, cipher, key, key_len, iv, iv_len, ciphertext, ciphertext_len, false);
}

}  // namespace

signal_crypto_provider OpenSslCryptoProvider() {
    signal_crypto_provider provider{};
    provider.random_func = RandomFunc;
    provider.hmac_sha256_init_func = HmacInit;
    provider.hmac_sha256_update_func = HmacUpdate;
    provider.hmac_sha256_final_func = HmacFinal;
    provider.hmac_sha256_cleanup_func = HmacCleanup;
    provider.sha512_digest_init_func = ShaInit;
    provider.sha512_digest_update_func = ShaUpdate;
    provider.sha512_digest_final_func = ShaFinal;
    provider.sha512_digest_cleanup_func = ShaCleanup;
    provider.encrypt_func = EncryptFunc;
    provider.decrypt_func = DecryptFunc;
    return provider;
}

}  // namespace wadesk::wa
