#include "auth/password_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "auth/password.h"

namespace wadesk::auth {
namespace {

TEST(PasswordPool, VerifiesOnItsOwnThreads) {
    PasswordPool pool(2, 2);
    std::string hash = HashPassword("correct horse");
    std::promise<std::pair<bool, std::thread::id>> right, wrong, unknown;
    ASSERT_TRUE(pool.TryVerify("correct horse", hash, [&](bool ok) { right.set_value({ok, std::this_thread::get_id()}); }));
    ASSERT_TRUE(pool.TryVerify("wrong horse", hash, [&](bool ok) { wrong.set_value({ok, std::this_thread::get_id()}); }));
    ASSERT_TRUE(pool.TryVerify("any", "", [&](bool ok) { unknown.set_value({ok, std::this_thread::get_id()}); }));
    auto r = right.get_future().get();
    auto w = wrong.get_future().get();
    auto u = unknown.get_future().get();
    EXPECT_TRUE(r.first);
    EXPECT_FALSE(w.first);
    EXPECT_FALSE(u.first);
    for (auto id : {r.second, w.second, u.second}) EXPECT_NE(id, std::this_thread::get_id());
}

// threads + queue checks are admitted; the next one is refused at once and its `done` never runs.
TEST(PasswordPool, RefusesBeyondThreadsPlusQueue) {
    PasswordPool pool(1, 2);
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    int finished = 0;
    auto blocked = [&](bool) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return release; });
        ++finished;
    };
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.TryVerify("x", "", blocked)) << i;
    EXPECT_EQ(pool.Admitted(), 3u);
    bool ran = false;
    EXPECT_FALSE(pool.TryVerify("x", "", [&](bool) { ran = true; }));
    EXPECT_EQ(pool.Refused(), 1u);
    {
        std::lock_guard lock(mu);
        release = true;
    }
    cv.notify_all();
    // Room again once the admitted checks are done.
    std::promise<void> after;
    for (;;) {
        if (pool.TryVerify("x", "", [&](bool) { after.set_value(); })) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    after.get_future().get();
    EXPECT_FALSE(ran);
    std::lock_guard lock(mu);
    EXPECT_EQ(finished, 3);
}

// Stop lets the running check answer, drops the waiting ones uncalled, and refuses new ones.
TEST(PasswordPool, StopFinishesRunningAndDropsWaiting) {
    PasswordPool pool(1, 3);
    std::mutex mu;
    std::condition_variable cv;
    bool started = false, release = false;
    std::atomic<int> answered{0};
    ASSERT_TRUE(pool.TryVerify("x", "", [&](bool) {
        std::unique_lock lock(mu);
        started = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        ++answered;
    }));
    {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return started; });
    }
    auto dropped_done = std::make_shared<int>(0);
    std::weak_ptr<int> dropped_alive = dropped_done;
    for (int i = 0; i < 2; ++i)
        ASSERT_TRUE(pool.TryVerify("x", "", [&answered, keep = dropped_done](bool) { ++answered; }));
    dropped_done.reset();
    std::thread stopper([&] { pool.Stop(); });
    while (pool.Admitted() != 1) std::this_thread::yield();  // Stop has dropped the waiting checks
    {
        std::lock_guard lock(mu);
        release = true;
    }
    cv.notify_all();
    stopper.join();
    EXPECT_EQ(answered.load(), 1);
    EXPECT_TRUE(dropped_alive.expired());  // the waiting checks' callbacks were destroyed
    EXPECT_EQ(pool.Admitted(), 0u);
    EXPECT_FALSE(pool.TryVerify("x", "", [](bool) {}));
    pool.Stop();  // idempotent
}

}  // namespace
}  // namespace wadesk::auth
