#include "auth/token_authenticator.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace wadesk::auth {
namespace {

domain::User MakeUser(std::string id, std::string company, domain::Role role) {
    domain::User u;
    u.id = std::move(id);
    u.company_id = std::move(company);
    u.email = u.id + "@example.com";
    u.role = role;
    return u;
}

std::unique_ptr<TokenAuthenticator> Make(ExternalIssuerConfig external = {}) {
    AuthConfig config;
    config.jwt_secret = RandomBytes(32);
    config.external = std::move(external);
    auto a = TokenAuthenticator::Create(std::move(config));
    EXPECT_TRUE(a);
    return std::move(*a);
}

TEST(TokenAuthenticator, IssuedTokenAuthenticates) {
    auto auth = Make();
    auto user = MakeUser("u1", "c1", domain::Role::kAdmin);
    auth->Upsert(user);
    auto issued = auth->Issue(user);
    EXPECT_GT(issued.expires_at_ms, NowMs());
    auto p = auth->Authenticate(issued.token);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->user_id, "u1");
    EXPECT_EQ(p->company_id, "c1");
    EXPECT_TRUE(p->IsAdmin());
}

TEST(TokenAuthenticator, DisablingRejectsAlreadyIssuedTokens) {
    auto auth = Make();
    auto user = MakeUser("u1", "c1", domain::Role::kManager);
    auth->Upsert(user);
    auto token = auth->Issue(user).token;
    user.disabled = true;
    auth->Upsert(user);
    auto p = auth->Authenticate(token);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, "user_disabled");
    auth->Remove("u1");
    EXPECT_EQ(auth->Authenticate(token).error().code, "invalid_token");
}

TEST(TokenAuthenticator, MissingAndForeignTokens) {
    auto auth = Make();
    EXPECT_EQ(auth->Authenticate("").error().code, "missing_token");
    auto other = Make();
    auto user = MakeUser("u1", "c1", domain::Role::kAdmin);
    auth->Upsert(user);
    other->Upsert(user);
    EXPECT_EQ(auth->Authenticate(other->Issue(user).token).error().code, "invalid_token");
}

TEST(TokenAuthenticator, ExternalHs256UsersAreMappedAfterProvisioning) {
    ExternalIssuerConfig ext;
    ext.hs256_secret = "external-shared-secret";
    ext.claim_user = "uid";
    ext.claim_company = "org";
    ext.claim_role = "r";
    auto auth = Make(ext);
    std::int64_t now = NowSeconds();
    std::string token = SignHs256({{"uid", 42}, {"org", "c1"}, {"r", "manager"}, {"exp", now + 60}},
                                  AsBytes("external-shared-secret"));
    auto id = auth->VerifyExternal(token);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->external_id, "42");
    EXPECT_EQ(auth->Authenticate(token).error().code, "unknown_user");
    auto user = MakeUser("u9", "c1", domain::Role::kManager);
    user.external_id = "42";
    auth->Upsert(user);
    auto p = auth->Authenticate(token);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->user_id, "u9");
    // Bad role value is refused.
    std::string bad = SignHs256({{"uid", 42}, {"org", "c1"}, {"r", "root"}, {"exp", now + 60}},
                                AsBytes("external-shared-secret"));
    EXPECT_FALSE(auth->Authenticate(bad));
}

// The sign-out mark voids every token issued before it, and only those: a token issued in the
// same second right after the sign-out still works (its "iat" is lifted to the mark).
TEST(TokenAuthenticator, SignOutMarkVoidsEarlierTokensOnly) {
    auto auth = Make();
    auto user = MakeUser("u1", "c1", domain::Role::kManager);
    auth->Upsert(user);
    std::string before = auth->Issue(user).token;
    auto p = auth->Authenticate(before);
    ASSERT_TRUE(p);
    EXPECT_TRUE(auth->StillValid(*p));

    user.tokens_valid_after = SignOutMark(NowMs());
    auth->Upsert(user);
    auto refused = auth->Authenticate(before);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "token_revoked");
    EXPECT_FALSE(auth->StillValid(*p));

    std::string after = auth->Issue(user).token;
    auto q = auth->Authenticate(after);
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_GE(q->issued_at_s * 1000, user.tokens_valid_after);
    EXPECT_TRUE(auth->StillValid(*q));
    // Enabling, renaming, ... (an Upsert with the same mark) revives nothing.
    user.name = "renamed";
    auth->Upsert(user);
    EXPECT_EQ(auth->Authenticate(before).error().code, "token_revoked");
    EXPECT_TRUE(auth->Authenticate(after));
}

TEST(TokenAuthenticator, SignOutMarkIsTheNextWholeSecond) {
    EXPECT_EQ(SignOutMark(1'700'000'000'000), 1'700'000'001'000);
    EXPECT_EQ(SignOutMark(1'700'000'000'999), 1'700'000'001'000);
}

// External tokens are held to the mark by their own "iat"; one without "iat" cannot show it was
// issued after the mark, so it is void once there is one.
TEST(TokenAuthenticator, SignOutMarkAppliesToExternalTokens) {
    ExternalIssuerConfig ext;
    ext.hs256_secret = "external-shared-secret";
    auto auth = Make(ext);
    auto user = MakeUser("u9", "c1", domain::Role::kManager);
    user.external_id = "42";
    auth->Upsert(user);
    std::int64_t now = NowSeconds();
    auto sign = [&](boost::json::object claims) {
        claims["sub"] = 42;
        claims["cid"] = "c1";
        claims["role"] = "manager";
        claims["exp"] = now + 60;
        return SignHs256(claims, AsBytes("external-shared-secret"));
    };
    std::string old_iat = sign({{"iat", now - 5}});
    std::string no_iat = sign({});
    ASSERT_TRUE(auth->Authenticate(old_iat));
    ASSERT_TRUE(auth->Authenticate(no_iat));
    user.tokens_valid_after = SignOutMark(NowMs() - 2000);
    auth->Upsert(user);
    EXPECT_EQ(auth->Authenticate(old_iat).error().code, "token_revoked");
    EXPECT_EQ(auth->Authenticate(no_iat).error().code, "token_revoked");
    EXPECT_TRUE(auth->Authenticate(sign({{"iat", now}})));
}

}  // namespace
}  // namespace wadesk::auth
