#pragma once
// Private to the connection's translation units: Connection::Impl, the state machine's data and
// its handlers. The handlers are split by job, one file each:
//   connection.cpp          framing, handshake, IQ tracking, dispatch by tag, timers, termination
//   connection_login.cpp    client payload, <success>, pre-key upload, passive/active
//   connection_pairing.cpp  QR refs, pair-success, pairing by code
//   connection_receive.cpp  <message>, <receipt>, <notification>, <ack> in
//   connection_send.cpp     1:1 sends (usync, bundles, Signal per device), read receipts out
//   connection_retry.cpp    answers to retry receipts (§8.1): re-encrypt a kept send for one device
//   connection_media_retry.cpp  media retry requests (§11): server-error receipt, mediaretry answer
// REQUIRES (as for Connection): every call on one thread/strand.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "whatsapp/binary/jid.h"
#include "whatsapp/client/connection.h"
#include "whatsapp/client/media_retry.h"
#include "whatsapp/client/receive.h"
#include "whatsapp/noise/frame.h"
#include "whatsapp/noise/handshake.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa::detail {

inline const std::string kServerJid = "@s.whatsapp.net";
inline constexpr std::string_view kServerFrom = "s.whatsapp.net";

// Big-endian encoding of the low `width` bytes of v (registration ids, key ids).
Bytes BigEndian(std::uint32_t v, int width);
// 1..4 big-endian bytes; nullopt for a missing, empty or longer value.
std::optional<std::uint32_t> FromBigEndian(const Bytes* b);
// A whole decimal number, nothing else.
std::optional<std::int64_t> ParseInt(std::string_view s);
Node BytesNode(std::string tag, Bytes content);

}  // namespace wadesk::wa::detail

namespace wadesk::wa {

struct Connection::Impl {
    const ClientConfig& config;
    Credentials& creds;
    CredentialStore& store;
    SignalManager& signal;
    ConnectionSink& sink;
    ClientEvents& events;

    Phase phase = Phase::kIdle;
    std::optional<noise::Initiator> initiator;
    noise::FrameReader reader;
    std::optional<noise::TransportKeys> transport;
    TimePoint now{};
    TimePoint handshake_deadline{};
    TimePoint last_receive{};
    std::optional<TimePoint> next_ping;

    // Pairing.
    std::vector<std::string> refs;
    std::size_t next_ref = 0;
    std::optional<TimePoint> qr_deadline;
    TimePoint qr_first_shown{};  // when the first code of this pairing was shown (qr_wait_limit)
    // Pairing by code (§5.2), after RequestPairingCode.
    struct LinkCode {
        std::string code;
        std::string phone_jid;
        crypto::KeyPair ephemeral;
        std::string ref;  // from the companion_hello result
    };
    std::optional<LinkCode> link_code;
    std::optional<TimePoint> link_code_deadline;

    // IQs.
    struct PendingIq {
        TimePoint deadline;
        std::function<void(const Node*)> on_response;
    };
    std::map<std::string, PendingIq> pending;
    std::string iq_prefix;
    std::uint64_t iq_counter = 1;
    bool sent_available = false;
    RetryCounter retries;  // retry receipts sent per message id (inline receiving)

    // One 1:1 send in flight: devices from usync, then bundles, then one stanza.
    struct SendJob {
        std::string id;
        Jid peer;
        Message message;
        std::string mediatype;     // "" for text
        std::vector<Jid> devices;  // a group send: the devices that still need our sender key
        bool lid_group = false;    // a group send: the group is LID-addressed
    };
    // Retry receipts answered per (message id, requesting device); persisted beside the kept
    // plaintext (store_keys::SentRetries) so that a reconnect does not reset the bound.
    static constexpr int kMaxRetryAnswers = 5;
    // Ids Send started on this connection: handing the same id twice sends it once.
    std::set<std::string> started_sends;
    // Media retry requests waiting for their mediaretry notification, by message id.
    struct PendingMediaRetry {
        MediaRetryRequest request;
        TimePoint deadline;
        std::function<void(Result<std::string>)> done;
    };
    std::map<std::string, PendingMediaRetry> media_retries;

    Impl(const ClientConfig& c, Credentials& cr, CredentialStore& s, SignalManager& sig, ConnectionSink& k,
         ClientEvents& e);

    bool Open() const { return phase != Phase::kClosed && phase != Phase::kIdle; }
    void SaveCredentials() { store.Put(store_keys::kCredentials, EncodeCredentials(creds)); }
    void Fail(CloseKind kind, std::string reason, int code = 0) { Close(CloseInfo{kind, code, std::move(reason)}); }

    // connection.cpp
    void Close(CloseInfo info);
    void SendNode(const Node& node);
    std::string SendIq(Node iq, std::function<void(const Node*)> on_response);
    void SendIqResult(const Node& request);
    void SendAck(const Node& stanza);
    void Start(TimePoint t);
    void HandleServerHello(const Bytes& frame);
    void OnData(BytesView data, TimePoint t);
    void HandleNode(const Node& node);
    void HandleIq(const Node& node);
    void OnTick(TimePoint t);
    std::optional<TimePoint> NextDeadline() const;
    void HandleStreamError(const Node& node);
    void HandleFailure(const Node& node);
    void HandleIb(const Node& node);
    void HandleStreamEnd(const Node& node);

    // connection_login.cpp
    Bytes BuildClientPayload();
    void HandleSuccess(const Node& node);
    void UploadPreKeys(std::function<void()> then);
    void SetActive();

    // connection_pairing.cpp
    void HandlePairDevice(const Node& iq, const Node& pair_device);
    void ShowNextQr();
    void RequestPairingCode(const std::string& phone, std::function<void(Result<std::string>)> done);
    void HandlePrimaryHello(const Node& notification);
    void HandlePairSuccess(const Node& iq, const Node& ps);

    // connection_receive.cpp
    void HandleNotification(const Node& node);
    // Groups (connection_groups.cpp): w:gp2 notifications, the `participating` fetch after login.
    void HandleGroupNotification(const Node& node);
    void FetchGroups();
    void QueryGroup(const std::string& group_jid);
    void LearnMemberLids(const Node& group);
    void ManageGroup(const GroupAction& action, std::function<void(Result<GroupActionResult>)> done);
    void HandleReceipt(const Node& node);
    void HandleAck(const Node& node);
    void HandleMessage(const Node& node);
    void CompleteMessage(const Node& node, const MessageOutcome& outcome);
    void SendRetryReceipt(const Node& node, int count);

    // connection_send.cpp
    Result<std::string> Send(const OutgoingText& out);
    // usync for the peer's and our own devices, then FetchMissingSessions and EncryptAndSend.
    void StartSendJob(const std::shared_ptr<SendJob>& job);
    void FetchMissingSessions(const std::shared_ptr<SendJob>& job);
    // The usync IQ for the devices (v2) and LIDs of `users`, and the devices its answer lists
    // (companions only with a key index; never `own`; hosted ones left out when asked). nullopt
    // when the answer is missing or no result.
    Node DevicesUsync(NodeList users);
    std::optional<std::vector<Jid>> UsyncDevices(const Node* response, const Jid& own, bool skip_hosted);
    void ProcessBundleNode(const Node& user);
    void EncryptAndSend(const std::shared_ptr<SendJob>& job);
    // A bundle node (<user> of a key fetch, or a retry receipt's <keys>) → PreKeyBundle.
    static std::optional<PreKeyBundle> ParseBundle(const Node& keys, std::optional<std::uint32_t> registration);

    // connection_group_send.cpp: metadata query, usync of the members' devices, our sender key
    // pairwise to the devices that lack it, then the text as one skmsg.
    void StartGroupSend(const std::shared_ptr<SendJob>& job);
    void EncryptAndSendGroup(const std::shared_ptr<SendJob>& job);

    // connection_retry.cpp
    // REQUIRES: `receipt` is a <receipt type='retry'>, already acked.
    void HandleRetryReceipt(const Node& receipt);
    // connection_media_retry.cpp
    void RequestMediaRetry(MediaRetryRequest request, std::chrono::seconds wait,
                           std::function<void(Result<std::string>)> done);
    void HandleMediaRetryNotification(const Node& notification);
    void ExpireMediaRetries();

    void ResendToDevice(const std::string& id, const Jid& chat, const Message& message, const Jid& device,
                        const std::string& device_text, int count);
};

}  // namespace wadesk::wa
