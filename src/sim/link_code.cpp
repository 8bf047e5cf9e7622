#include "sim/link_code.h"

#include "whatsapp/crypto/primitives.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;

namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";
constexpr std::string_view kBundleInfo = "link_code_pairing_key_bundle_encryption_key";

Bytes CodeKey(std::string_view code, BytesView salt) {
    return crypto::Pbkdf2Sha256(AsBytes(code), salt, kLinkCodeIterations, 32).value();
}

}  // namespace

Result<std::string> NormalizeLinkCode(std::string_view typed) {
    std::string code;
    bool dash = false;
    for (char c : typed) {
        if (c == '-' && !dash && code.size() == 4) {
            dash = true;
            continue;
        }
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (kAlphabet.find(c) == std::string_view::npos)
            return MakeError("bad_code", "a pairing code is 8 characters of 1-9 and A-Z without I, O, U (XXXX-XXXX)");
        code += c;
    }
    if (code.size() != 8) return MakeError("bad_code", "a pairing code has exactly 8 characters");
    return Result<std::string>(boost::system::in_place_value, std::move(code));
}

Bytes WrapWithLinkCode(std::string_view code, const Key32& key, BytesView salt, BytesView iv) {
    const Bytes ct = crypto::AesCtr(CodeKey(code, salt), iv, crypto::View(key)).value();
    return Concat({salt, iv, ct});
}

Result<Key32> UnwrapWithLinkCode(std::string_view code, BytesView wrapped) {
    if (wrapped.size() != kWrappedKeySize)
        return MakeError("bad_wrapped_key", "a wrapped ephemeral key is 80 bytes (salt, iv, key)");
    auto plain = crypto::AesCtr(CodeKey(code, wrapped.subspan(0, 32)), wrapped.subspan(32, 16), wrapped.subspan(48, 32));
    if (!plain) return plain.error();
    return crypto::ToKey32(*plain);
}

Result<KeyBundle> OpenKeyBundle(BytesView wrapped, const Key32& shared) {
    if (wrapped.size() != kWrappedBundleSize)
        return MakeError("bad_bundle", "a wrapped key bundle is 156 bytes (salt, nonce, ciphertext, tag)");
    auto key = crypto::Hkdf(crypto::View(shared), wrapped.subspan(0, 32), AsBytes(kBundleInfo), 32);
    if (!key) return key.error();
    auto plain = crypto::AesGcmDecrypt(*key, wrapped.subspan(32, 12), wrapped.subspan(44), {});
    if (!plain) return MakeError("wrong_code", "the key bundle does not decrypt: the code typed on the phone is wrong");
    if (plain->size() != 96) return MakeError("bad_bundle", "the key bundle plaintext is not 96 bytes");
    KeyBundle b;
    std::copy(plain->begin(), plain->begin() + 32, b.companion_identity.begin());
    std::copy(plain->begin() + 32, plain->begin() + 64, b.primary_identity.begin());
    b.random.assign(plain->begin() + 64, plain->end());
    return b;
}

Bytes DeriveLinkCodeAdvSecret(const Key32& shared, const Key32& identity_shared, BytesView random) {
    const Bytes ikm = Concat({crypto::View(shared), crypto::View(identity_shared), random});
    return crypto::Hkdf(ikm, {}, AsBytes("adv_secret"), 32).value();
}

}  // namespace wadesk::sim
