#pragma once
// ASCII text helpers shared by every module (configuration lines, HTTP and multipart headers,
// names typed by users). Only ASCII is touched: other bytes pass through unchanged.
#include <string>
#include <string_view>

namespace wadesk {

// `s` without leading and trailing spaces, tabs, CRs and LFs.
std::string_view TrimAscii(std::string_view s);

// `s` with A-Z lowered.
std::string LowerAscii(std::string_view s);

}  // namespace wadesk
