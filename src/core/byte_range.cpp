#include "core/byte_range.h"

#include <algorithm>
#include <charconv>

namespace wadesk {

namespace {

std::optional<std::uint64_t> Number(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseByteRange(std::string_view header, std::uint64_t size) {
    header = Trim(header);
    if (!header.starts_with("bytes=")) return std::nullopt;
    header.remove_prefix(6);
    header = Trim(header);
    if (header.find(',') != std::string_view::npos || size == 0) return std::nullopt;
    const auto dash = header.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const std::string_view a = Trim(header.substr(0, dash)), b = Trim(header.substr(dash + 1));
    if (a.empty()) {  // suffix: the last n bytes
        auto n = Number(b);
        if (!n || *n == 0) return std::nullopt;
        return std::pair{size - std::min(*n, size), size - 1};
    }
    auto first = Number(a);
    if (!first || *first >= size) return std::nullopt;
    if (b.empty()) return std::pair{*first, size - 1};
    auto last = Number(b);
    if (!last || *last < *first) return std::nullopt;
    return std::pair{*first, std::min(*last, size - 1)};
}

}  // namespace wadesk
