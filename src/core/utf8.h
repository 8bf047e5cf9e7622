#pragma once
// UTF-8 validation for text that arrives from outside (HTTP, websocket frames, JSON).
#include <string_view>

namespace wadesk {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace wadesk
