#pragma once
// The native WhatsApp engine: service::Engine on top of whatsapp/client sessions.
//
// - One wa::Session per wadesk session, all on the engine's own io_context (a small fixed number
//   of socket threads, no thread per session), with a SealedCredentialStore and a Bridge each.
// - Received stanzas are decrypted and committed on the sessions' receive lanes, on a separate
//   bounded pool (receive_threads): a socket thread never waits on the database. EngineEvents
//   are called from the socket threads (QR, status, receipts) and from the lanes (messages).
// - An incoming message is receipted to WhatsApp only after EngineEvents::OnIncomingMessage
//   returned true (invariant 2), i.e. after the message, its events and the Signal state its
//   decryption advanced were committed in one transaction.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "service/engine.h"
#include "store/blob_store.h"
#include "store/repository.h"

namespace wadesk::engine {

struct WaEngineConfig {
    std::string url;             // empty: wss://web.whatsapp.com/ws/chat
    std::string trust_root_hex;  // empty: WhatsApp's root key
    int threads = 1;          // socket threads (Noise, framing, stanza dispatch)
    int receive_threads = 8;  // the receive lanes' pool: decrypt and commit, never on a socket thread
    // Received media: decrypted files go to `blobs` (null: files are not fetched), up to
    // media_max_bytes each (larger ones are marked too_large), on media_threads download threads.
    store::BlobStore* blobs = nullptr;
    std::uint64_t media_max_bytes = 100ull << 20;
    int media_threads = 2;
    // Extra PEM CA certificates trusted for every TLS connection to WhatsApp (WADESK_WA_CA_FILE).
    std::string ca_file;
    // How long a link by QR waits for a scan at most (WADESK_WA_QR_TIMEOUT; 0: WhatsApp's own
    // sequence of codes, about 160 s).
    std::chrono::seconds qr_timeout{0};
};

// Error "invalid_config" when the trust root is not 64 hex digits, the URL is not ws(s)://, or
// the CA file holds no certificate.
Result<std::unique_ptr<service::Engine>> MakeWaEngine(store::Repository& repo, std::string_view master_key,
                                                       const WaEngineConfig& config);

// Opens one stored credential blob (the first session that has one) with the key derived from
// `master_key`; only reads. Error "master_key_mismatch" when it does not decrypt (or is
// malformed). OK when nothing is stored yet.
Result<void> VerifyMasterKey(store::Repository& repo, std::string_view master_key);

}  // namespace wadesk::engine
