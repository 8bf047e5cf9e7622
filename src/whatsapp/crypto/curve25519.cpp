#include "whatsapp/crypto/curve25519.h"

#include <openssl/bn.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace wadesk::wa::crypto {
namespace {

void EnsureSodium() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

void Clamp(Key32& k) {
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
}

// a mod L for a 32-byte little-endian scalar.
Key32 ReduceScalar(const Key32& a) {
    std::uint8_t wide[64] = {};
    std::memcpy(wide, a.data(), 32);
    Key32 out{};
    crypto_core_ed25519_scalar_reduce(out.data(), wide);
    return out;
}

struct BnCtxFree {
    void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

BnPtr FromLe(const std::uint8_t* le, std::size_t n) { return BnPtr(BN_lebin2bn(le, static_cast<int>(n), nullptr)); }

// Edwards y = (u - 1) / (u + 1) mod p, encoded little-endian; false if u + 1 == 0 mod p.
bool MontgomeryToEdwardsY(const Key32& u_bytes, Key32& y_out) {
    std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
    BnPtr p(BN_new()), u(nullptr), num(BN_new()), den(BN_new()), inv(nullptr), y(BN_new());
    if (!ctx || !p || !num || !den || !y) return false;
    // p = 2^255 - 19
    BN_set_bit(p.get(), 255);
    BN_sub_word(p.get(), 19);
    Key32 masked = u_bytes;
    masked[31] &= 0x7f;  // X25519 ignores the top bit of u
    u = FromLe(masked.data(), masked.size());
    if (!u) return false;
    BN_mod(u.get(), u.get(), p.get(), ctx.get());
    BN_copy(num.get(), u.get());
    BN_copy(den.get(), u.get());
    if (BN_is_zero(num.get())) {
        BN_copy(num.get(), p.get());
    }
    BN_sub_word(num.get(), 1);
    BN_add_word(den.get(), 1);
    BN_mod(den.get(), den.get(), p.get(), ctx.get());
    if (BN_is_zero(den.get())) return false;
    inv.reset(BN_mod_inverse(nullptr, den.get(), p.get(), ctx.get()));
    if (!inv) return false;
    if (!BN_mod_mul(y.get(), num.get(), inv.get(), p.get(), ctx.get())) return false;
    return BN_bn2lebinpad(y.get(), y_out.data(), 32) == 32;
}

}  // namespace

KeyPair KeyPairFromPrivate(const Key32& priv) {
    EnsureSodium();
    KeyPair kp;
    kp.priv = priv;
    Clamp(kp.priv);
    crypto_scalarmult_curve25519_base(kp.pub.data(), kp.priv.data());
    return kp;
}

KeyPair GenerateKeyPair() {
    EnsureSodium();
    Key32 priv{};
    randombytes_buf(priv.data(), priv.size());
    return KeyPairFromPrivate(priv);
}

Result<Key32> ToKey32(BytesView bytes) {
    if (bytes.size() != kKeySize) return MakeError("bad_key_length", "expected a 32-byte key");
    Key32 k{};
    std::copy(bytes.begin(), bytes.end(), k.begin());
    return k;
}

Result<Key32> SharedSecret(const Key32& priv, const Key32& pub) {
    EnsureSodium();
    Key32 out{};
    if (crypto_scalarmult_curve25519(out.data(), priv.data(), pub.data()) != 0) {
        return MakeError("weak_public_key", "X25519 with a small-order public key");
    }
    return out;
}

Signature Sign(const Key32& priv_in, BytesView message) {
    EnsureSodium();
    Key32 clamped = priv_in;
    Clamp(clamped);
    const Key32 a = ReduceScalar(clamped);
    Key32 edwards_pub{};
    crypto_scalarmult_ed25519_base_noclamp(edwards_pub.data(), a.data());
    const std::uint8_t sign_bit = edwards_pub[31] & 0x80;

    // r = H(prefix || a || M || Z) mod L, Z random: a fresh secret nonce per signature.
    std::uint8_t z[64];
    randombytes_buf(z, sizeof z);
    static constexpr std::uint8_t kPrefix[32] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    crypto_hash_sha512_state st;
    std::uint8_t digest[64];
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, kPrefix, sizeof kPrefix);
    crypto_hash_sha512_update(&st, a.data(), a.size());
    crypto_hash_sha512_update(&st, message.data(), message.size());
    crypto_hash_sha512_update(&st, z, sizeof z);
    crypto_hash_sha512_final(&st, digest);
    std::uint8_t r[32];
    crypto_core_ed25519_scalar_reduce(r, digest);

    Signature sig{};
    crypto_scalarmult_ed25519_base_noclamp(sig.data(), r);  // R

    // h = H(R || A || M) mod L
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, sig.data(), 32);
    crypto_hash_sha512_update(&st, edwards_pub.data(), 32);
    crypto_hash_sha512_update(&st, message.data(), message.size());
    crypto_hash_sha512_final(&st, digest);
    std::uint8_t h[32];
    crypto_core_ed25519_scalar_reduce(h, digest);

    // s = r + h * a mod L
    std::uint8_t ha[32];
    crypto_core_ed25519_scalar_mul(ha, h, a.data());
    crypto_core_ed25519_scalar_add(sig.data() + 32, r, ha);
    sig[63] |= sign_bit;
    sodium_memzero(r, sizeof r);
    sodium_memzero(z, sizeof z);
    return sig;
}

bool Verify(const Key32& pub, BytesView message, BytesView signature) {
    EnsureSodium();
    if (signature.size() != kSignatureSize) return false;
    Key32 edwards_pub{};
    if (!MontgomeryToEdwardsY(pub, edwards_pub)) return false;
    edwards_pub[31] &= 0x7f;
    edwards_pub[31] |= signature[63] & 0x80;
    std::uint8_t sig[64];
    std::memcpy(sig, signature.data(), 64);
    sig[63] &= 0x7f;
    return crypto_sign_ed25519_verify_detached(sig, message.data(), message.size(), edwards_pub.data()) == 0;
}

}  // namespace wadesk::wa::crypto
