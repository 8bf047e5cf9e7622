#pragma once
// TLS trust for every connection to WhatsApp (the chat websocket and the media hosts): the system
// CA store plus, when configured, the PEM certificates of one extra file (WADESK_WA_CA_FILE), so a
// test server's CA can be trusted without turning verification off. Peers are always verified.
#include <string>

#include "core/result.h"

namespace boost::asio::ssl {
class context;
}

namespace wadesk::wa {

// Adds the certificates of `path` to what WaTlsContext() trusts. Call before the first TLS
// connection of the process. Error bad_ca_file when the file is unreadable or holds no certificate.
Result<void> TrustExtraCaFile(const std::string& path);

// The process's one TLS client context (made on first use: loading the system store costs
// ~0.5 MB and tens of ms per context; SSL_CTX is safe to share between threads once configured).
boost::asio::ssl::context& WaTlsContext();

}  // namespace wadesk::wa
