#pragma once
// Blocking HTTPS requests to WhatsApp's media hosts (downloads and uploads), on the calling
// thread — callers run them on a worker pool, never on a socket strand. TLS is verified against
// WaTlsContext() (system store + WADESK_WA_CA_FILE) with the host name checked.
#include <chrono>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::wa {

struct HttpsResult {
    int status = 0;
    Bytes body;
};

struct HttpsRequestSpec {
    std::string_view method = "GET";
    std::string_view host;    // hostname[:port] (default port 443)
    std::string_view target;  // path and query
    BytesView body;           // sent as application/octet-stream when not empty (or for POST)
    std::size_t max_body = 100u << 20;  // a larger answer fails with too_large
    std::chrono::seconds timeout{60};   // for the whole exchange
};

// Errors: network_error (resolve, connect, TLS, I/O, timeout), too_large.
Result<HttpsResult> HttpsRequest(const HttpsRequestSpec& spec);

}  // namespace wadesk::wa
