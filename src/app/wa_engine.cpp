#include "app/wa_engine.h"
#include "app/wa_identity.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <sys/resource.h>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/log.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/client/qr.h"
#include "whatsapp/client/session.h"
#include "whatsapp/crypto/primitives.h"

namespace wadesk::app {

namespace {

// A message's time in ms. WhatsApp states whole seconds; the ms part is taken from the arrival
// time, capped to the stated second: a message that arrives within its second gets its arrival
// time, a later one (offline delivery) the last ms of its second. The stated second is kept, and
// a reply that arrives right after our own message (stamped to the ms) sorts after it.
std::int64_t MessageTimeMs(std::int64_t stated_seconds, std::int64_t now_ms) {
    if (stated_seconds <= 0) return now_ms;
    const std::int64_t stated_ms = stated_seconds * 1000;
    return stated_ms + std::clamp<std::int64_t>(now_ms - stated_ms, 0, 999);
}

namespace net = boost::asio;

constexpr std::chrono::seconds kPairingCodeWait{15};
constexpr std::chrono::milliseconds kKeepSentMessages = std::chrono::hours(24 * 7);

wa::crypto::Digest32 CredentialKey(std::string_view master_key) {
    return wa::crypto::Sha256({AsBytes("wadesk wa credentials v1"), AsBytes(master_key)});
}

// CredentialStore over the repository, encrypted at rest.
class RepositoryCredentialStore final : public wa::CredentialStore {
public:
    RepositoryCredentialStore(store::Repository& repo, std::string session_id, wa::crypto::Digest32 key)
        : repo_(repo), session_id_(std::move(session_id)), key_(key) {}

    std::optional<Bytes> Get(std::string_view key) override {
        auto stored = repo_.GetCredential(session_id_, key);
        if (!stored) return std::nullopt;
        auto raw = Base64Decode(*stored);
        if (!raw || raw->size() < 12 + wa::crypto::kGcmTagSize)
            throw std::runtime_error("credential value is malformed");
        BytesView nonce(raw->data(), 12);
        BytesView sealed(raw->data() + 12, raw->size() - 12);
        auto plain = wa::crypto::AesGcmDecrypt(key_, nonce, sealed, Aad(key));
        if (!plain) throw std::runtime_error("credential value does not decrypt (wrong master key?)");
        return std::move(*plain);
    }

    void Put(std::string_view key, BytesView value) override { repo_.PutCredential(session_id_, key, Seal(key, value)); }

    void Delete(std::string_view key) override { repo_.DeleteCredential(session_id_, key); }

    // Writes a receive's credential changes inside the transaction that stores its message.
    void Commit(store::Transaction& tx, const wa::CredentialWrites& writes) const {
        for (const auto& w : writes) {
            if (w.value) tx.PutCredential(session_id_, w.key, Seal(w.key, *w.value));
            else tx.DeleteCredential(session_id_, w.key);
        }
    }

    const std::string& session_id() const { return session_id_; }

private:
    // nonce (12 bytes) || AES-256-GCM(value), base64.
    std::string Seal(std::string_view key, BytesView value) const {
        Bytes nonce = RandomBytes(12);
        auto sealed = wa::crypto::AesGcmEncrypt(key_, nonce, value, Aad(key));
        if (!sealed) throw std::runtime_error("credential encryption failed");
        return Base64Encode(Concat({nonce, *sealed}));
    }

    Bytes Aad(std::string_view key) const {
        Bytes aad = ToBytes(session_id_);
        aad.push_back(0);
        Append(aad, AsBytes(key));
        return aad;
    }

    store::Repository& repo_;
    std::string session_id_;
    wa::crypto::Digest32 key_;
};

std::string UserOf(std::string_view jid) {
    auto parsed = wa::ParseJid(jid);
    return parsed ? parsed->user : std::string();
}

// Translates one session's client events into EngineEvents.
class Bridge final : public wa::SessionEvents {
public:
    Bridge(std::string session_id, std::atomic<service::EngineEvents*>& events, store::Repository& repo,
           const RepositoryCredentialStore& credentials)
        : session_id_(std::move(session_id)), events_(events), repo_(repo), credentials_(credentials) {}

    void OnQr(const std::string& text, std::chrono::seconds ttl) override {
        auto png = wa::QrDataUrl(text);
        if (!png) {
            spdlog::error("[WhatsApp] Session {}: QR rendering failed: {}", session_id_, png.error().message);
            return;
        }
        if (auto* ev = events_.load()) ev->OnQr(session_id_, text, *png, NowMs() + ttl.count() * 1000);
    }

    void OnConnected(const wa::Me& me) override {
        PruneKept();
        if (auto* ev = events_.load()) ev->OnReady(session_id_, UserOf(me.jid), me.name, me.jid);
    }

    void OnStatus(wa::SessionStatus status, const std::string& reason) override {
        if (status == wa::SessionStatus::kQr || status == wa::SessionStatus::kConnected) return;  // OnQr / OnReady
        std::string why = reason;
        if (status == wa::SessionStatus::kLoggedOut) {
            if (reason == "device_removed") why = "unlinked_from_phone";
            try {
                repo_.DeleteCredentials(session_id_);
            } catch (const std::exception& e) {
                spdlog::error("[WhatsApp] Session {}: cannot delete credentials: {}", session_id_, e.what());
            }
        }
        if (auto* ev = events_.load()) ev->OnStatus(session_id_, std::string(wa::SessionStatusName(status)), why);
    }

    // Called on the session's receive lane; commits the message with the receive's credential
    // writes. Protocol-only stanzas (and unreadable ones with no chat to show them in) commit the
    // writes alone.
    bool OnMessage(const wa::IncomingMessage& m, const wa::CredentialWrites& writes) override {
        auto* ev = events_.load();
        if (!ev) return false;
        try {
            const bool shown = m.kind != wa::MessageKind::kProtocol && !m.chat.empty();
            if (!shown) {
                if (!writes.empty()) repo_.Transact([&](store::Transaction& tx) { credentials_.Commit(tx, writes); });
                return true;
            }
            return ev->OnIncomingMessage(session_id_, ToServiceMessage(m),
                                         [&](store::Transaction& tx) { credentials_.Commit(tx, writes); });
        } catch (const std::exception& e) {
            spdlog::error("[WhatsApp] Session {}: storing message {} failed: {}", session_id_, m.id, e.what());
            return false;
        }
    }

    void OnReceipt(const wa::ReceiptEvent& r) override {
        std::string status;
        if (r.type.empty() || r.type == "inactive") status = "delivered";
        else if (r.type == "read" || r.type == "read-self") status = "read";
        else if (r.type == "played") status = "played";
        else return;
        auto* ev = events_.load();
        if (!ev) return;
        for (const auto& id : r.ids) ev->OnMessageStatus(session_id_, id, status);
    }

    // Send path: the server's ack makes a message "sent"; an error ack or a send that could not
    // go out makes it "failed" with a reason.
    void OnSendAck(const std::string& wa_id, int error) override {
        auto* ev = events_.load();
        if (!ev) return;
        if (error == 0) ev->OnMessageStatus(session_id_, wa_id, "sent");
        else ev->OnMessageFailed(session_id_, wa_id, "server_error_" + std::to_string(error));
    }

    void OnSendFailed(const std::string& wa_id, const std::string& reason) override {
        if (auto* ev = events_.load()) ev->OnMessageFailed(session_id_, wa_id, reason);
    }

private:
    static service::IncomingMessage ToServiceMessage(const wa::IncomingMessage& m) {
        service::IncomingMessage in;
        switch (m.kind) {
            case wa::MessageKind::kUndecryptable: in.kind = service::IncomingKind::kUndecryptable; break;
            case wa::MessageKind::kRevoke: in.kind = service::IncomingKind::kRevoke; break;
            case wa::MessageKind::kEdit: in.kind = service::IncomingKind::kEdit; break;
            default: in.kind = service::IncomingKind::kContent; break;
        }
        in.target_wa_message_id = m.target_id;
        in.failure = m.failure;
        FillIdentities(m, in);  // chat_jid/chat_lid, sender_jid/sender_phone/sender_lid (§13)
        in.chat_name = m.from_me || m.is_group ? std::string() : m.push_name;
        in.is_group = m.is_group;
        in.wa_message_id = m.id;
        in.from_me = m.from_me;
        in.sender_name = m.push_name;
        in.type = m.content.type;
        in.body = m.content.body;
        in.quoted_wa_message_id = m.content.quoted_id;
        if (m.content.media) {  // what the message says of its file; the bytes stay on WhatsApp's servers
            in.media = store::MediaInfo{m.content.media->mimetype, m.content.media->size, m.content.media->file_name, {}};
        }
        in.timestamp_ms = MessageTimeMs(m.timestamp, NowMs());
        return in;
    }

    // What the client keeps for a while is pruned at each connect: the plaintext of our sends,
    // to answer retry receipts (wa-protocol §8.1; the phone stops asking long before), and the
    // plaintext of received stanzas, to recognise a redelivery (WhatsApp redelivers what was not
    // receipted at the next connect, so a week is plenty).
    void PruneKept() {
        constexpr std::int64_t kKeepInboxMs = 7LL * 24 * 3600 * 1000;
        try {
            const auto sent = repo_.PruneCredentials(session_id_, wa::store_keys::kSentPrefix,
                                                     NowMs() - kKeepSentMessages.count());
            const auto inbox = repo_.PruneCredentials(session_id_, wa::store_keys::kInboxPrefix, NowMs() - kKeepInboxMs);
            if (sent + inbox > 0)
                spdlog::info("[WhatsApp] Session {}: pruned {} kept sent and {} received plaintext(s)", session_id_,
                             sent, inbox);
        } catch (const std::exception& e) {
            spdlog::error("[WhatsApp] Session {}: pruning kept plaintexts failed: {}", session_id_, e.what());
        }
    }

    std::string session_id_;
    std::atomic<service::EngineEvents*>& events_;  // null once the service detached (shutdown)
    store::Repository& repo_;
    const RepositoryCredentialStore& credentials_;
};

class WaEngine final : public service::Engine {
public:
    WaEngine(store::Repository& repo, wa::crypto::Digest32 key, wa::ClientConfig config, int threads,
             int receive_threads)
        : repo_(repo),
          key_(key),
          config_(std::move(config)),
          work_(net::make_work_guard(io_)),
          receive_pool_(static_cast<std::size_t>(std::max(1, receive_threads))) {
        for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { io_.run(); });
    }

    ~WaEngine() override {
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, entry] : sessions_) entry.session->Stop();
        }
        work_.reset();
        // Give the sessions a moment to close politely, then stop. Stanzas still in a receive
        // lane were not receipted: WhatsApp redelivers them.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        io_.stop();
        for (auto& t : threads_) t.join();
        receive_pool_.stop();
        receive_pool_.join();
    }

    void RenderMetrics(std::string& out) override {
        const auto& st = lane_stats_;
        auto line = [&out](const char* name, const char* type, const char* help, std::int64_t value) {
            out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
                   std::to_string(value) + "\n";
        };
        line("wadesk_receive_queue_depth", "gauge", "WhatsApp stanzas waiting in receive lanes or being committed.",
             st.queued.load());
        line("wadesk_receive_committed_total", "counter", "Received stanzas committed and answered.",
             st.committed.load());
        line("wadesk_receive_commit_failures_total", "counter", "Receive commits that failed and were tried again.",
             st.commit_failures.load());
        line("wadesk_receive_retry_receipts_total", "counter", "Stanzas we could not decrypt and asked to be resent.",
             st.undecryptable.load());
        out += "# HELP wadesk_receive_commit_seconds Time from a stanza's arrival to its commit.\n"
               "# TYPE wadesk_receive_commit_seconds histogram\n";
        std::int64_t cumulative = 0;
        for (std::size_t i = 0; i < st.latency_buckets.size(); ++i) {
            cumulative += st.latency_buckets[i].load();
            const std::string le = i < wa::ReceiveLaneStats::kBucketsMs.size()
                                       ? std::to_string(wa::ReceiveLaneStats::kBucketsMs[i] / 1000.0)
                                       : std::string("+Inf");
            out += "wadesk_receive_commit_seconds_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
        }
        out += "wadesk_receive_commit_seconds_sum " + std::to_string(st.latency_sum_us.load() / 1e6) + "\n";
        out += "wadesk_receive_commit_seconds_count " + std::to_string(cumulative) + "\n";
    }

    void SetEvents(service::EngineEvents* events) override { events_ = events; }

    void Start(const store::WaSession& s) override {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(s.id);
        if (it == sessions_.end()) {
            Entry entry;
            entry.store = std::make_unique<RepositoryCredentialStore>(repo_, s.id, key_);
            entry.bridge = std::make_unique<Bridge>(s.id, events_, repo_, *entry.store);
            entry.session =
                wa::Session::Create(io_, config_, *entry.store, *entry.bridge, &receive_pool_, &lane_stats_);
            it = sessions_.emplace(s.id, std::move(entry)).first;
        }
        it->second.session->Start();
    }

    void Stop(const std::string& id) override {
        if (auto s = Find(id)) s->Stop();
    }

    void Logout(const std::string& id) override {
        if (auto s = Find(id)) {
            s->Logout();
            return;
        }
        repo_.DeleteCredentials(id);
        if (auto* ev = events_.load()) ev->OnStatus(id, "logged_out", "logout");
    }

    // Blocks the calling (HTTP worker) thread until the session's strand has sent companion_hello
    // and the server answered, at most kPairingCodeWait.
    Result<std::string> RequestPairingCode(const std::string& id, const std::string& phone) override {
        auto s = Find(id);
        if (!s) return MakeError("session_not_pairing", "the session is not running; start it first");
        auto promise = std::make_shared<std::promise<Result<std::string>>>();
        auto answer = promise->get_future();
        s->RequestPairingCode(phone, [promise](Result<std::string> r) { promise->set_value(std::move(r)); });
        if (answer.wait_for(kPairingCodeWait) != std::future_status::ready)
            return MakeError("engine_timeout", "WhatsApp did not answer the pairing-code request in time");
        auto r = answer.get();
        if (r) spdlog::info("[WhatsApp] Session {}: pairing code requested", id);
        return r;
    }

    void Send(const service::OutgoingMessage& m) override {
        auto s = Find(m.session_id);
        if (!s) return;  // not started: the message stays pending until the session is ready
        wa::OutgoingText out;
        out.id = m.wa_message_id;
        out.to = m.chat_jid;
        out.text = m.body;
        if (!m.quoted_wa_message_id.empty())
            out.quote = wa::OutgoingText::Quote{m.quoted_wa_message_id, m.quoted_sender_jid, m.quoted_body};
        s->Send(std::move(out), [this, session_id = m.session_id, message_id = m.message_id,
                                 wa_id = m.wa_message_id](Result<std::string> r) {
            auto* ev = events_.load();
            if (!ev || r) return;  // under way: the server's ack reports it (Bridge::OnSendAck)
            if (r.error().code == "not_connected") {
                spdlog::info("[WhatsApp] Session {}: {} waits for the connection", session_id, message_id);
                return;
            }
            spdlog::warn("[WhatsApp] Session {}: send of {} failed: {}", session_id, message_id, r.error().code);
            ev->OnMessageFailed(session_id, wa_id, r.error().code);
        });
    }

    void MarkRead(const std::string& session_id, const std::string& chat_jid, const std::string& sender_jid,
                  const std::vector<std::string>& ids) override {
        if (auto s = Find(session_id)) s->MarkRead(chat_jid, sender_jid, ids);
    }

private:
    struct Entry {
        std::unique_ptr<RepositoryCredentialStore> store;
        std::unique_ptr<Bridge> bridge;
        std::shared_ptr<wa::Session> session;
    };

    std::shared_ptr<wa::Session> Find(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(id);
        return it == sessions_.end() ? nullptr : it->second.session;
    }

    store::Repository& repo_;
    wa::crypto::Digest32 key_;
    wa::ClientConfig config_;
    std::atomic<service::EngineEvents*> events_{nullptr};
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::vector<std::thread> threads_;
    net::thread_pool receive_pool_;  // the receive lanes of every session: decrypt and commit
    wa::ReceiveLaneStats lane_stats_;
    std::mutex mutex_;
    std::map<std::string, Entry> sessions_;
};

}  // namespace

// Every linked session holds a socket: lift the soft open-file limit to the hard one (commonly
// 1024 → 524288) so a thousand sessions do not run out of descriptors.
static void RaiseOpenFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("[WhatsApp] cannot raise the open-file limit");
}

Result<std::unique_ptr<service::Engine>> MakeWaEngine(store::Repository& repo, std::string_view master_key,
                                                       const WaEngineConfig& config) {
    RaiseOpenFileLimit();
    wa::ClientConfig client;
    if (!config.url.empty()) {
        if (config.url.rfind("ws://", 0) != 0 && config.url.rfind("wss://", 0) != 0)
            return MakeError("invalid_config", "WADESK_WA_URL must start with ws:// or wss://");
        client.url = config.url;
    }
    if (!config.trust_root_hex.empty()) {
        auto root = FromHex(config.trust_root_hex);
        if (!root || root->size() != 32)
            return MakeError("invalid_config", "WADESK_WA_TRUST_ROOT must be 64 hex digits");
        std::copy(root->begin(), root->end(), client.trust_root.begin());
    }
    const auto key = CredentialKey(master_key);
    return std::unique_ptr<service::Engine>(
        new WaEngine(repo, key, std::move(client), config.threads, config.receive_threads));
}

Result<void> VerifyMasterKey(store::Repository& repo, std::string_view master_key) {
    const auto key = CredentialKey(master_key);
    const auto sessions =
        repo.ListSessionsByStatus({store::kStatusInitializing, store::kStatusQr, store::kStatusConnected,
                                   store::kStatusReconnecting, store::kStatusDisconnected, store::kStatusLoggedOut,
                                   store::kStatusFailed});
    for (const auto& s : sessions) {
        RepositoryCredentialStore creds(repo, s.id, key);
        try {
            if (creds.Get(wa::store_keys::kCredentials)) return {};  // the first sealed blob decides
        } catch (const std::exception& e) {
            return MakeError("master_key_mismatch", "session " + s.id + ": " + e.what());
        }
    }
    return {};
}

}  // namespace wadesk::app
