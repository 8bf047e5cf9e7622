#include "whatsapp/client/pairing.h"

#include "whatsapp/crypto/primitives.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {

Result<PairedIdentity> VerifyAndSignDeviceIdentity(BytesView container, const Credentials& creds) {
    auto hmac_container = ParseProto<ADVSignedDeviceIdentityHMAC>(container);
    if (!hmac_container) return hmac_container.error();
    if (!hmac_container->has_details() || !hmac_container->has_hmac())
        return MakeError("bad_device_identity", "device identity container lacks details or hmac");
    const bool hosted = hmac_container->has_accounttype() && hmac_container->accounttype() == ADVEncryptionType::HOSTED;

    const std::string& details = hmac_container->details();
    Bytes mac_input;
    if (hosted) Append(mac_input, kAdvPrefixHostedAccountSignature);
    Append(mac_input, AsBytes(details));
    const crypto::Digest32 expected = crypto::HmacSha256(creds.adv_secret, mac_input);
    if (!ConstantTimeEqual(expected, AsBytes(hmac_container->hmac())))
        return MakeError("hmac-mismatch", "device identity HMAC does not match the adv secret");

    auto signed_identity = ParseProto<ADVSignedDeviceIdentity>(AsBytes(details));
    if (!signed_identity) return signed_identity.error();
    if (!signed_identity->has_details() || signed_identity->accountsignaturekey().size() != crypto::kKeySize ||
        signed_identity->accountsignature().size() != crypto::kSignatureSize)
        return MakeError("bad_device_identity", "signed device identity lacks details or account signature");
    auto identity = ParseProto<ADVDeviceIdentity>(AsBytes(signed_identity->details()));
    if (!identity) return identity.error();
    const bool hosted_device = identity->has_devicetype() && identity->devicetype() == ADVEncryptionType::HOSTED;

    auto account_key = crypto::ToKey32(AsBytes(signed_identity->accountsignaturekey()));
    if (!account_key) return account_key.error();
    const Bytes account_message =
        Concat({hosted_device ? BytesView(kAdvPrefixHostedAccountSignature) : BytesView(kAdvPrefixAccountSignature),
                AsBytes(signed_identity->details()), crypto::View(creds.identity.pub)});
    if (!crypto::Verify(*account_key, account_message, AsBytes(signed_identity->accountsignature())))
        return MakeError("signature-mismatch", "account signature does not verify");

    const Bytes device_message = Concat({BytesView(kAdvPrefixDeviceSignature), AsBytes(signed_identity->details()),
                                         crypto::View(creds.identity.pub), crypto::View(*account_key)});
    const crypto::Signature device_signature = crypto::Sign(creds.identity.priv, device_message);
    signed_identity->set_devicesignature(device_signature.data(), device_signature.size());

    PairedIdentity out;
    out.account = SerializeProto(*signed_identity);
    ADVSignedDeviceIdentity reply = *signed_identity;
    reply.clear_accountsignaturekey();
    out.reply_identity = SerializeProto(reply);
    out.key_index = identity->keyindex();
    out.hosted = hosted_device;
    return out;
}

Result<QrParts> ParseQrText(std::string_view text) {
    constexpr std::string_view kPrefix = "https://wa.me/settings/linked_devices#";
    if (text.substr(0, kPrefix.size()) != kPrefix) return MakeError("bad_qr", "QR text has an unknown prefix");
    text.remove_prefix(kPrefix.size());
    std::vector<std::string_view> parts;
    while (true) {
        auto comma = text.find(',');
        parts.push_back(text.substr(0, comma));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    if (parts.size() != 5) return MakeError("bad_qr", "QR text must have 5 comma-separated parts");
    QrParts out;
    out.ref = std::string(parts[0]);
    auto noise = Base64Decode(parts[1]);
    auto identity = Base64Decode(parts[2]);
    auto adv = Base64Decode(parts[3]);
    if (!noise || !identity || !adv || noise->size() != 32 || identity->size() != 32 || adv->size() != 32)
        return MakeError("bad_qr", "QR keys must be base64 of 32 bytes");
    out.noise_pub = std::move(*noise);
    out.identity_pub = std::move(*identity);
    out.adv_secret = std::move(*adv);
    out.platform_id = std::string(parts[4]);
    if (out.ref.empty()) return MakeError("bad_qr", "QR ref is empty");
    return out;
}

}  // namespace wadesk::wa
