#include "auth/token_authenticator.h"

#include <gtest/gtest.h>

#include "auth/rate_limiter.h"
#include "core/clock.h"

namespace wadesk::auth {
namespace {

store::User MakeUser(std::string id, std::string company, store::Role role) {
    store::User u;
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
    auto user = MakeUser("u1", "c1", store::Role::kAdmin);
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
    auto user = MakeUser("u1", "c1", store::Role::kManager);
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
    auto user = MakeUser("u1", "c1", store::Role::kAdmin);
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
    auto user = MakeUser("u9", "c1", store::Role::kManager);
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

TEST(LoginRateLimiter, BlocksAfterFiveFailuresForAMinute) {
    LoginRateLimiter limiter(5, 60'000);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(limiter.RetryAfterMs("ip|a", 1000 + i), 0);
        limiter.RecordFailure("ip|a", 1000 + i);
    }
    EXPECT_GT(limiter.RetryAfterMs("ip|a", 2000), 0);
    EXPECT_EQ(limiter.RetryAfterMs("ip|b", 2000), 0);          // other key unaffected
    EXPECT_EQ(limiter.RetryAfterMs("ip|a", 1000 + 60'000), 0);  // oldest failure left the window
    limiter.RecordSuccess("ip|a");
    EXPECT_EQ(limiter.RetryAfterMs("ip|a", 2000), 0);
}

}  // namespace
}  // namespace wadesk::auth
