#pragma once
// The HTTP Range header (RFC 9110 §14), single ranges only: shared by the REST media route and the
// emulator's media host.
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace wadesk {

// A single byte range of a `size`-byte file from a Range header value: "bytes=a-b", "bytes=a-" or
// "bytes=-n", as [first, last] (last capped at size - 1). nullopt: unsatisfiable or malformed (an
// answer 416), and for several ranges, which are not supported.
std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseByteRange(std::string_view header, std::uint64_t size);

}  // namespace wadesk
