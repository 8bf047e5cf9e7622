#include "http/metrics.h"

#include <fmt/format.h>

namespace wadesk::http {

std::string EscapeLabel(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

void Metrics::Record(const std::string& method, const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    ++requests_[{method, route, status}];
    Histogram& h = latency_[route];
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
        if (seconds <= kBuckets[i]) ++h.buckets[i];
    ++h.count;
    h.sum += seconds;
}

void Metrics::Render(std::string& out) const {
    std::lock_guard lock(mutex_);
    out += "# HELP wadesk_http_requests_total HTTP requests by method, route template and status.\n";
    out += "# TYPE wadesk_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
        const auto& [method, route, status] = key;
        out += fmt::format("wadesk_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                           EscapeLabel(method), EscapeLabel(route), status, n);
    }
    out += "# HELP wadesk_http_request_duration_seconds HTTP request latency by route template.\n";
    out += "# TYPE wadesk_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
        std::string label = EscapeLabel(route);
        for (std::size_t i = 0; i < kBuckets.size(); ++i)
            out += fmt::format("wadesk_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
                               kBuckets[i], h.buckets[i]);
        out += fmt::format("wadesk_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
                           h.count);
        out += fmt::format("wadesk_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label, h.sum);
        out += fmt::format("wadesk_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label, h.count);
    }
}

}  // namespace wadesk::http
