#pragma once
// The emulator's protocol core: the WhatsApp server and the emulated phones, with no sockets.
// Network code (net.cpp) feeds each WebSocket's binary messages into a SimConnection and carries
// what it writes through a ConnectionSink. All methods run on one thread (the sim's io_context);
// nothing here locks.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "sim/media_host.h"
#include "sim/phone.h"
#include "sim/phone_party.h"
#include "sim/state.h"
#include "whatsapp/binary/node.h"
#include "whatsapp/noise/frame.h"
#include "whatsapp/noise/handshake.h"

namespace wadesk::wa {
class Message;
}

namespace wadesk::sim {

// Transport of one client connection.
class ConnectionSink {
public:
    virtual ~ConnectionSink() = default;
    // Queues one WebSocket binary message.
    virtual void Send(Bytes message) = 0;
    // Closes the connection after the queued messages were written.
    virtual void Close() = 0;
};

class SimServer;

// One client connection: Noise responder, then stanzas. Owned by the network layer; it must
// outlive no SimServer and must get OnClosed() (or be destroyed) when the transport goes away.
class SimConnection {
public:
    SimConnection(SimServer& server, ConnectionSink& sink);
    ~SimConnection();
    SimConnection(const SimConnection&) = delete;
    SimConnection& operator=(const SimConnection&) = delete;

    // One WebSocket binary message from the client. Protocol errors close the connection.
    void OnMessage(BytesView data);
    // The transport is gone; no more output.
    void OnClosed();

    bool closed() const { return phase_ == Phase::kClosed; }

private:
    friend class SimServer;
    enum class Phase { kClientHello, kClientFinish, kRegistering, kLoggedIn, kClosed };

    struct Registration {
        Key32 noise_key{};
        Key32 identity{};
        std::uint32_t registration_id = 0;
        SignedPreKey signed_prekey;
        std::vector<std::string> refs;
        std::string pair_device_id;
        // Set by a scan:
        std::optional<AdvPairing> pairing;
        std::string phone;
        std::uint16_t device_id = 0;
        std::string platform;
        bool require_full_sync = false;  // DeviceProps in the ClientPayload's devicePairingData
        std::string pair_success_id;
        // Linking by pairing code (§5.2), from companion_hello; see link_code_iq.cpp.
        struct LinkCode {
            std::string phone;
            Bytes wrapped_companion_ephemeral;  // 80 bytes
            std::string ref;
            std::string platform_id;
            // Set when a code was entered at the phone (primary_hello sent):
            std::optional<KeyPair> primary_ephemeral;
            Key32 companion_ephemeral{};  // unwrapped with the entered code (garbage if it was wrong)
        };
        std::optional<LinkCode> link_code;
    };

    void HandleFrame(const Bytes& frame);
    void HandleClientHello(const Bytes& frame);
    void HandleClientFinish(const Bytes& frame);
    void HandleStanza(const wa::Node& node);
    void HandleIq(const wa::Node& iq);
    void HandleRegistrationReply(const wa::Node& iq);
    void StartLogin(const std::string& phone, std::uint16_t device);
    // w:g2 IQs (groups.cpp).
    void HandleGroupIq(const wa::Node& iq);
    // 1:1 routing (routing.cpp): messages, receipts, and the client's NACKs.
    void HandleMessage(const wa::Node& message);
    void HandleReceipt(const wa::Node& receipt);
    void HandleAck(const wa::Node& ack);
    void StartRegistration(const Key32& noise_key, const Bytes& payload_bytes);
    // link_code_companion_reg IQs before pairing: companion_hello and companion_finish (§5.2).
    void HandleLinkCodeIq(const wa::Node& iq);
    // Sends pair-success for a scanned QR.
    void SendPairSuccess(const Account& account, Registration& reg);

    void Send(const wa::Node& node);
    void SendIqResult(const wa::Node& iq, wa::NodeList children = {});
    void SendIqError(const wa::Node& iq, int code, std::string_view text);
    // Sends `last` (if any) and closes.
    void Terminate(std::optional<wa::Node> last, std::string_view why);

    SimServer& server_;
    ConnectionSink& sink_;
    Phase phase_ = Phase::kClientHello;
    wa::noise::FrameReader reader_{wa::noise::Intro::kWaHeader};
    std::unique_ptr<wa::noise::Responder> responder_;
    wa::noise::TransportKeys keys_;
    Key32 noise_key_{};
    std::optional<Registration> registration_;
    std::string phone_;        // logged in as
    std::uint16_t device_ = 0;
};

// The ids a <receipt> names: its `id`, then those of its <list><item id/></list> (routing.cpp).
std::vector<std::string> ReceiptIds(const wa::Node& receipt);

// Who a phone's text is encrypted for: every device of the recipient and the sender's own
// companions (what a phone does), or only the recipient's companions (the bench load: the
// recipient's phone would only spend the sim's CPU decrypting a copy nobody measures).
enum class SendFanout { kAllDevices, kCompanionsOnly };
// When a send saves the sender's account file (its advanced Signal sessions): after each send, or
// by the caller once a batch is done.
enum class Persistence { kNow, kDeferred };

// A load run (load.cpp): the phone of pairs[i].first sends texts to pairs[i].second (digits or a
// JID), round robin, `rate` per second in total until `count` were sent. Each text is
// "<text_prefix> <sequence> <send time in µs since the epoch>", stamped just before it is
// encrypted, so a receiver can compute the delivery latency on the same machine.
struct LoadSpec {
    std::vector<std::pair<std::string, std::string>> pairs;
    double rate = 100;
    std::uint64_t count = 1000;
    std::string text_prefix = "load";
    Addressing addressing = Addressing::kPn;
    SendFanout fanout = SendFanout::kCompanionsOnly;
};

struct LoadStatus {
    bool running = false;
    std::uint64_t count = 0;
    std::uint64_t sent = 0;
    std::uint64_t failed = 0;
    std::uint64_t due = 0;  // what the rate asked for so far (sent + failed lags it when the sim is behind)
    double elapsed_s = 0;   // since the start (until the last send once finished)
    std::string last_error;
};

// One answered server ping (`<iq xmlns='urn:xmpp:ping' type='get'>`) to a device.
struct PingSample {
    std::string id;
    std::int64_t sent_us = 0;  // steady clock
    std::int64_t rtt_us = 0;   // from the write to the sink to the reply's arrival
};

struct DeviceInfo {
    std::uint16_t id = 0;
    std::string jid;
    std::string lid_jid;
    std::uint32_t key_index = 0;
    std::string platform;
    std::int64_t paired_at = 0;
    bool online = false;
    bool require_full_sync = false;
};

struct ScanResult {
    std::uint16_t device_id = 0;
    std::string jid;
    std::string lid_jid;
};

// The latest pairing-code attempt of an account (in memory).
struct LinkCodeAttempt {
    std::string ref;
    std::string status;  // "waiting" (primary_hello sent), "paired", "wrong_code", "failed"
    std::string message;
    std::uint16_t device_id = 0;  // when paired
};

class SimServer {
public:
    // state_dir empty: in-memory only (tests).
    static Result<std::unique_ptr<SimServer>> Open(const std::string& state_dir);
    explicit SimServer(SimState state, std::string state_dir = {});

    const Key32& RootKey() const { return state_.keys.root.pub; }
    const SimState& state() const { return state_; }

    // Phone-side operations (the control API).
    Result<const Account*> CreateAccount(std::string phone, std::string name);
    // `count` accounts numbered from `first_phone` on (bulk_accounts.cpp), named "<name> <n>",
    // each with `companions` emulated companion devices that never log in. Errors: bad_request,
    // bad_phone, account_exists (then nothing is created).
    static constexpr std::size_t kPhonePrekeys = 50;  // one-time prekeys a new phone starts with
    static constexpr std::size_t kMaxBulkAccounts = 5000;
    static constexpr std::size_t kMaxBulkCompanions = 10;
    Result<std::vector<const Account*>> CreateAccounts(const std::string& first_phone, std::size_t count,
                                                       const std::string& name, std::size_t companions);
    const Account* FindAccount(std::string_view phone) const;
    Result<ScanResult> Scan(std::string_view phone, std::string_view qr);
    Result<void> Unlink(std::string_view phone, std::uint16_t device_id);
    Result<std::vector<DeviceInfo>> Devices(std::string_view phone) const;
    // The phone enters a pairing code shown by a companion that sent companion_hello for this
    // account: unwraps the companion's ephemeral with the code and sends primary_hello. Whether
    // the code was right shows at companion_finish (LinkCodeStatus). Errors: no_account, bad_code,
    // no_waiting_device.
    Result<LinkCodeAttempt> EnterLinkCode(std::string_view phone, std::string_view code);
    const LinkCodeAttempt* LinkCodeStatus(std::string_view phone) const;

    // The phone as a Signal party (phone_messaging.cpp).
    // Sends a text from the phone of `phone` to the account named by `to` (digits, a PN or a LID
    // JID): Signal-encrypted for every device of the recipient and, DSM-wrapped, for the sender's
    // own companions; routed like a companion's message (route_message). `id` empty: a new id.
    // Errors: no_account, no_recipient, bad_request, signal_*.
    Result<PhoneSendResult> PhoneSend(std::string_view phone, std::string_view to, std::string_view text,
                                      Addressing addressing, std::string id = {});
    // What the phone decrypted / the receipts it got for its own messages. Error: no_account.
    Result<std::vector<InboxEntry>> PhoneInbox(std::string_view phone);
    Result<std::vector<PhoneReceipt>> PhoneReceipts(std::string_view phone);
    // The phone marks messages of `chat` read: a read receipt to the senders' devices for each id
    // it has in its inbox. Errors: no_account, bad_request (bad chat JID or no id), no_message.
    Result<void> PhoneRead(std::string_view phone, std::string_view chat, const std::vector<std::string>& ids);
    // The phone's next message to `device_jid` (PN or LID device JID) fails its MAC check there.
    // Errors: no_account, no_device.
    Result<void> BreakNext(std::string_view phone, std::string_view device_jid);
    // The history the phone pushes to companions it links from now on (phone_history.cpp): one
    // chunk: FULL with every seeded message for a companion that registered with
    // DeviceProps.requireFullSync, else INITIAL_BOOTSTRAP with the newest kRecentHistoryMessages
    // messages of each chat; then a PUSH_NAME chunk when it knows names. Inline below
    // kMaxInlineHistoryChats chats, else as an external blob on the media host. `corrupt`: the
    // payload is sent as bytes that do not inflate (a chunk the companion can never read).
    // Errors: no_account, bad_request (a chat without a valid `with`, more than kMaxHistoryChats chats).
    static constexpr std::size_t kMaxInlineHistoryChats = 20;
    static constexpr std::size_t kMaxHistoryChats = 5000;
    static constexpr std::size_t kRecentHistoryMessages = 50;
    Result<void> SetPhoneHistory(std::string_view phone, std::vector<HistorySeedChat> chats, bool corrupt = false);
    // Pushes the seeded history to companion `device` of `account` unless it had it (called after
    // the companion's first prekey upload, when a Signal session with it can start).
    void PhonePushHistory(Account& account, std::uint16_t device);

    // The phone sends a file (phone_media.cpp): encrypted with a fresh media key, stored on the
    // media host, sent as an image / audio (ptt) / video / document / sticker message.
    // Errors: no_account, no_recipient, bad_request, no_media_host, signal_*.
    Result<PhoneMediaResult> PhoneSendMedia(std::string_view phone, std::string_view to, const PhoneMediaSpec& spec,
                                            Addressing addressing, std::string id = {});
    MediaHost& media() { return media_; }
    // Groups (groups.cpp, wa-protocol §18). A w:g2 IQ from `actor` (a companion, or a phone
    // through the control API, device 0): the result's children, or an error code and text as
    // WhatsApp answers (401 not-authorized, 403 forbidden, 404 item-not-found, 406 not-acceptable,
    // 400 bad-request, 501 feature-not-implemented).
    struct GroupIqAnswer {
        int code = 0;  // 0: a result
        std::string text;
        wa::NodeList children;
    };
    GroupIqAnswer GroupIq(const std::pair<std::string, std::uint16_t>& actor, const wa::Node& iq);
    // The phone of `phone` sends a text to a group it is a member of (phone_groups.cpp): its sender
    // key, distributed pairwise (SKDM) to each member device that lacks it, and the text as one
    // skmsg. `devices` lists the devices that got the key with this message.
    // Errors: no_account, no_group, not_participant, bad_request, signal_*.
    Result<PhoneSendResult> PhoneGroupSend(std::string_view phone, std::string_view group, std::string_view text,
                                           std::string id = {});

    // Bench load and pings (load.cpp). StartLoad errors: load_running, bad_request, no_account.
    Result<void> StartLoad(LoadSpec spec);
    // Sends what the rate asks for by now (at most kLoadBurst per call); the network layer calls
    // it every few milliseconds while LoadRunning(). The senders' accounts are saved when done.
    void LoadTick();
    bool LoadRunning() const { return load_ && load_->status.running; }
    LoadStatus Load() const;
    // Sends a server ping to a connected device; returns its stanza id. Errors: no_account,
    // no_device, device_offline.
    Result<std::string> Ping(std::string_view phone, std::uint16_t device);
    // Answered pings of a device, oldest first (the newest kPingMemory), and how many await a reply.
    std::vector<PingSample> Pings(std::string_view phone, std::uint16_t device) const;
    std::size_t PendingPings() const { return pings_.size(); }

    // Connections waiting for a QR scan.
    std::size_t PendingRegistrations() const { return pending_.size(); }
    // Stanzas queued for an offline device.
    std::size_t QueuedFor(std::string_view phone, std::uint16_t device) const;
    // <message>s delivered to the device's connection and not yet settled.
    std::size_t UnsettledFor(std::string_view phone, std::uint16_t device) const;

    // Clock for stanza timestamps and certificates (tests may pin it).
    std::function<std::int64_t()> now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
    // Microsecond clocks of the bench load: monotonic (rates, ping round trips) and wall (the
    // send time written into load texts).
    std::function<std::int64_t()> steady_us = [] {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    std::function<std::int64_t()> wall_us = [] {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };

    static constexpr std::uint64_t kLoadBurst = 64;
    static constexpr std::size_t kPingMemory = 10000;

private:
    friend class SimConnection;
    using DeviceKey = std::pair<std::string, std::uint16_t>;

    // Saves the whole state (keys and every account).
    void Persist();
    // Saves one account (after a change to it or its devices).
    void Persist(const Account& account);
    Account* MutableAccount(std::string_view phone);
    // Allocates the device id and key index and sends pair-success with `adv_secret` (QR scan and
    // pairing code alike).
    ScanResult BeginPairing(Account& account, SimConnection& conn, BytesView adv_secret, std::string_view platform_id);
    // Resolves a PN or LID user (any device part ignored) to an account.
    Account* AccountForUser(const std::string& user, bool lid);
    void Detach(SimConnection* conn);
    // Sends to the device's connection, or queues for its next login; a device 0 (a phone) handles
    // it at once. A <message> sent to a connection stays unsettled until the device settles it.
    void Deliver(const DeviceKey& to, wa::Node stanza);
    // Redelivery: `device` acknowledged message `id` with a receipt (every copy settles) or a NACK
    // (`all_copies` false: only the oldest copy, the one that failed).
    void Settle(const DeviceKey& device, const std::string& id, bool all_copies);
    // Routing shared by connections and phones (routing.cpp). The caller has acked the stanza.
    void RouteMessage(const DeviceKey& sender, const wa::Node& message);
    void RouteReceipt(const DeviceKey& from, const wa::Node& receipt);
    // Groups (groups.cpp). `jid` is `<id>@g.us` or the bare id.
    Group* FindGroup(std::string_view jid);
    void PersistGroups();
    // Why `sender` may not send to `group_jid`: 404 (no group), 403 (not a member), 0 when it may.
    int GroupSendRefusal(const DeviceKey& sender, std::string_view group_jid);
    // Fans a group <message> out (§18.7): to every device of every member but the sending one, or,
    // with `participant` (a resend after a retry receipt), to that device only.
    void RouteGroupMessage(const DeviceKey& sender, const wa::Node& message);
    // A receipt addressed to a group: to every device of the message's sender with `participant`,
    // a retry only to the device its `participant` names (§18.5).
    void RouteGroupReceipt(const DeviceKey& from, const wa::Node& receipt);
    wa::Node GroupMetadata(const Group& group);
    // A w:gp2 notification (§18.2) to every device of every member and of `also` (phones).
    void NotifyGroup(const Group& group, const DeviceKey& actor, wa::Node change, const std::vector<std::string>& also = {});
    // After a member left or was removed, each remaining member's phone starts a new sender key.
    void RotatePhoneSenderKeys(const Group& group);
    // The phone's side of groups (phone_groups.cpp).
    void PhoneOnGroupMessage(Account& account, const wa::Node& message);
    // Read receipts for group messages in the phone's inbox (`participant` = their sender).
    Result<void> PhoneReadGroup(Account& account, const std::string& group, const std::vector<std::string>& ids);
    // One pairwise <enc> of `payload` from the phone of `me` to a device (a session from the stored
    // bundle when there is none); nullopt (logged) when it cannot be encrypted.
    std::optional<wa::Node> PhoneEncryptFor(Account& me, PhoneParty& party, Account& peer, std::uint16_t device,
                                            const Bytes& payload, const std::string& id);

    // The phone's side (phone_messaging.cpp).
    Result<PhoneSendResult> PhoneSendText(std::string_view phone, std::string_view to, std::string_view text,
                                          Addressing addressing, std::string id, SendFanout fanout,
                                          Persistence persistence);
    // The stanza type of a phone's message and the <enc mediatype> of its copies.
    struct StanzaKind {
        std::string type;       // "text", "media"
        std::string mediatype;  // "image", "ptt", "document", ... ("" for text)
    };
    // Encrypts `message` like a text (PhoneSendText) and routes it.
    Result<PhoneSendResult> PhoneSendMessage(std::string_view phone, std::string_view to, const wa::Message& message,
                                             Addressing addressing, std::string id, StanzaKind kind,
                                             SendFanout fanout, Persistence persistence);
    // A media message received by a phone: downloads it from the media host, decrypts and verifies
    // it (phone_media.cpp). Fills the inbox entry's sha256 / media_status.
    void PhoneOpenMedia(const wa::Message& message, InboxEntry& entry);
    // Media retry requests (phone_media_retry.cpp): the phone remembers the media messages it sends
    // and receives, and answers a companion's server-error receipt (wa-protocol §11) by uploading
    // the file again and sending the companion a mediaretry notification with its new direct path.
    static void PhoneKeepMedia(PhoneParty& party, const std::string& id, const wa::Message& message);
    void PhoneAnswerMediaRetry(Account& account, std::uint16_t device, const wa::Node& receipt);
    // An iq result or error from a logged-in device: settles a pending ping.
    void OnIqReply(const DeviceKey& from, const wa::Node& iq);
    PhoneParty* Party(Account& account);
    void PhoneOnMessage(Account& account, const wa::Node& message);
    void PhoneOnReceipt(Account& account, const wa::Node& receipt);
    void PhoneAnswerRetry(Account& account, PhoneParty& party, const wa::Node& receipt);
    // A retry receipt (§8.1) for `message`, with <keys> (a fresh one-time prekey) from count 1.
    void PhoneSendRetryReceipt(Account& account, const wa::Node& message, int count);
    // The stored bundle of a device (0 = a phone), popping one of its one-time prekeys.
    std::optional<PeerBundle> StoredBundle(Account& account, std::uint16_t device);

    struct SentMessage {
        DeviceKey sender;
        std::string chat;
    };
    // Remembers who sent message `id` (the newest kSentMemory ids), to route its receipts.
    void RememberSent(const std::string& id, SentMessage sent);

    SimState state_;
    std::string state_dir_;
    MediaHost media_;
    Bytes cert_chain_;
    std::map<Key32, SimConnection*> pending_;        // registering connections by noise key
    std::map<DeviceKey, SimConnection*> online_;     // logged-in connections
    std::map<DeviceKey, std::deque<wa::Node>> offline_;  // stanzas for offline devices (in memory)
    // <message>s sent to a connection and not yet settled by a receipt or NACK from that device, in
    // order; they go back to the front of offline_ when the connection goes away.
    std::map<DeviceKey, std::deque<wa::Node>> unsettled_;
    std::map<std::string, PhoneParty> parties_;          // by phone
    std::map<std::string, SentMessage> sent_;           // message id -> sender, to route receipts
    std::deque<std::string> sent_order_;                // bounds sent_
    std::map<std::string, LinkCodeAttempt> link_attempts_;  // by phone

    struct LoadRun {
        LoadSpec spec;
        LoadStatus status;
        std::int64_t started_us = 0;
        std::size_t next_pair = 0;
    };
    struct PendingPing {
        DeviceKey device;
        std::int64_t sent_us = 0;
    };
    std::optional<LoadRun> load_;
    std::map<std::string, PendingPing> pings_;                 // by stanza id
    std::map<DeviceKey, std::deque<PingSample>> ping_samples_;
};

}  // namespace wadesk::sim
