#include "whatsapp/crypto/primitives.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include <memory>
#include <string>

namespace wadesk::wa::crypto {
namespace {

struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

Error CryptoError(std::string what) { return MakeError("crypto_error", std::move(what)); }

Result<void> CheckSizes(BytesView key, BytesView iv, std::size_t iv_size) {
    if (key.size() != 32) return MakeError("bad_key_length", "AES-256 needs a 32-byte key");
    if (iv.size() != iv_size) return MakeError("bad_iv_length", "wrong IV length");
    return {};
}

enum class Direction { kEncrypt, kDecrypt };

Result<Bytes> RunCipher(const EVP_CIPHER* cipher, Direction dir, BytesView key, BytesView iv, BytesView in) {
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return CryptoError("EVP_CIPHER_CTX_new");
    const int enc = dir == Direction::kEncrypt ? 1 : 0;
    if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data(), enc) != 1) {
        return CryptoError("cipher init");
    }
    Bytes out(in.size() + 16);
    int n1 = 0, n2 = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &n1, in.data(), static_cast<int>(in.size())) != 1) {
        return CryptoError("cipher update");
    }
    if (EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
        return MakeError("bad_padding", "cipher final failed (bad padding or length)");
    }
    out.resize(static_cast<std::size_t>(n1 + n2));
    return out;
}

}  // namespace

Digest32 Sha256(BytesView data) {
    Digest32 out{};
    SHA256(data.data(), data.size(), out.data());
    return out;
}

Digest32 Sha256(std::initializer_list<BytesView> parts) {
    Digest32 out{};
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    for (auto p : parts) EVP_DigestUpdate(ctx.get(), p.data(), p.size());
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
    return out;
}

Digest32 HmacSha256(BytesView key, BytesView data) {
    Digest32 out{};
    unsigned int len = 0;
    static const std::uint8_t kEmpty = 0;
    HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()), data.data(), data.size(),
         out.data(), &len);
    return out;
}

Result<Bytes> Hkdf(BytesView ikm, BytesView salt, BytesView info, std::size_t length) {
    if (length == 0 || length > 255 * 32) return MakeError("bad_length", "HKDF output length out of range");
    // Extract
    static const std::uint8_t kZeros[32] = {};
    const Digest32 prk = HmacSha256(salt.empty() ? BytesView(kZeros, 32) : salt, ikm);
    // Expand
    Bytes out;
    out.reserve(length);
    Bytes t;
    for (std::uint8_t counter = 1; out.size() < length; ++counter) {
        Bytes block = t;
        Append(block, info);
        block.push_back(counter);
        const Digest32 d = HmacSha256(prk, block);
        t.assign(d.begin(), d.end());
        const std::size_t take = std::min<std::size_t>(32, length - out.size());
        out.insert(out.end(), t.begin(), t.begin() + static_cast<std::ptrdiff_t>(take));
    }
    return out;
}

Result<Bytes> Pbkdf2Sha256(BytesView password, BytesView salt, std::uint32_t iterations, std::size_t length) {
    if (iterations == 0 || length == 0) return MakeError("bad_length", "PBKDF2 needs iterations and length");
    Bytes out(length);
    static const std::uint8_t kEmpty = 0;
    if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.empty() ? &kEmpty : password.data()),
                          static_cast<int>(password.size()), salt.empty() ? &kEmpty : salt.data(),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                          static_cast<int>(length), out.data()) != 1) {
        return CryptoError("PBKDF2");
    }
    return out;
}

Result<Bytes> AesGcmEncrypt(BytesView key, BytesView iv, BytesView plaintext, BytesView aad) {
    if (auto r = CheckSizes(key, iv, 12); !r) return r.error();
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) != 1) {
        return CryptoError("gcm init");
    }
    int n = 0;
    if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1) {
        return CryptoError("gcm aad");
    }
    Bytes out(plaintext.size() + kGcmTagSize);
    int n1 = 0, n2 = 0;
    if (EVP_EncryptUpdate(ctx.get(), out.data(), &n1, plaintext.data(), static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
        return CryptoError("gcm encrypt");
    }
    const std::size_t body = static_cast<std::size_t>(n1 + n2);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, out.data() + body) != 1) {
        return CryptoError("gcm tag");
    }
    out.resize(body + kGcmTagSize);
    return out;
}

Result<Bytes> AesGcmDecrypt(BytesView key, BytesView iv, BytesView ciphertext, BytesView aad) {
    if (auto r = CheckSizes(key, iv, 12); !r) return r.error();
    if (ciphertext.size() < kGcmTagSize) return MakeError("auth_failed", "ciphertext shorter than the GCM tag");
    const std::size_t body = ciphertext.size() - kGcmTagSize;
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) != 1) {
        return CryptoError("gcm init");
    }
    int n = 0;
    if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1) {
        return CryptoError("gcm aad");
    }
    Bytes out(body + 16);
    int n1 = 0, n2 = 0;
    if (EVP_DecryptUpdate(ctx.get(), out.data(), &n1, ciphertext.data(), static_cast<int>(body)) != 1) {
        return CryptoError("gcm decrypt");
    }
    std::uint8_t tag[kGcmTagSize];
    std::copy(ciphertext.begin() + static_cast<std::ptrdiff_t>(body), ciphertext.end(), tag);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag) != 1) return CryptoError("gcm tag");
    if (EVP_DecryptFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
        return MakeError("auth_failed", "AES-GCM authentication failed");
    }
    out.resize(static_cast<std::size_t>(n1 + n2));
    return out;
}

Result<Bytes> AesCbcEncrypt(BytesView key, BytesView iv, BytesView plaintext) {
    if (auto r = CheckSizes(key, iv, 16); !r) return r.error();
    return RunCipher(EVP_aes_256_cbc(), Direction::kEncrypt, key, iv, plaintext);
}

Result<Bytes> AesCbcDecrypt(BytesView key, BytesView iv, BytesView ciphertext) {
    if (auto r = CheckSizes(key, iv, 16); !r) return r.error();
    if (ciphertext.empty() || ciphertext.size() % 16 != 0) {
        return MakeError("bad_length", "CBC ciphertext is not a positive multiple of 16");
    }
    return RunCipher(EVP_aes_256_cbc(), Direction::kDecrypt, key, iv, ciphertext);
}

Result<Bytes> AesCtr(BytesView key, BytesView iv, BytesView data) {
    if (auto r = CheckSizes(key, iv, 16); !r) return r.error();
    return RunCipher(EVP_aes_256_ctr(), Direction::kEncrypt, key, iv, data);
}

}  // namespace wadesk::wa::crypto
