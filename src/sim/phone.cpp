#include "sim/phone.h"

#include "whatsapp/crypto/primitives.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;

namespace {

constexpr std::string_view kQrPrefix = "https://wa.me/settings/linked_devices#";

Error BadQr(std::string what) { return MakeError("bad_qr", std::move(what)); }

Bytes Cat(std::initializer_list<BytesView> parts) { return Concat(parts); }
BytesView V(const Key32& k) { return {k.data(), k.size()}; }

}  // namespace

Result<QrData> ParseQr(std::string_view qr) {
    if (qr.starts_with(kQrPrefix)) qr.remove_prefix(kQrPrefix.size());
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = qr.find(',', start);
        parts.push_back(qr.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (parts.size() != 5) return BadQr("expected 5 comma-separated fields");
    QrData d;
    d.ref = std::string(parts[0]);
    if (d.ref.empty()) return BadQr("empty ref");
    auto noise = Base64Decode(parts[1]);
    auto ident = Base64Decode(parts[2]);
    auto adv = Base64Decode(parts[3]);
    if (!noise || noise->size() != 32) return BadQr("noise key is not 32 bytes of base64");
    if (!ident || ident->size() != 32) return BadQr("identity key is not 32 bytes of base64");
    if (!adv || adv->size() != 32) return BadQr("adv secret is not 32 bytes of base64");
    d.noise_key = crypto::ToKey32(*noise).value();
    d.identity = crypto::ToKey32(*ident).value();
    d.adv_secret = std::move(*adv);
    d.platform_id = std::string(parts[4]);
    return d;
}

std::string PlatformName(std::string_view id) {
    static const std::pair<std::string_view, std::string_view> kNames[] = {
        {"0", "unknown"}, {"1", "chrome"}, {"2", "edge"},  {"3", "firefox"}, {"4", "ie"},     {"5", "opera"},
        {"6", "safari"},  {"7", "electron"}, {"8", "uwp"}, {"9", "other"},   {"c", "macos"},  {"e", "android"}};
    for (const auto& [k, v] : kNames) {
        if (k == id) return std::string(v);
    }
    return "unknown";
}

AdvPairing BuildAdvPairing(const Account& account, const Key32& companion_identity, BytesView adv_secret,
                           std::uint32_t key_index, std::int64_t now_seconds) {
    AdvPairing p;
    p.key_index = key_index;
    wa::ADVDeviceIdentity d;
    d.set_rawid(account.raw_id);
    d.set_timestamp(static_cast<std::uint64_t>(now_seconds));
    d.set_keyindex(key_index);
    d.set_accounttype(wa::E2EE);
    d.set_devicetype(wa::E2EE);
    p.details = wa::SerializeProto(d);

    const Bytes account_msg = Cat({Bytes{0x06, 0x00}, p.details, V(companion_identity)});
    const crypto::Signature sig = crypto::Sign(account.identity.priv, account_msg);
    p.account_signature.assign(sig.begin(), sig.end());

    wa::ADVSignedDeviceIdentity s;
    s.set_details(ToString(p.details));
    s.set_accountsignaturekey(std::string(account.identity.pub.begin(), account.identity.pub.end()));
    s.set_accountsignature(ToString(p.account_signature));
    p.signed_identity = wa::SerializeProto(s);

    wa::ADVSignedDeviceIdentityHMAC h;
    h.set_details(ToString(p.signed_identity));
    const crypto::Digest32 mac = crypto::HmacSha256(adv_secret, p.signed_identity);
    h.set_hmac(std::string(mac.begin(), mac.end()));
    p.hmac_container = wa::SerializeProto(h);
    return p;
}

Result<Bytes> VerifyDeviceSign(BytesView reply, const AdvPairing& sent, const Key32& companion_identity,
                               const Key32& account_key) {
    auto s = wa::ParseProto<wa::ADVSignedDeviceIdentity>(reply);
    if (!s) return MakeError("bad_device_identity", "malformed ADVSignedDeviceIdentity");
    if (AsBytes(s->details()).size() != sent.details.size() ||
        !ConstantTimeEqual(AsBytes(s->details()), sent.details)) {
        return MakeError("bad_device_identity", "details differ from what the phone signed");
    }
    if (!ConstantTimeEqual(AsBytes(s->accountsignature()), sent.account_signature)) {
        return MakeError("bad_device_identity", "account signature differs from the phone's");
    }
    const Bytes device_msg = Cat({Bytes{0x06, 0x01}, sent.details, V(companion_identity), V(account_key)});
    if (!crypto::Verify(companion_identity, device_msg, AsBytes(s->devicesignature()))) {
        return MakeError("signature_mismatch", "device signature does not verify under the companion identity");
    }
    return ToBytes(s->devicesignature());
}

}  // namespace wadesk::sim
