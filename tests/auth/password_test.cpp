#include "auth/password.h"

#include <gtest/gtest.h>

namespace wadesk::auth {
namespace {

TEST(Password, HashHasArgon2idParameters) {
    std::string h = HashPassword("correct horse");
    EXPECT_TRUE(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << h;
    EXPECT_EQ(h.find('\0'), std::string::npos);
}

TEST(Password, VerifiesRightAndRejectsWrong) {
    std::string h = HashPassword("correct horse");
    EXPECT_TRUE(VerifyPassword("correct horse", h));
    EXPECT_FALSE(VerifyPassword("correct horsE", h));
    EXPECT_FALSE(VerifyPassword("", h));
}

TEST(Password, SaltMakesHashesDiffer) {
    EXPECT_NE(HashPassword("same"), HashPassword("same"));
}

TEST(Password, MalformedHashIsFalse) {
    EXPECT_FALSE(VerifyPassword("x", ""));
    EXPECT_FALSE(VerifyPassword("x", "$argon2id$garbage"));
    EXPECT_FALSE(VerifyPassword("x", "$2b$10$bcrypt-is-not-accepted"));
}

}  // namespace
}  // namespace wadesk::auth
