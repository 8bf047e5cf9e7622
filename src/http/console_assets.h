#pragma once
// The web console (web/console/*) and its UI library (vendor/*: Preact and htm from
// web/node_modules), embedded at build time by embed_console.cmake.
#include <string_view>

namespace wadesk::http {

struct ConsoleAsset {
    std::string_view name;          // file name, e.g. "app.js" or "vendor/preact.module.js"
    std::string_view content_type;  // by extension
    std::string_view body;
};

// The asset called `name`, or nullptr.
const ConsoleAsset* FindConsoleAsset(std::string_view name);

// "sha256-<base64>" of index.html's import map (its one inline script, which tells the browser
// where `preact`, `preact/hooks` and `htm` are): the Content-Security-Policy allows it by this.
std::string_view ConsoleImportMapHash();

}  // namespace wadesk::http
