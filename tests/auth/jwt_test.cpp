#include "auth/jwt.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wadesk::auth {
namespace {

// RFC 7515 Appendix A.1: the HS256 example JWS (header and payload contain CR LF).
constexpr const char* kRfcToken =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kRfcKey = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr std::int64_t kRfcExp = 1300819380;

Bytes RfcKey() { return *Base64UrlDecode(kRfcKey); }

TEST(Jwt, Rfc7515A1SignatureMatches) {
    std::string token(kRfcToken);
    std::string input = token.substr(0, token.rfind('.'));
    EXPECT_EQ(Base64UrlEncode(HmacSha256(RfcKey(), AsBytes(input))), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
}

TEST(Jwt, Rfc7515A1VerifiesBeforeExpiry) {
    auto v = JwtVerifier::Hs256(RfcKey());
    auto claims = v.Verify(kRfcToken, kRfcExp - 100, 0);
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims->at("iss").as_string(), "joe");
    EXPECT_EQ(claims->at("http://example.com/is_root").as_bool(), true);
}

TEST(Jwt, Rfc7515A1ExpiredAfterExp) {
    auto v = JwtVerifier::Hs256(RfcKey());
    auto claims = v.Verify(kRfcToken, kRfcExp + 1, 0);
    ASSERT_FALSE(claims);
    EXPECT_EQ(claims.error().code, "token_expired");
}

TEST(Jwt, SignThenVerifyRoundTrip) {
    Bytes key = RandomBytes(32);
    boost::json::object claims{{"sub", "u1"}, {"exp", 2000}, {"iat", 1000}};
    std::string token = SignHs256(claims, key);
    auto v = JwtVerifier::Hs256(key);
    auto out = v.Verify(token, 1500);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->at("sub").as_string(), "u1");
}

TEST(Jwt, RejectsWrongKey) {
    std::string token = SignHs256({{"sub", "u1"}, {"exp", 2000}}, RandomBytes(32));
    auto out = JwtVerifier::Hs256(RandomBytes(32)).Verify(token, 1500);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, "invalid_token");
}

TEST(Jwt, RejectsTamperedPayload) {
    Bytes key = RandomBytes(32);
    std::string token = SignHs256({{"sub", "u1"}, {"role", "manager"}, {"exp", 2000}}, key);
    auto dot1 = token.find('.');
    auto dot2 = token.find('.', dot1 + 1);
    std::string forged_payload = Base64UrlEncode(AsBytes(R"({"sub":"u1","role":"admin","exp":2000})"));
    std::string forged = token.substr(0, dot1 + 1) + forged_payload + token.substr(dot2);
    auto out = JwtVerifier::Hs256(key).Verify(forged, 1500);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, "invalid_token");
    // A changed signature character is caught as well (not the last one: its low bits are padding).
    std::string flipped = token;
    char& c = flipped[flipped.rfind('.') + 5];
    c = c == 'A' ? 'Q' : 'A';
    EXPECT_FALSE(JwtVerifier::Hs256(key).Verify(flipped, 1500));
}

TEST(Jwt, RejectsAlgNone) {
    std::string header = Base64UrlEncode(AsBytes(R"({"alg":"none","typ":"JWT"})"));
    std::string payload = Base64UrlEncode(AsBytes(R"({"sub":"u1","exp":2000})"));
    auto v = JwtVerifier::Hs256(RandomBytes(32));
    EXPECT_FALSE(v.Verify(header + "." + payload + ".", 1500));
    EXPECT_FALSE(v.Verify(header + "." + payload, 1500));
}

TEST(Jwt, RejectsOtherAlgorithmEvenWithValidMac) {
    Bytes key = RandomBytes(32);
    std::string header = Base64UrlEncode(AsBytes(R"({"alg":"HS512","typ":"JWT"})"));
    std::string input = header + "." + Base64UrlEncode(AsBytes(R"({"exp":2000})"));
    std::string token = input + "." + Base64UrlEncode(HmacSha256(key, AsBytes(input)));
    auto out = JwtVerifier::Hs256(key).Verify(token, 1500);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("HS512"), std::string::npos);
}

TEST(Jwt, RequiresExpAndChecksNbfAndIat) {
    Bytes key = RandomBytes(32);
    auto v = JwtVerifier::Hs256(key);
    EXPECT_FALSE(v.Verify(SignHs256({{"sub", "u"}}, key), 1500));
    EXPECT_FALSE(v.Verify(SignHs256({{"exp", 5000}, {"nbf", 3000}}, key), 1500, 30));
    EXPECT_FALSE(v.Verify(SignHs256({{"exp", 5000}, {"iat", 3000}}, key), 1500, 30));
    EXPECT_TRUE(v.Verify(SignHs256({{"exp", 5000}, {"nbf", 1510}}, key), 1500, 30));
    EXPECT_FALSE(v.Verify(SignHs256({{"exp", "soon"}}, key), 1500));
}

TEST(Jwt, GarbageIsAnErrorNotACrash) {
    auto v = JwtVerifier::Hs256(RandomBytes(32));
    for (const char* t : {"", ".", "..", "...", "a.b.c", "e30.e30.", "!!!.@@@.###", "eyJhbGciOiJIUzI1NiJ9.bnVsbA.xx"})
        EXPECT_FALSE(v.Verify(t, 1500)) << t;
}

TEST(Jwt, Rs256KeyMustBePem) {
    auto v = JwtVerifier::Rs256("not a key");
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, "invalid_key");
}

}  // namespace
}  // namespace wadesk::auth

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace wadesk::auth {
namespace {

// A fresh RSA key: the test signs RS256 tokens with OpenSSL directly, independent of jwt.cpp.
struct RsaFixture {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    ~RsaFixture() { EVP_PKEY_free(key); }
    std::string PublicPem() const {
        BIO* bio = BIO_new(BIO_s_mem());
        PEM_write_bio_PUBKEY(bio, key);
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        std::string pem(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        return pem;
    }
    std::string Sign(const std::string& header_json, const std::string& payload_json) const {
        std::string input = Base64UrlEncode(AsBytes(header_json)) + "." + Base64UrlEncode(AsBytes(payload_json));
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
        std::size_t len = 0;
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        Bytes sig(len);
        EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        sig.resize(len);
        EVP_MD_CTX_free(ctx);
        return input + "." + Base64UrlEncode(sig);
    }
};

TEST(Jwt, Rs256VerifiesWithThePublicKeyOnly) {
    RsaFixture rsa;
    auto v = JwtVerifier::Rs256(rsa.PublicPem());
    ASSERT_TRUE(v) << v.error().message;
    std::string token = rsa.Sign(R"({"alg":"RS256","typ":"JWT"})", R"({"sub":"ext-1","exp":2000})");
    auto claims = v->Verify(token, 1500);
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims->at("sub").as_string(), "ext-1");
    // Another key's signature, a tampered payload, and the HS256-with-public-key confusion fail.
    RsaFixture other;
    EXPECT_FALSE(v->Verify(other.Sign(R"({"alg":"RS256"})", R"({"exp":2000})"), 1500));
    std::string tampered = token;
    tampered[tampered.find('.') + 2] ^= 1;
    EXPECT_FALSE(v->Verify(tampered, 1500));
    std::string pem = rsa.PublicPem();
    std::string input = Base64UrlEncode(AsBytes(R"({"alg":"HS256"})")) + "." + Base64UrlEncode(AsBytes(R"({"exp":2000})"));
    std::string confused = input + "." + Base64UrlEncode(HmacSha256(AsBytes(pem), AsBytes(input)));
    EXPECT_FALSE(v->Verify(confused, 1500));
}

// A signed token has one accepted spelling: the same bytes spelt with padding or with nonzero
// unused trailing bits (which a lenient decoder ignores) are other strings and are refused,
// even with a signature that matches what they spell.
TEST(Jwt, RejectsNonCanonicalBase64urlSegments) {
    Bytes key = RandomBytes(32);
    std::string token = SignHs256({{"sub", "u1"}, {"exp", 2000}}, key);
    auto v = JwtVerifier::Hs256(key);
    ASSERT_TRUE(v.Verify(token, 1500));

    // 32 signature bytes are 43 characters: the last one carries 2 unused bits, zero here.
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string sig = token.substr(token.rfind('.') + 1);
    ASSERT_EQ(sig.size(), 43u);
    ASSERT_EQ(kAlphabet.find(sig.back()) & 3u, 0u);
    std::string trailing_bits = token;
    trailing_bits.back() = kAlphabet[kAlphabet.find(sig.back()) | 1u];
    ASSERT_EQ(*Base64UrlDecode(trailing_bits.substr(trailing_bits.rfind('.') + 1)), *Base64UrlDecode(sig));
    auto out = v.Verify(trailing_bits, 1500);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, "invalid_token");
    EXPECT_EQ(out.error().message, "token is not canonical base64url");

    out = v.Verify(token + "=", 1500);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().message, "token is not canonical base64url");

    // The payload is held to the same spelling (23 bytes: 31 characters, one "=" when padded),
    // here re-signed so that only its spelling is wrong.
    auto dot1 = token.find('.'), dot2 = token.rfind('.');
    std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
    ASSERT_EQ(payload.size(), 31u);
    std::string input = token.substr(0, dot1 + 1) + payload + "=";
    out = v.Verify(input + "." + Base64UrlEncode(HmacSha256(key, AsBytes(input))), 1500);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().message, "token is not canonical base64url");
}

}  // namespace
}  // namespace wadesk::auth
