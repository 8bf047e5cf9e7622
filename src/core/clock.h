#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace wadesk {

// Wall-clock time in unix milliseconds / seconds (UTC).
inline std::int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
inline std::int64_t NowSeconds() { return NowMs() / 1000; }

// ISO 8601 UTC with milliseconds ("2026-11-28T05:42:30.123Z"), the API's timestamp form.
std::string FormatIsoMs(std::int64_t unix_ms);

}  // namespace wadesk
