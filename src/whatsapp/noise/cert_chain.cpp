#include "whatsapp/noise/cert_chain.h"

#include "whatsapp/proto/message_util.h"

namespace wadesk::wa::noise {
namespace {

Bytes MakeDetails(std::uint32_t serial, std::uint32_t issuer_serial, const crypto::Key32& key, Validity v) {
    CertChain::NoiseCertificate::Details d;
    d.set_serial(serial);
    d.set_issuerserial(issuer_serial);
    d.set_key(std::string(key.begin(), key.end()));
    d.set_notbefore(v.not_before);
    d.set_notafter(v.not_after);
    return SerializeProto(d);
}

void Fill(CertChain::NoiseCertificate* cert, const Bytes& details, const crypto::Key32& signer) {
    const crypto::Signature sig = crypto::Sign(signer, details);
    cert->set_details(ToString(details));
    cert->set_signature(std::string(sig.begin(), sig.end()));
}

Error Bad(const char* what) { return MakeError("bad_cert_chain", what); }

struct Parsed {
    CertChain::NoiseCertificate::Details details;
    BytesView raw_details;
    BytesView signature;
};

Result<Parsed> ParseCert(const CertChain::NoiseCertificate& cert, const char* name) {
    if (!cert.has_details() || !cert.has_signature()) return Bad(name);
    Parsed p;
    p.raw_details = AsBytes(cert.details());
    p.signature = AsBytes(cert.signature());
    if (p.signature.size() != crypto::kSignatureSize) return Bad("certificate signature is not 64 bytes");
    auto d = ParseProto<CertChain::NoiseCertificate::Details>(p.raw_details);
    if (!d) return Bad("malformed certificate details");
    p.details = std::move(*d);
    if (p.details.key().size() != crypto::kKeySize) return Bad("certificate key is not 32 bytes");
    return p;
}

bool InWindow(const CertChain::NoiseCertificate::Details& d, std::int64_t now) {
    if (now < 0) return false;
    const auto n = static_cast<std::uint64_t>(now);
    return d.notbefore() <= n && n <= d.notafter();
}

}  // namespace

Bytes BuildCertChain(const crypto::KeyPair& root, const crypto::KeyPair& intermediate,
                     const crypto::Key32& server_static, Validity intermediate_validity, Validity leaf_validity) {
    CertChain chain;
    Fill(chain.mutable_intermediate(), MakeDetails(kIntermediateSerial, 0, intermediate.pub, intermediate_validity),
         root.priv);
    Fill(chain.mutable_leaf(), MakeDetails(kLeafSerial, kIntermediateSerial, server_static, leaf_validity),
         intermediate.priv);
    return SerializeProto(chain);
}

Result<void> VerifyCertChain(BytesView bytes, const crypto::Key32& server_static, const crypto::Key32& trust_root,
                             std::int64_t now_seconds) {
    auto chain = ParseProto<CertChain>(bytes);
    if (!chain) return Bad("malformed CertChain");
    if (!chain->has_intermediate() || !chain->has_leaf()) return Bad("missing leaf or intermediate");
    auto inter = ParseCert(chain->intermediate(), "intermediate certificate incomplete");
    if (!inter) return inter.error();
    auto leaf = ParseCert(chain->leaf(), "leaf certificate incomplete");
    if (!leaf) return leaf.error();

    if (!crypto::Verify(trust_root, inter->raw_details, inter->signature)) {
        return MakeError("bad_cert_signature", "intermediate not signed by the trust root");
    }
    if (inter->details.issuerserial() != 0) return Bad("intermediate issuer serial is not the root's (0)");
    const crypto::Key32 inter_key = crypto::ToKey32(AsBytes(inter->details.key())).value();
    if (!crypto::Verify(inter_key, leaf->raw_details, leaf->signature)) {
        return MakeError("bad_cert_signature", "leaf not signed by the intermediate");
    }
    if (leaf->details.issuerserial() != inter->details.serial()) {
        return Bad("leaf issuer serial does not match the intermediate serial");
    }
    if (!ConstantTimeEqual(AsBytes(leaf->details.key()), BytesView(server_static.data(), server_static.size()))) {
        return MakeError("cert_key_mismatch", "leaf key is not the server's static key");
    }
    if (!InWindow(inter->details, now_seconds) || !InWindow(leaf->details, now_seconds)) {
        return MakeError("cert_expired", "certificate outside its validity window");
    }
    return {};
}

}  // namespace wadesk::wa::noise
