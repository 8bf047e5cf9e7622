#include "whatsapp/client/pairing_code.h"

#include "whatsapp/crypto/primitives.h"

namespace wadesk::wa {

namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";
constexpr std::string_view kBundleInfo = "link_code_pairing_key_bundle_encryption_key";
constexpr std::string_view kAdvInfo = "adv_secret";

Result<Bytes> CodeKey(std::string_view code, BytesView salt) {
    return crypto::Pbkdf2Sha256(AsBytes(code), salt, kPairingCodeIterations, 32);
}

}  // namespace

std::string EncodePairingCode(BytesView five) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::uint8_t b : five) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out += kAlphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0) out += kAlphabet[(acc << (5 - bits)) & 31];
    return out;
}

std::string NewPairingCode() { return EncodePairingCode(RandomBytes(5)); }

bool IsPairingCode(std::string_view code) {
    if (code.size() != kPairingCodeLength) return false;
    for (char c : code) {
        if (kAlphabet.find(c) == std::string_view::npos) return false;
    }
    return true;
}

Result<Bytes> WrapEphemeral(std::string_view code, const crypto::Key32& key, BytesView salt, BytesView iv) {
    if (salt.size() != 32 || iv.size() != 16) return MakeError("bad_length", "salt must be 32 bytes and iv 16");
    auto k = CodeKey(code, salt);
    if (!k) return k.error();
    auto ct = crypto::AesCtr(*k, iv, crypto::View(key));
    if (!ct) return ct.error();
    return Concat({salt, iv, *ct});
}

Result<crypto::Key32> UnwrapEphemeral(std::string_view code, BytesView wrapped) {
    if (wrapped.size() != kWrappedEphemeralSize)
        return MakeError("bad_wrapped_key", "a wrapped ephemeral key is 80 bytes");
    auto k = CodeKey(code, wrapped.subspan(0, 32));
    if (!k) return k.error();
    auto plain = crypto::AesCtr(*k, wrapped.subspan(32, 16), wrapped.subspan(48, 32));
    if (!plain) return plain.error();
    return crypto::ToKey32(*plain);
}

Result<CompanionFinish> BuildCompanionFinish(const crypto::KeyPair& companion_ephemeral,
                                             const crypto::Key32& primary_ephemeral,
                                             const crypto::KeyPair& identity, const crypto::Key32& primary_identity,
                                             BytesView random, BytesView salt, BytesView nonce) {
    if (random.size() != 32 || salt.size() != 32 || nonce.size() != 12)
        return MakeError("bad_length", "random and salt must be 32 bytes, nonce 12");
    auto shared = crypto::SharedSecret(companion_ephemeral.priv, primary_ephemeral);
    if (!shared) return shared.error();
    auto bundle_key = crypto::Hkdf(crypto::View(*shared), salt, AsBytes(kBundleInfo), 32);
    if (!bundle_key) return bundle_key.error();
    const Bytes plain = Concat({crypto::View(identity.pub), crypto::View(primary_identity), random});
    auto sealed = crypto::AesGcmEncrypt(*bundle_key, nonce, plain, {});
    if (!sealed) return sealed.error();
    auto identity_shared = crypto::SharedSecret(identity.priv, primary_identity);
    if (!identity_shared) return identity_shared.error();
    auto adv = crypto::Hkdf(Concat({crypto::View(*shared), crypto::View(*identity_shared), random}), {},
                            AsBytes(kAdvInfo), 32);
    if (!adv) return adv.error();
    CompanionFinish out;
    out.wrapped_key_bundle = Concat({salt, nonce, *sealed});
    out.adv_secret = std::move(*adv);
    return out;
}

}  // namespace wadesk::wa
