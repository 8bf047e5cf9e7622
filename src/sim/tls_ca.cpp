#include "sim/tls_ca.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace wadesk::sim {
namespace {

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

Error TlsError(const char* what) { return MakeError("tls_error", std::string("test PKI: ") + what); }

Key NewKey() { return Key(EVP_EC_gen("P-256")); }

bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

Cert NewCert(EVP_PKEY* subject_key, const char* cn) {
    Cert cert(X509_new());
    if (!cert) return nullptr;
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 86400);
    X509_set_pubkey(cert.get(), subject_key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("wadesk-sim"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    return cert;
}

std::string CertPem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string KeyPem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

Result<TestPki> MakeTestPki() {
    Key ca_key = NewKey(), leaf_key = NewKey();
    if (!ca_key || !leaf_key) return TlsError("key generation");
    Cert ca = NewCert(ca_key.get(), "wadesk-sim media CA");
    if (!ca) return TlsError("CA certificate");
    X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
    if (!AddExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE") ||
        !AddExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !AddExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash") ||
        X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) {
        return TlsError("CA signature");
    }
    Cert leaf = NewCert(leaf_key.get(), "localhost");
    if (!leaf) return TlsError("server certificate");
    X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca.get()));
    if (!AddExt(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") ||
        !AddExt(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature") ||
        !AddExt(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth") ||
        !AddExt(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid") ||
        !AddExt(leaf.get(), ca.get(), NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost,DNS:mmg.whatsapp.net") ||
        X509_sign(leaf.get(), ca_key.get(), EVP_sha256()) == 0) {
        return TlsError("server certificate signature");
    }
    return TestPki{CertPem(ca.get()), CertPem(leaf.get()), KeyPem(leaf_key.get())};
}

}  // namespace wadesk::sim
