#pragma once
// A throwaway certificate authority for the emulator's HTTPS media host: a CA made at every start
// and a server certificate it signs for the loopback names (IP 127.0.0.1, ::1, DNS localhost) and for
// WhatsApp's fixed media host name mmg.whatsapp.net (clients that use it route it here), so a
// client trusts the media host by adding the CA file (WADESK_WA_CA_FILE, NODE_EXTRA_CA_CERTS)
// without turning verification off.
#include <string>

#include "core/result.h"

namespace wadesk::sim {

struct TestPki {
    std::string ca_pem;    // the CA certificate (what clients trust)
    std::string cert_pem;  // the server certificate
    std::string key_pem;   // the server's private key (PKCS#8)
};

// ECDSA P-256 keys, SHA-256 signatures, valid from an hour ago for 30 days. Error tls_error.
Result<TestPki> MakeTestPki();

}  // namespace wadesk::sim
