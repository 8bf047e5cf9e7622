#pragma once
// Password checks (argon2id: ~20 MiB and tens of milliseconds of one core each) on threads of
// their own, so that a flood of logins can only ever occupy this pool, never the threads that
// serve other requests. At most `threads` checks run at once and at most `queue` more wait;
// a check beyond that is refused at once (the caller answers "busy") instead of queueing
// without bound. The threads run at a lower scheduling priority than the rest of the process
// (nice +5 on Linux), so request threads win a contended CPU.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wadesk::auth {

class PasswordPool {
public:
    // REQUIRES: threads >= 1.
    PasswordPool(unsigned threads, unsigned queue);
    // Stop().
    ~PasswordPool();
    PasswordPool(const PasswordPool&) = delete;
    PasswordPool& operator=(const PasswordPool&) = delete;

    // Verifies `password` against the argon2id string `encoded` on a pool thread and calls
    // `done(matches)` on that thread (`done` must not throw). An empty `encoded` (unknown email, externally issued
    // user) spends the time of a real check and reports false. Returns false, and never calls
    // `done`, when `threads + queue` checks are admitted already.
    bool TryVerify(std::string password, std::string encoded, std::function<void(bool)> done);

    // Lets the running checks finish (their `done` is called), drops the waiting ones (their
    // `done` is destroyed uncalled) and joins the threads; later TryVerify calls are refused.
    // Idempotent. A server calls it once it no longer serves, before what `done` reaches goes.
    void Stop();

    unsigned threads() const { return static_cast<unsigned>(threads_.size()); }
    std::size_t Admitted() const;     // running or waiting now
    std::size_t Refused() const;      // refused since start (counter for /metrics)

private:
    void Run();

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::size_t admitted_ = 0;
    std::size_t refused_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace wadesk::auth
