#pragma once
// libsignal's crypto callbacks over OpenSSL (random, HMAC-SHA256, SHA-512, AES-256-CBC/CTR),
// for SignalManager. The provider's user_data is left null for the caller to set.
#include <signal/signal_protocol.h>

namespace wadesk::wa {

signal_crypto_provider OpenSslCryptoProvider();

}  // namespace wadesk::wa
