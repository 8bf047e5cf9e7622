#pragma once
// Password hashing: argon2id, t=2, m=19456 KiB, p=1, 16-byte random salt, 32-byte tag, stored
// as the standard encoded string ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash").
#include <string>
#include <string_view>

namespace wadesk::auth {

std::string HashPassword(std::string_view password);
// False for a wrong password and for anything that is not an argon2id encoded hash.
bool VerifyPassword(std::string_view password, std::string_view encoded);
// Spends the same time as a VerifyPassword: used for unknown emails so that login time does not
// reveal whether an account exists.
void BurnPasswordCheck(std::string_view password);

}  // namespace wadesk::auth
