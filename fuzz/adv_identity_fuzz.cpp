// libFuzzer target: the phone's device identity container of pair-success (pairing.cpp), verified
// and counter-signed by the companion. Input: byte 0 picks how much this target builds itself:
//   0  the container as received (ADVSignedDeviceIdentityHMAC)
//   1  the rest is the signed identity (ADVSignedDeviceIdentity); this target adds a valid HMAC
//      (bit 1 of byte 0: the hosted account prefix), so parsing past the HMAC is reached
//   2  the rest is the device identity (ADVDeviceIdentity); this target signs it with an account
//      key and wraps it with a valid HMAC, so the success path is reached
// Invariants on success: the returned account is the verified identity plus a device signature
// that verifies under our identity key; the reply is the same without the account key; the key
// index is the one of the signed details.
#include <cstdint>

#include "fuzz_check.h"
#include "quiet_protobuf.h"
#include "whatsapp/client/pairing.h"
#include "whatsapp/crypto/primitives.h"
#include "whatsapp/proto/message_util.h"

using namespace wadesk;
using namespace wadesk::wa;

namespace {

crypto::KeyPair FixedKey(std::uint8_t seed) {
    crypto::Key32 priv{};
    priv.fill(seed);
    return crypto::KeyPairFromPrivate(priv);
}

const Credentials& Companion() {
    static const Credentials creds = [] {
        Credentials c;
        c.identity = FixedKey(7);
        c.adv_secret = Bytes(32, 0x42);
        return c;
    }();
    return creds;
}
const crypto::KeyPair kAccount = FixedKey(8);

Bytes WithHmac(BytesView details, bool hosted) {
    ADVSignedDeviceIdentityHMAC container;
    container.set_details(ToString(details));
    Bytes mac_input;
    if (hosted) {
        container.set_accounttype(ADVEncryptionType::HOSTED);
        Append(mac_input, kAdvPrefixHostedAccountSignature);
    }
    Append(mac_input, details);
    const auto mac = crypto::HmacSha256(Companion().adv_secret, mac_input);
    container.set_hmac(std::string(mac.begin(), mac.end()));
    return SerializeProto(container);
}

Bytes SignedByAccount(BytesView device_identity) {
    auto identity = ParseProto<ADVDeviceIdentity>(device_identity);
    const bool hosted = identity && identity->devicetype() == ADVEncryptionType::HOSTED;
    const Bytes message = Concat({hosted ? BytesView(kAdvPrefixHostedAccountSignature)
                                         : BytesView(kAdvPrefixAccountSignature),
                                  device_identity, crypto::View(Companion().identity.pub)});
    const auto signature = crypto::Sign(kAccount.priv, message);
    ADVSignedDeviceIdentity signed_identity;
    signed_identity.set_details(ToString(device_identity));
    signed_identity.set_accountsignaturekey(ToString(crypto::View(kAccount.pub)));
    signed_identity.set_accountsignature(std::string(signature.begin(), signature.end()));
    return SerializeProto(signed_identity);
}

void CheckPaired(const PairedIdentity& paired) {
    auto account = ParseProto<ADVSignedDeviceIdentity>(paired.account);
    FUZZ_CHECK(account, "the returned account does not parse");
    auto key = crypto::ToKey32(AsBytes(account->accountsignaturekey()));
    FUZZ_CHECK(key, "the returned account has no account key");
    const Bytes device_message = Concat({BytesView(kAdvPrefixDeviceSignature), AsBytes(account->details()),
                                         crypto::View(Companion().identity.pub), crypto::View(*key)});
    FUZZ_CHECK(crypto::Verify(Companion().identity.pub, device_message, AsBytes(account->devicesignature())),
               "the device signature does not verify");
    auto reply = ParseProto<ADVSignedDeviceIdentity>(paired.reply_identity);
    FUZZ_CHECK(reply && !reply->has_accountsignaturekey(), "the reply keeps the account key");
    reply->set_accountsignaturekey(account->accountsignaturekey());
    FUZZ_CHECK(SerializeProto(*reply) == paired.account, "the reply differs from the account beyond the key");
    auto identity = ParseProto<ADVDeviceIdentity>(AsBytes(account->details()));
    FUZZ_CHECK(identity && identity->keyindex() == paired.key_index, "the key index is not the signed one");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const BytesView rest(data + 1, size - 1);
    const bool hosted = data[0] & 2;
    Bytes container;
    switch (data[0] % 3) {
        case 0: container.assign(rest.begin(), rest.end()); break;
        case 1: container = WithHmac(rest, hosted); break;
        case 2: container = WithHmac(SignedByAccount(rest), hosted); break;
    }
    auto paired = VerifyAndSignDeviceIdentity(container, Companion());
    if (paired) CheckPaired(*paired);
    return 0;
}
