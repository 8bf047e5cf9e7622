// libFuzzer target: the linking inputs. Input: byte 0 picks the input, the rest is it.
//   0  a QR ref from the server's pair-device: the QR text built around it and its PNG data URL
//   1  a QR text as scanned (ParseQrText, which the emulator's phone uses)
//   2  a pairing-code primary_hello: the phone's identity and ephemeral keys (32 bytes each),
//      answered with BuildCompanionFinish
//   3  a pairing code as typed (IsPairingCode), and a code made from 5 bytes (EncodePairingCode)
// Invariants: the QR text parses back to exactly the ref and keys it was built from, and fails
// only for a ref that cannot be one (empty or with a comma); the QR symbol is square with a
// version's width; a parsed QR text re-built parses to the same parts; a companion finish has a
// 156-byte bundle and a 32-byte secret, and fails only for a weak key; a code is valid iff it is 8
// characters of the alphabet, and every encoded code is valid.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "whatsapp/client/pairing.h"
#include "whatsapp/client/pairing_code.h"
#include "whatsapp/client/qr.h"

using namespace wadesk;
using namespace wadesk::wa;

namespace {

crypto::KeyPair FixedKey(std::uint8_t seed) {
    crypto::Key32 priv{};
    priv.fill(seed);
    return crypto::KeyPairFromPrivate(priv);
}

const crypto::KeyPair kNoise = FixedKey(9), kIdentity = FixedKey(10), kEphemeral = FixedKey(11);
const Bytes kAdvSecret(32, 0x33);

bool SameParts(const QrParts& a, const QrParts& b) {
    return a.ref == b.ref && a.noise_pub == b.noise_pub && a.identity_pub == b.identity_pub &&
           a.adv_secret == b.adv_secret && a.platform_id == b.platform_id;
}

void QrFromRef(std::string_view ref) {
    const std::string text = BuildQrText(ref, crypto::View(kNoise.pub), crypto::View(kIdentity.pub), kAdvSecret, "1");
    auto parts = ParseQrText(text);
    const bool representable = !ref.empty() && ref.find(',') == std::string_view::npos;
    FUZZ_CHECK(static_cast<bool>(parts) == representable, "a QR text fails to parse for a representable ref");
    if (parts) {
        const QrParts expected{std::string(ref), crypto::ToBytes(kNoise.pub), crypto::ToBytes(kIdentity.pub),
                               kAdvSecret, "1"};
        FUZZ_CHECK(SameParts(*parts, expected), "a QR text parses to other parts than it was built from");
    }
    auto matrix = EncodeQr(text);
    if (!matrix) return;
    FUZZ_CHECK(matrix->width >= 21 && matrix->width <= 177 && (matrix->width - 21) % 4 == 0 &&
                   matrix->dark.size() == static_cast<std::size_t>(matrix->width) * matrix->width,
               "a QR symbol has no version's shape");
    auto url = QrDataUrl(text, QrPngOptions{1, 0});
    FUZZ_CHECK(url && url->rfind("data:image/png;base64,", 0) == 0, "an encodable QR text has no PNG");
}

void ScannedQr(std::string_view text) {
    auto parts = ParseQrText(text);
    if (!parts) return;
    auto again = ParseQrText(BuildQrText(parts->ref, parts->noise_pub, parts->identity_pub, parts->adv_secret,
                                         parts->platform_id));
    FUZZ_CHECK(again && SameParts(*again, *parts), "a scanned QR text re-built parses to other parts");
}

void PrimaryHello(BytesView keys) {
    if (keys.size() != 64) return;
    auto identity = crypto::ToKey32(keys.first(32)).value();
    auto ephemeral = crypto::ToKey32(keys.last(32)).value();
    auto finish =
        BuildCompanionFinish(kEphemeral, ephemeral, kIdentity, identity, Bytes(32, 1), Bytes(32, 2), Bytes(12, 3));
    if (!finish) {
        FUZZ_CHECK(finish.error().code == "weak_public_key", "a companion finish fails for another reason");
        return;
    }
    FUZZ_CHECK(finish->wrapped_key_bundle.size() == kWrappedKeyBundleSize && finish->adv_secret.size() == 32,
               "a companion finish has the wrong sizes");
}

void PairingCode(std::string_view code) {
    static constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";
    const bool expected = code.size() == kPairingCodeLength && code.find_first_not_of(kAlphabet) == std::string_view::npos;
    FUZZ_CHECK(IsPairingCode(code) == expected, "IsPairingCode disagrees with the alphabet");
    if (code.size() >= 5) {
        const std::string made = EncodePairingCode(AsBytes(code.substr(0, 5)));
        FUZZ_CHECK(IsPairingCode(made), "an encoded pairing code is not valid");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
        case 0: QrFromRef(rest); break;
        case 1: ScannedQr(rest); break;
        case 2: PrimaryHello(AsBytes(rest)); break;
        case 3: PairingCode(rest); break;
    }
    return 0;
}
