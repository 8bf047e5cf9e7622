#pragma once
// The security headers of every HTTP response the server writes (console pages, API answers,
// errors): the one place the Content-Security-Policy is spelled. The web console (web/console)
// loads its scripts, styles and its UI library from this origin only ('self', no inline code
// but the import map of index.html, allowed by its hash, computed when the console is embedded),
// shows QR codes and media from data: and blob: URLs, and talks to the API and the Socket.IO
// websocket on this origin ('self' covers ws:/wss: of the same host). No page may frame it.
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "http/console_assets.h"

namespace wadesk::http {

inline const std::array<std::pair<std::string_view, std::string_view>, 4>& SecurityHeaders() {
    static const std::string csp = "default-src 'self'; script-src 'self' '" + std::string(ConsoleImportMapHash()) +
                                   "'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                                   "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                                   "form-action 'self'; frame-ancestors 'none'";
    static const std::array<std::pair<std::string_view, std::string_view>, 4> headers{{
        {"Content-Security-Policy", csp},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
    }};
    return headers;
}

}  // namespace wadesk::http
