#include "auth/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace wadesk::auth {
namespace {

constexpr std::int64_t kT0 = 1'000'000;

TEST(LoginRateLimiter, AccountLimitCountsFailuresAcrossAddresses) {
    LoginRateLimiter limiter({.per_account = 3, .per_ip = 100, .window_ms = 60'000});
    LoginAttempt a;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Admit("10.0.0." + std::to_string(i), "kim@x.test", kT0 + i, a), 0);
    std::int64_t wait = limiter.Admit("10.0.0.9", "kim@x.test", kT0 + 10, a);
    EXPECT_EQ(wait, 60'000 - 10);  // until the first failure leaves the window
    EXPECT_EQ(limiter.Admit("10.0.0.9", "other@x.test", kT0 + 10, a), 0);
    EXPECT_EQ(limiter.Admit("10.0.0.9", "kim@x.test", kT0 + 60'000, a), 0);
}

TEST(LoginRateLimiter, IpLimitCountsFailuresAcrossAccounts) {
    LoginRateLimiter limiter({.per_account = 5, .per_ip = 4, .window_ms = 1000});
    LoginAttempt a;
    for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.Admit("1.2.3.4", "u" + std::to_string(i) + "@x.test", kT0, a), 0);
    EXPECT_GT(limiter.Admit("1.2.3.4", "fresh@x.test", kT0, a), 0);
    EXPECT_EQ(limiter.Admit("5.6.7.8", "fresh@x.test", kT0, a), 0);
    EXPECT_EQ(limiter.Admit("1.2.3.4", "fresh@x.test", kT0 + 1000, a), 0);
}

TEST(LoginRateLimiter, SuccessClearsTheAccountAndItsOwnAttemptOnTheAddress) {
    LoginRateLimiter limiter({.per_account = 2, .per_ip = 3, .window_ms = 60'000});
    LoginAttempt failed, ok;
    ASSERT_EQ(limiter.Admit("ip", "kim@x.test", kT0, failed), 0);
    ASSERT_EQ(limiter.Admit("ip", "kim@x.test", kT0 + 1, ok), 0);
    limiter.Succeeded(ok);
    LoginAttempt a;
    // The account is clear again; the address still holds the one failure.
    EXPECT_EQ(limiter.Admit("ip", "kim@x.test", kT0 + 2, a), 0);
    EXPECT_EQ(limiter.Admit("ip", "kim@x.test", kT0 + 3, a), 0);
    EXPECT_GT(limiter.Admit("ip", "kim@x.test", kT0 + 4, a), 0);  // account: 2 of 2
    EXPECT_GT(limiter.Admit("ip", "else@x.test", kT0 + 4, a), 0);  // address: 3 of 3
}

TEST(LoginRateLimiter, AbandonedAttemptsDoNotCount) {
    LoginRateLimiter limiter({.per_account = 1, .per_ip = 1, .window_ms = 60'000});
    LoginAttempt a;
    for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(limiter.Admit("ip", "kim@x.test", kT0 + i, a), 0) << i;
        limiter.Abandoned(a);
    }
}

// Admission and record are one step: of 40 concurrent attempts on one account, exactly the
// limit is admitted, however the threads interleave.
TEST(LoginRateLimiter, ConcurrentAttemptsAdmitExactlyTheLimit) {
    for (int round = 0; round < 20; ++round) {
        LoginRateLimiter limiter({.per_account = 5, .per_ip = 1000, .window_ms = 60'000});
        std::atomic<int> admitted{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int i = 0; i < 40; ++i) {
            threads.emplace_back([&, i] {
                while (!go.load()) std::this_thread::yield();
                LoginAttempt a;
                if (limiter.Admit("10.0.0." + std::to_string(i % 7), "kim@x.test", kT0, a) == 0) ++admitted;
            });
        }
        go = true;
        for (auto& t : threads) t.join();
        EXPECT_EQ(admitted.load(), 5) << "round " << round;
    }
}

}  // namespace
}  // namespace wadesk::auth
