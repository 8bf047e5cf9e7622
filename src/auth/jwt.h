#pragma once
// JSON Web Tokens, compact form, with the two algorithms we accept: HS256 (HMAC-SHA256, our
// own tokens and an external issuer's shared secret) and RS256 (an external issuer's RSA public
// key). "alg":"none" and any algorithm other than the verifier's own are rejected, so a token
// cannot pick its own verification method. Bad tokens are a Result error, never an exception.
#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::auth {

// HMAC-SHA256 of `data` under `key` (32 bytes).
Bytes HmacSha256(BytesView key, BytesView data);

// Signs `claims` as an HS256 JWT with header {"alg":"HS256","typ":"JWT"}.
std::string SignHs256(const boost::json::object& claims, BytesView key);

class JwtVerifier {
public:
    // HS256 with a shared secret.
    static JwtVerifier Hs256(Bytes secret);
    // RS256 with a PEM public key ("-----BEGIN PUBLIC KEY-----"). Error "invalid_key" when the PEM
    // does not hold an RSA public key.
    static Result<JwtVerifier> Rs256(std::string_view pem);

    JwtVerifier(JwtVerifier&&) noexcept;
    JwtVerifier& operator=(JwtVerifier&&) noexcept;
    ~JwtVerifier();

    // Checks shape, algorithm, signature (constant time), then times against `now_s` with
    // `leeway_s` of tolerance: "exp" is required and must be in the future, "nbf" and "iat" when
    // present must not be in the future. Errors: "invalid_token" (anything wrong with the token)
    // or "token_expired". Returns the claims.
    Result<boost::json::object> Verify(std::string_view token, std::int64_t now_s, std::int64_t leeway_s = 30) const;

private:
    JwtVerifier();
    struct Key;
    std::unique_ptr<Key> key_;
};

}  // namespace wadesk::auth
