#pragma once
// Login throttling: at most `per_account` failed attempts per account (the normalised email,
// auth/email.h, whether or not such an account exists) and at most `per_ip` per client address
// within a sliding `window_ms`; a further attempt is refused until the oldest failure that
// blocks it leaves the window. In memory, per process; thread-safe.
//
// Admission and record are one step: Admit() checks both limits and, when it admits, counts the
// attempt at once against both, before its password is checked. So N concurrent attempts on one
// account admit exactly min(N, per_account - failures so far), never more. The caller then
// reports the attempt's outcome: a failure keeps counting until it leaves the window; a success
// clears the account and takes the attempt off its address; an attempt abandoned before any
// password check (busy, disabled user) is taken off both.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace wadesk::auth {

struct LoginLimits {
    int per_account = 5;
    int per_ip = 30;
    std::int64_t window_ms = 60'000;
};

// An admitted attempt: what the outcome calls need to find its record again.
struct LoginAttempt {
    std::string ip;
    std::string account;
    std::int64_t at_ms = 0;
};

class LoginRateLimiter {
public:
    explicit LoginRateLimiter(LoginLimits limits = {}) : limits_(limits) {}

    // 0 with `attempt` filled when admitted; else the milliseconds until an attempt can be.
    std::int64_t Admit(const std::string& ip, const std::string& account, std::int64_t now_ms, LoginAttempt& attempt);
    void Succeeded(const LoginAttempt& attempt);
    void Abandoned(const LoginAttempt& attempt);

    const LoginLimits& limits() const { return limits_; }

private:
    using Times = std::deque<std::int64_t>;  // attempt times, oldest first
    using Table = std::unordered_map<std::string, Times>;
    // Milliseconds until `key` of `table` holds fewer than `limit` attempts (0: now).
    std::int64_t WaitLocked(Table& table, const std::string& key, int limit, std::int64_t now_ms);
    void PruneAllLocked(Table& table, std::int64_t now_ms);
    static void Forget(Table& table, const std::string& key, std::int64_t at_ms);

    LoginLimits limits_;
    std::mutex mutex_;
    Table by_account_;
    Table by_ip_;
};

}  // namespace wadesk::auth
