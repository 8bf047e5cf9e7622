#pragma once
// Request metrics in Prometheus text form: a counter per (method, route template, status) and
// one latency histogram per route. Thread-safe.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace wadesk::http {

class Metrics {
public:
    // `route` is the matched template, or "unmatched" for 404/405 and transport errors.
    void Record(const std::string& method, const std::string& route, int status, double seconds);
    // Appends the request series to `out` in the Prometheus text exposition format.
    void Render(std::string& out) const;

    static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,  0.1,    0.25,  0.5,  1.0};

private:
    struct Histogram {
        std::array<std::uint64_t, kBuckets.size()> buckets{};
        std::uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
    std::map<std::string, Histogram> latency_;
};

// Escapes a label value for the exposition format (backslash, quote, newline).
std::string EscapeLabel(const std::string& v);

}  // namespace wadesk::http
