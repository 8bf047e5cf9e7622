#include "auth/rate_limiter.h"

namespace wadesk::auth {

void LoginRateLimiter::Prune(std::deque<std::int64_t>& q, std::int64_t now_ms) const {
    while (!q.empty() && q.front() <= now_ms - window_ms_) q.pop_front();
}

std::int64_t LoginRateLimiter::RetryAfterMs(const std::string& key, std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto it = failures_.find(key);
    if (it == failures_.end()) return 0;
    Prune(it->second, now_ms);
    if (it->second.empty()) {
        failures_.erase(it);
        return 0;
    }
    if (static_cast<int>(it->second.size()) < max_failures_) return 0;
    return it->second.front() + window_ms_ - now_ms;
}

void LoginRateLimiter::RecordFailure(const std::string& key, std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    if (failures_.size() > 100'000) {  // bound memory under a spray of distinct keys
        for (auto it = failures_.begin(); it != failures_.end();) {
            Prune(it->second, now_ms);
            it = it->second.empty() ? failures_.erase(it) : std::next(it);
        }
    }
    auto& q = failures_[key];
    Prune(q, now_ms);
    q.push_back(now_ms);
}

void LoginRateLimiter::RecordSuccess(const std::string& key) {
    std::lock_guard lock(mutex_);
    failures_.erase(key);
}

}  // namespace wadesk::auth
