#pragma once
// The security headers of every HTTP response the server writes (console pages, API answers,
// errors): the one place the Content-Security-Policy is spelled. The web console (web/console)
// loads its scripts, styles and any library from this origin only ('self', no inline code),
// shows QR codes and media from data: and blob: URLs, and talks to the API and the Socket.IO
// websocket on this origin ('self' covers ws:/wss: of the same host). No page may frame it.
#include <string_view>
#include <utility>

namespace wadesk::http {

inline constexpr std::pair<std::string_view, std::string_view> kSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
     "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
     "form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
};

}  // namespace wadesk::http
