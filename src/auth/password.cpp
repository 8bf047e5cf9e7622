#include "auth/password.h"

#include <argon2.h>

#include <stdexcept>

#include "core/bytes.h"

namespace wadesk::auth {
namespace {
constexpr std::uint32_t kTimeCost = 2;
constexpr std::uint32_t kMemoryKib = 19456;
constexpr std::uint32_t kParallelism = 1;
constexpr std::size_t kSaltLen = 16;
constexpr std::size_t kHashLen = 32;
}  // namespace

std::string HashPassword(std::string_view password) {
    Bytes salt = RandomBytes(kSaltLen);
    std::size_t encoded_len = argon2_encodedlen(kTimeCost, kMemoryKib, kParallelism, kSaltLen, kHashLen, Argon2_id);
    std::string encoded(encoded_len, '\0');
    int rc = argon2id_hash_encoded(kTimeCost, kMemoryKib, kParallelism, password.data(), password.size(), salt.data(),
                                   salt.size(), kHashLen, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id failed: ") + argon2_error_message(rc));
    encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
    return encoded;
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
    if (!encoded.starts_with("$argon2id$")) return false;
    std::string enc(encoded);  // argon2 wants a NUL-terminated string
    return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void BurnPasswordCheck(std::string_view password) {
    static const std::string kDummy = HashPassword("wadesk-dummy-password");
    (void)VerifyPassword(password, kDummy);
}

}  // namespace wadesk::auth
