#pragma once
// The web console (web/console/*), embedded at build time by embed_console.cmake.
#include <string_view>

namespace wadesk::http {

struct ConsoleAsset {
    std::string_view name;          // file name, e.g. "app.js"
    std::string_view content_type;  // by extension
    std::string_view body;
};

// The asset called `name`, or nullptr.
const ConsoleAsset* FindConsoleAsset(std::string_view name);

}  // namespace wadesk::http
