#pragma once
// The emulator's network side: the WebSocket endpoint ws://HOST:PORT/ws/chat and the loopback
// JSON control endpoint, both on one single-threaded io_context; plus a blocking HTTP client the
// CLI subcommands use to call the control endpoint. The only translation unit with Beast.
#include <string>
#include <string_view>

#include "core/result.h"

namespace wadesk::sim {

struct ServeOptions {
    std::string listen = "127.0.0.1:0";   // host:port of the WebSocket endpoint; port 0 = any free port
    std::string control = "127.0.0.1:0";  // host:port of the control endpoint
    std::string state_dir = "sim-state";
    std::string media = "127.0.0.1:0";  // host:port of the HTTPS media host
    std::string media_ca_file;          // where the media host's CA (PEM) is written; "" = <state_dir>/media-ca.pem
};

// Runs until SIGINT/SIGTERM. Prints, flushed, one line each:
//   root-key <hex>
//   listening on ws://HOST:PORT/ws/chat
//   control on http://HOST:PORT
//   media on https://HOST:PORT ca <CA file>
// Returns the process exit code.
int Serve(const ServeOptions& options);

struct HttpResult {
    int status = 0;
    std::string body;
};

// One request to the control endpoint at host:port. Error "connect_failed" when unreachable.
Result<HttpResult> ControlRequest(const std::string& address, std::string_view method, std::string_view target,
                                  std::string_view body);

}  // namespace wadesk::sim
