#pragma once
// Bridge: one session's client events (wa::SessionEvents) translated into the service's
// EngineEvents. It runs where the client calls it: QR, status, receipts and send acks on the
// session's socket strand; OnMessage on the session's receive lane, where it commits the message
// together with the credential writes of its decryption (one transaction, through the service, or
// the writes alone for protocol-only stanzas; a history chunk is then handed to the
// HistoryImporter). Returns false, and so withholds the receipt, when
// the commit fails or the service has detached.
#include <atomic>
#include <chrono>
#include <string>

#include "engine/history_import.h"
#include "engine/sealed_credential_store.h"
#include "service/engine.h"
#include "store/repository.h"
#include "whatsapp/client/session.h"

namespace wadesk::engine {

class MediaFetcher;

// A message's time in ms. WhatsApp states whole seconds; the ms part is taken from the arrival
// time, capped to the stated second: a message that arrives within its second gets its arrival
// time, a later one (offline delivery) the last ms of its second. The stated second is kept, and
// a reply that arrives right after our own message (stamped to the ms) sorts after it.
std::int64_t MessageTimeMs(std::int64_t stated_seconds, std::int64_t now_ms);

// The client's session status as the domain names it: the one place the two enums meet (the
// client module stands below domain and does not include it).
domain::SessionStatus DomainStatus(wa::SessionStatus status);

// How long the plaintext of our sends is kept to answer retry receipts (wa-protocol §8.1).
inline constexpr std::chrono::milliseconds kKeepSentMessages = std::chrono::hours(24 * 7);

class Bridge final : public wa::SessionEvents {
public:
    // REQUIRES: events (the slot; null once the service detached), repo, credentials and history
    // outlive the bridge.
    // `media` (may be null: files are not fetched) gets the media messages to download.
    Bridge(std::string session_id, std::atomic<service::EngineEvents*>& events, store::Repository& repo,
           SealedCredentialStore& credentials, HistoryImporter& history, MediaFetcher* media = nullptr)
        : session_id_(std::move(session_id)),
          events_(events),
          repo_(repo),
          credentials_(credentials),
          history_(history),
          media_(media) {}

    void OnQr(const std::string& text, std::chrono::seconds ttl) override;
    void OnConnected(const wa::Me& me) override;
    void OnStatus(wa::SessionStatus status, const std::string& reason) override;
    bool OnMessage(const wa::IncomingMessage& m, const wa::CredentialWrites& writes) override;
    void OnReceipt(const wa::ReceiptEvent& r) override;
    void OnGroup(const wa::GroupEvent& g) override;
    void OnSendAck(const std::string& wa_id, int error) override;
    void OnSendFailed(const std::string& wa_id, const std::string& reason) override;

    static service::IncomingMessage ToServiceMessage(const wa::IncomingMessage& m);

private:
    void LogStatusLost(const std::exception& e) const;
    // The session's own state (QR, connected, status) arrives on the connection's strand too: a
    // database that is down must not end the process or the connection, so it is logged.
    void LogStateLost(const std::string& what, const std::exception& e) const;
    void PruneKept();
    void QueueMedia(const std::string& wa_message_id);

    std::string session_id_;
    std::atomic<service::EngineEvents*>& events_;
    store::Repository& repo_;
    SealedCredentialStore& credentials_;
    HistoryImporter& history_;
    MediaFetcher* media_;
};

}  // namespace wadesk::engine
