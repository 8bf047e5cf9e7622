#pragma once
// Session: one linked WhatsApp account kept online. It owns the credentials (loaded from and
// saved to the CredentialStore), the Signal state and, while online, one websocket connection
// (ws:// or wss://) driving a Connection state machine. It reconnects with exponential backoff
// and jitter on transient failures, at once after the post-pairing 515, and never after
// logged-out (401/403/406, unlinked from the phone), replaced (440), qr_timeout or fatal errors.
//
// All work runs as coroutines on the session's own strand of the given io_context; an idle
// session holds no thread. Public methods are thread-safe (they post to the strand). Events are
// delivered on the strand: handlers must not block for long.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "whatsapp/client/config.h"
#include "whatsapp/client/media_conn.h"
#include "whatsapp/client/connection.h"
#include "whatsapp/client/credential_store.h"

namespace boost::asio {
class io_context;
class thread_pool;
}

namespace wadesk::wa {

enum class SessionStatus { kInitializing, kQr, kConnected, kReconnecting, kDisconnected, kLoggedOut, kFailed };
// SPEC §3 names: "initializing", "qr", "connected", "reconnecting", "disconnected", "logged_out", "failed".
std::string_view SessionStatusName(SessionStatus status);

class SessionEvents : public ClientEvents {
public:
    // Status changes with a reason ("qr_timeout", "device_removed", "replaced", "stopped", ...).
    virtual void OnStatus(SessionStatus /*status*/, const std::string& /*reason*/) {}
};

// What the receive lanes of a process have done; shared by its sessions, read by /metrics.
struct ReceiveLaneStats {
    std::atomic<std::int64_t> queued{0};        // stanzas waiting in lanes or being processed
    std::atomic<std::int64_t> committed{0};     // stanzas processed and committed
    std::atomic<std::int64_t> commit_failures{0};  // commits that failed and were tried again
    std::atomic<std::int64_t> undecryptable{0}; // stanzas answered with a retry receipt
    // Time from a stanza's arrival to its commit, as a histogram with these upper bounds (ms).
    static constexpr std::array<double, 8> kBucketsMs = {1, 2, 5, 10, 25, 50, 100, 250};
    std::array<std::atomic<std::int64_t>, kBucketsMs.size() + 1> latency_buckets{};  // last: +Inf
    std::atomic<std::int64_t> latency_sum_us{0};
    void RecordLatency(std::chrono::microseconds latency);
};

class Session : public std::enable_shared_from_this<Session> {
public:
    // Received <message> stanzas are decrypted and committed on the session's receive lane: in
    // arrival order, one at a time, on `lane_pool` (the io_context itself when null), never on the
    // socket's strand. The socket stops reading while kMaxLaneDepth stanzas wait (backpressure);
    // a commit that fails is tried again, in order, with backoff, for as long as the connection
    // lives (then WhatsApp redelivers what was not receipted).
    // REQUIRES: store, events, lane_pool and stats outlive the session (until OnStatus reports a
    // final status after Stop/Logout, or the io_context is stopped).
    static std::shared_ptr<Session> Create(boost::asio::io_context& io, ClientConfig config, CredentialStore& store,
                                           SessionEvents& events, boost::asio::thread_pool* lane_pool = nullptr,
                                           ReceiveLaneStats* stats = nullptr);
    static constexpr int kMaxLaneDepth = 64;
    ~Session();

    // Loads or creates credentials and connects (pairing by QR when not yet linked).
    void Start();
    // Closes the connection; credentials are kept. Final status: disconnected ("stopped").
    void Stop();
    // Unlinks at WhatsApp when online, forgets the credentials. Final status: logged_out.
    void Logout();
    // 1:1 text; `done` gets the WhatsApp message id once the stanza is queued (delivery status
    // arrives as OnSendAck / OnReceipt).
    void SendText(std::string to_jid, std::string text, std::function<void(Result<std::string>)> done);
    // Any 1:1 text (own id, quote): as SendText. Error "not_connected" when no connection is up:
    // nothing was sent, the caller sends again on the next OnConnected.
    void Send(OutgoingText message, std::function<void(Result<std::string>)> done);
    void MarkRead(std::string chat_jid, std::string sender_jid, std::vector<std::string> ids);
    // The media hosts and an upload credential (wa-protocol §11): the cached media_conn answer
    // while its ttl lasts (unless `refresh`), else a new media_conn IQ. `done` runs on the strand;
    // errors not_connected, media_conn_failed.
    void FetchMediaConn(bool refresh, std::function<void(Result<MediaConn>)> done);
    // Asks our own phone to upload an expired file again (Connection::RequestMediaRetry); `done`
    // runs on the strand with the new direct path or an error (not_connected when there is no
    // connection; nothing at all when the connection closes while waiting: bound the wait).
    void RequestMediaRetry(MediaRetryRequest request, std::chrono::seconds wait,
                           std::function<void(Result<std::string>)> done);

    // A group change (Connection::ManageGroup); `done` runs on the session's strand, with
    // "not_connected" when there is no connection.
    void ManageGroup(GroupAction action, std::function<void(Result<GroupActionResult>)> done);
    // The state of one group (Connection::QueryGroup), reported as OnGroup; dropped when there is
    // no connection.
    void QueryGroup(std::string group_jid);
    // Link by pairing code instead of QR (Connection::RequestPairingCode); `done` runs on the
    // strand with the 8-character code or an error (session_not_pairing when no connection is
    // waiting to be linked).
    void RequestPairingCode(std::string phone_digits, std::function<void(Result<std::string>)> done);
    // Stores PN<->LID pairs learned outside a stanza (history sync's phoneNumberToLidMappings and
    // conversations, wa-protocol §13) in the Signal LidMap, on the strand: a contact then decrypts
    // under either addressing. Each pair is (PN user JID, LID user JID), in either order.
    void LearnLidPairs(std::vector<std::pair<std::string, std::string>> pairs);

    struct Impl;

private:
    explicit Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Delay before reconnect attempt `attempt` (0-based): base * 2^attempt capped at max, +/-20 %.
std::chrono::milliseconds ReconnectDelay(const ClientConfig& config, int attempt);

}  // namespace wadesk::wa
