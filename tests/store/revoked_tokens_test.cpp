// Tokens signed out one by one (V012) in the shared repository suite: both backends run it.
#include "core/clock.h"
#include "store/errors.h"
#include "store/repository_test.h"

namespace wadesk::store::testing {

TEST_P(RepositoryTest, RevokedTokensAreKeptUntilTheyExpire) {
    Company a = NewCompany();
    User u = repo_->CreateUser({.company_id = a.id, .email = "revoke." + a.id + "@example.test", .name = "U"});
    const std::int64_t now = NowMs();
    repo_->RevokeToken({"live-token", u.id, now + 3'600'000});
    repo_->RevokeToken({"live-token", u.id, now + 3'600'000});  // again: still one row
    repo_->RevokeToken({"stale-token", u.id, now - 1000});     // expired already: pruned by the next revoke
    auto listed = repo_->ListRevokedTokens(now);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].token_id, "live-token");
    EXPECT_EQ(listed[0].user_id, u.id);
    EXPECT_EQ(listed[0].expires_at, now + 3'600'000);
    EXPECT_TRUE(repo_->ListRevokedTokens(now + 3'600'001).empty());
    // A token of a user that does not exist is refused; a deleted user's rows go with it.
    EXPECT_THROW(repo_->RevokeToken({"ghost", "no-such-user", now + 1000}), ConstraintViolation);
    repo_->DeleteUser(a.id, u.id);
    EXPECT_TRUE(repo_->ListRevokedTokens(now).empty());
}

}  // namespace wadesk::store::testing
