#include "auth/jwt.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

namespace wadesk::auth {
namespace json = boost::json;

Bytes HmacSha256(BytesView key, BytesView data) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len);
    out.resize(len);
    return out;
}

std::string SignHs256(const json::object& claims, BytesView key) {
    static const std::string kHeader = Base64UrlEncode(AsBytes(R"({"alg":"HS256","typ":"JWT"})"));
    std::string input = kHeader + "." + Base64UrlEncode(AsBytes(json::serialize(claims)));
    Bytes mac = HmacSha256(key, AsBytes(input));
    return input + "." + Base64UrlEncode(mac);
}

enum class Alg { kHs256, kRs256 };

struct JwtVerifier::Key {
    Alg alg = Alg::kHs256;
    Bytes secret;
    struct PkeyFree {
        void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
    };
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
};

JwtVerifier::JwtVerifier() : key_(std::make_unique<Key>()) {}
JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;
JwtVerifier::~JwtVerifier() = default;

JwtVerifier JwtVerifier::Hs256(Bytes secret) {
    JwtVerifier v;
    v.key_->alg = Alg::kHs256;
    v.key_->secret = std::move(secret);
    return v;
}

Result<JwtVerifier> JwtVerifier::Rs256(std::string_view pem) {
    struct BioFree {
        void operator()(BIO* b) const { BIO_free(b); }
    };
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return MakeError("invalid_key", "cannot read the RS256 public key");
    EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (!raw) return MakeError("invalid_key", "the RS256 key is not a PEM public key");
    JwtVerifier v;
    v.key_->alg = Alg::kRs256;
    v.key_->pkey.reset(raw);
    if (EVP_PKEY_base_id(raw) != EVP_PKEY_RSA) return MakeError("invalid_key", "the RS256 key is not an RSA key");
    return v;
}

namespace {

Error Invalid(std::string message) { return MakeError("invalid_token", std::move(message)); }

// A token segment in its one canonical spelling: base64url without padding, unused trailing
// bits zero. Anything else that would decode to the same bytes is refused, so that a token has
// exactly one accepted form (no re-spelt copies of a signed token).
std::optional<Bytes> DecodeSegment(std::string_view segment) {
    auto bytes = Base64UrlDecode(segment);
    if (!bytes || Base64UrlEncode(*bytes) != segment) return std::nullopt;
    return bytes;
}

bool ReadTime(const json::object& claims, std::string_view name, std::int64_t& out, bool& present) {
    present = false;
    auto it = claims.find(name);
    if (it == claims.end()) return true;
    present = true;
    const json::value& v = it->value();
    if (v.is_int64()) out = v.as_int64();
    else if (v.is_uint64() && v.as_uint64() < (1ull << 62)) out = static_cast<std::int64_t>(v.as_uint64());
    else if (v.is_double()) out = static_cast<std::int64_t>(v.as_double());
    else return false;
    return true;
}

}  // namespace

Result<json::object> JwtVerifier::Verify(std::string_view token, std::int64_t now_s, std::int64_t leeway_s) const {
    if (token.size() > 8192) return Invalid("token too long");
    auto dot1 = token.find('.');
    if (dot1 == std::string_view::npos) return Invalid("token is not a JWT");
    auto dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return Invalid("token is not a JWT");
    std::string_view header_b64 = token.substr(0, dot1);
    std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    std::string_view sig_b64 = token.substr(dot2 + 1);

    auto header_bytes = DecodeSegment(header_b64);
    auto payload_bytes = DecodeSegment(payload_b64);
    auto signature = DecodeSegment(sig_b64);
    if (!header_bytes || !payload_bytes || !signature) return Invalid("token is not canonical base64url");

    boost::system::error_code ec;
    json::value header = json::parse(AsString(*header_bytes), ec);
    if (ec || !header.is_object()) return Invalid("token header is not a JSON object");
    auto alg_it = header.as_object().find("alg");
    if (alg_it == header.as_object().end() || !alg_it->value().is_string()) return Invalid("token header has no alg");
    std::string_view alg = alg_it->value().as_string();
    const char* expected = key_->alg == Alg::kHs256 ? "HS256" : "RS256";
    if (alg != expected) return Invalid("token algorithm '" + std::string(alg) + "' is not accepted");

    std::string_view signing_input = token.substr(0, dot2);
    if (key_->alg == Alg::kHs256) {
        Bytes mac = HmacSha256(key_->secret, AsBytes(signing_input));
        if (!ConstantTimeEqual(mac, *signature)) return Invalid("bad token signature");
    } else {
        struct CtxFree {
            void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
        };
        std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
        if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1)
            return Invalid("cannot verify the token");
        int ok = EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                                  reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
        if (ok != 1) return Invalid("bad token signature");
    }

    json::value payload = json::parse(AsString(*payload_bytes), ec);
    if (ec || !payload.is_object()) return Invalid("token payload is not a JSON object");
    json::object claims = std::move(payload.as_object());

    std::int64_t exp = 0, nbf = 0, iat = 0;
    bool has_exp, has_nbf, has_iat;
    if (!ReadTime(claims, "exp", exp, has_exp) || !ReadTime(claims, "nbf", nbf, has_nbf) ||
        !ReadTime(claims, "iat", iat, has_iat))
        return Invalid("token time claims must be numbers");
    if (!has_exp) return Invalid("token has no exp claim");
    if (now_s >= exp + leeway_s) return MakeError("token_expired", "token has expired");
    if (has_nbf && nbf > now_s + leeway_s) return Invalid("token is not valid yet");
    if (has_iat && iat > now_s + leeway_s) return Invalid("token is issued in the future");
    return claims;
}

}  // namespace wadesk::auth
