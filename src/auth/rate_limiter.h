#pragma once
// Login throttling: at most `max_failures` failed attempts per key (IP + email) within a sliding
// `window`; further attempts are refused until the oldest failure leaves the window. A success
// clears the key. In memory, per process; thread-safe.
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace wadesk::auth {

class LoginRateLimiter {
public:
    explicit LoginRateLimiter(int max_failures = 5, std::int64_t window_ms = 60'000)
        : max_failures_(max_failures), window_ms_(window_ms) {}

    // 0 when an attempt is allowed now, else the milliseconds until it is.
    std::int64_t RetryAfterMs(const std::string& key, std::int64_t now_ms);
    void RecordFailure(const std::string& key, std::int64_t now_ms);
    void RecordSuccess(const std::string& key);

private:
    void Prune(std::deque<std::int64_t>& q, std::int64_t now_ms) const;
    int max_failures_;
    std::int64_t window_ms_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::deque<std::int64_t>> failures_;
};

}  // namespace wadesk::auth
