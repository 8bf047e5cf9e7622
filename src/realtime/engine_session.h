#pragma once
// The Engine.IO v4 session state machine, with no I/O: the server feeds it decoded packets and
// clock ticks and drains its outbound queue onto whichever transport is current. Not
// thread-safe: the owner serialises calls (the connection's mutex).
//
// Life cycle:
//   open (polling or websocket) --websocket with this sid--> upgrading --"2probe"/"3probe",
//   then "5"--> open on websocket; any state --BeginClose/timeout/protocol error--> closed.
// Heartbeat (v4): the server queues "2" every ping_interval after the last pong; no "3" within
// ping_timeout of a ping ends the session.
// Outbound queue: bounded by packets and bytes; Push() past either bound reports kOverflow and
// the owner must drop the client (a slow reader never holds memory or the producer back).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "realtime/engineio_packet.h"

namespace wadesk::realtime {

using SharedText = std::shared_ptr<const std::string>;

enum class Transport { kPolling, kWebsocket };
// Where an inbound packet came from: the session's current transport, or a websocket that is
// probing an upgrade from polling.
enum class Channel { kPrimary, kProbe };

struct EngineOptions {
    std::int64_t ping_interval_ms = 25000;
    std::int64_t ping_timeout_ms = 20000;
    std::size_t max_payload = 1000000;         // bytes of one websocket frame or polling body
    std::size_t max_queue_packets = 2048;      // outbound packets waiting for the writer
    std::size_t max_queue_bytes = 4u << 20;    // outbound bytes waiting for the writer
};

class EngineSession {
public:
    EngineSession(std::string sid, Transport transport, EngineOptions options, std::int64_t now_ms);

    const std::string& sid() const { return sid_; }
    Transport transport() const { return transport_; }
    bool upgrading() const { return upgrading_; }
    bool closing() const { return closing_; }
    bool closed() const { return closed_; }
    const EngineOptions& options() const { return options_; }

    std::string OpenPacket() const;

    enum class PushResult { kQueued, kOverflow, kClosed };
    // Queues one encoded Engine.IO packet ("42[...]").
    PushResult Push(SharedText packet);
    bool HasOutbound() const { return !queue_.empty(); }
    std::size_t QueuedBytes() const { return queued_bytes_; }
    // Websocket writer: everything queued, oldest first.
    std::vector<SharedText> TakeOutbound();
    // The same into `into` (which must be empty), keeping `into`'s buffer for the next packets:
    // a writer that hands back its emptied vector each time queues without allocating.
    void TakeOutbound(std::vector<SharedText>& into);
    // Polling GET: the body to answer with (packets joined by the record separator), at most
    // max_payload bytes unless a single packet is larger. While an upgrade is under way and
    // nothing is queued this is a noop packet, so the client's pending poll completes.
    // Returns "" when there is nothing to send (the caller waits).
    std::string TakePollBody();

    struct Inbound {
        std::vector<std::string> messages;         // Socket.IO packets, in order
        std::optional<std::string> probe_reply;    // to write on the probing websocket at once
        bool upgraded = false;                     // the probing websocket is now the transport
        bool close = false;                        // the client closed the session
    };
    // Errors: "unexpected_packet" (open/noop/upgrade out of place, a probe packet on the
    // primary transport) and "bad_probe". An error leaves the session to be closed.
    Result<Inbound> OnPacket(const EioPacket& packet, Channel channel, std::int64_t now_ms);

    enum class Tick { kNothing, kPingQueued, kTimedOut };
    Tick OnTick(std::int64_t now_ms);

    // A websocket carrying this sid arrived. Errors: "upgrade_refused" when the session is not
    // on polling, already upgrading or closing.
    Result<void> BeginUpgrade();
    void AbortUpgrade() { upgrading_ = false; }

    // Polling: queues the close packet for the next poll. Websocket: nothing to queue (the
    // writer closes the socket once the queue is drained).
    void BeginClose();
    void MarkClosed() { closed_ = true; closing_ = true; }

private:
    std::string sid_;
    Transport transport_;
    EngineOptions options_;
    std::vector<SharedText> queue_;
    std::size_t queued_bytes_ = 0;
    bool upgrading_ = false;
    bool probed_ = false;
    bool closing_ = false;
    bool closed_ = false;
    std::int64_t next_ping_at_ = 0;
    std::int64_t pong_deadline_ = 0;  // 0: no ping outstanding
};

}  // namespace wadesk::realtime
