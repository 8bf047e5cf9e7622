#include "auth/rate_limiter.h"

#include <algorithm>

namespace wadesk::auth {
namespace {
// Past this many keys a table is pruned of expired ones before it grows (a spray of distinct
// emails or addresses cannot grow it beyond what one window's attempts hold).
constexpr std::size_t kPruneAbove = 100'000;
}  // namespace

std::int64_t LoginRateLimiter::WaitLocked(Table& table, const std::string& key, int limit, std::int64_t now_ms) {
    auto it = table.find(key);
    if (it == table.end()) return limit > 0 ? 0 : limits_.window_ms;
    Times& q = it->second;
    while (!q.empty() && q.front() <= now_ms - limits_.window_ms) q.pop_front();
    if (static_cast<int>(q.size()) < limit) return 0;
    if (limit <= 0) return limits_.window_ms;
    // The attempt that must leave the window before one more fits.
    return std::max<std::int64_t>(1, q[q.size() - static_cast<std::size_t>(limit)] + limits_.window_ms - now_ms);
}

void LoginRateLimiter::PruneAllLocked(Table& table, std::int64_t now_ms) {
    if (table.size() <= kPruneAbove) return;
    for (auto it = table.begin(); it != table.end();) {
        Times& q = it->second;
        while (!q.empty() && q.front() <= now_ms - limits_.window_ms) q.pop_front();
        it = q.empty() ? table.erase(it) : std::next(it);
    }
}

std::int64_t LoginRateLimiter::Admit(const std::string& ip, const std::string& account, std::int64_t now_ms,
                                     LoginAttempt& attempt) {
    std::lock_guard lock(mutex_);
    std::int64_t wait = std::max(WaitLocked(by_account_, account, limits_.per_account, now_ms),
                                 WaitLocked(by_ip_, ip, limits_.per_ip, now_ms));
    if (wait > 0) return wait;
    PruneAllLocked(by_account_, now_ms);
    PruneAllLocked(by_ip_, now_ms);
    by_account_[account].push_back(now_ms);
    by_ip_[ip].push_back(now_ms);
    attempt = LoginAttempt{ip, account, now_ms};
    return 0;
}

void LoginRateLimiter::Forget(Table& table, const std::string& key, std::int64_t at_ms) {
    auto it = table.find(key);
    if (it == table.end()) return;
    Times& q = it->second;
    auto pos = std::find(q.begin(), q.end(), at_ms);
    if (pos != q.end()) q.erase(pos);
    if (q.empty()) table.erase(it);
}

void LoginRateLimiter::Succeeded(const LoginAttempt& attempt) {
    std::lock_guard lock(mutex_);
    by_account_.erase(attempt.account);
    Forget(by_ip_, attempt.ip, attempt.at_ms);
}

void LoginRateLimiter::Abandoned(const LoginAttempt& attempt) {
    std::lock_guard lock(mutex_);
    Forget(by_account_, attempt.account, attempt.at_ms);
    Forget(by_ip_, attempt.ip, attempt.at_ms);
}

}  // namespace wadesk::auth
