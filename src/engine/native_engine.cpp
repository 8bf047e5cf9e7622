#include "engine/native_engine.h"

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
#include "engine/bridge.h"
#include "engine/history_import.h"
#include "engine/media_fetcher.h"
#include "engine/media_key_seal.h"
#include "engine/sealed_credential_store.h"
#include "whatsapp/client/session.h"
#include "whatsapp/client/tls.h"

namespace wadesk::engine {

namespace {

namespace net = boost::asio;

constexpr std::chrono::seconds kPairingCodeWait{15};
// How long a group request (create, members, subject, leave) waits for WhatsApp's answer.
constexpr std::chrono::seconds kGroupRequestWait{15};

// The session registry: one wa::Session per wadesk session, its sealed store and its bridge.
class WaEngine final : public service::Engine {
public:
    WaEngine(store::Repository& repo, wa::crypto::Digest32 key, wa::ClientConfig config, const WaEngineConfig& options)
        : repo_(repo),
          key_(key),
          config_(std::move(config)),
          work_(net::make_work_guard(io_)),
          receive_pool_(static_cast<std::size_t>(std::max(1, options.receive_threads))) {
        if (options.blobs) {
            media_ = std::make_unique<MediaFetcher>(
                repo_, *options.blobs, events_, [this](const std::string& id) { return Find(id); },
                options.media_max_bytes, options.media_threads, MediaFetcher::kMediaRetryWait, MediaKeySealKey(key_));
        }
        for (int i = 0; i < std::max(1, options.threads); ++i) threads_.emplace_back([this] { RunIo(); });
    }

    // An engine thread: runs the connections until the engine stops. A handler that throws (a
    // store failure where no caller expected one) is logged and the thread goes on: one session's
    // failure must not end every session, or the process.
    void RunIo() {
        for (;;) {
            try {
                io_.run();
                return;
            } catch (const std::exception& e) {
                spdlog::error("[WhatsApp] an engine handler failed: {}", e.what());
            }
        }
    }

    ~WaEngine() override {
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, entry] : sessions_) entry.session->Stop();
        }
        work_.reset();
        media_.reset();  // downloads under way end (their media_conn waits are bounded)
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

    void Start(const domain::WaSession& s) override {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(s.id);
        if (it == sessions_.end()) {
            Entry entry;
            entry.store = std::make_unique<SealedCredentialStore>(repo_, s.id, key_);
            entry.bridge = std::make_unique<Bridge>(s.id, events_, repo_, *entry.store, history_, media_.get());
            if (media_) media_->SealStoredRefs(s.id);  // rows stored before media keys were sealed
            wa::ClientConfig config = config_;
            config.require_full_sync = s.history_sync == domain::kHistoryFull;
            entry.session =
                wa::Session::Create(io_, config, *entry.store, *entry.bridge, &receive_pool_, &lane_stats_);
            history_.SetLidSink(s.id, [weak = std::weak_ptr<wa::Session>(entry.session)](auto pairs) {
                if (auto session = weak.lock()) session->LearnLidPairs(std::move(pairs));
            });
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
        if (auto* ev = events_.load()) ev->OnStatus(id, domain::SessionStatus::kLoggedOut, "logout");
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
        if (m.media) return SendMedia(m);
        wa::OutgoingText out;
        out.id = m.wa_message_id;
        out.to = m.chat_jid;
        out.text = m.body;
        if (!m.quoted_wa_message_id.empty())
            out.quote = wa::OutgoingText::Quote{m.quoted_wa_message_id, m.quoted_sender_jid, m.quoted_body};
        s->Send(std::move(out), [this, session_id = m.session_id, message_id = m.message_id,
                                 wa_id = m.wa_message_id](Result<std::string> r) {
            if (r) return;  // under way: the server's ack reports it (Bridge::OnSendAck)
            if (r.error().code == "not_connected") {
                spdlog::info("[WhatsApp] Session {}: {} waits for the connection", session_id, message_id);
                return;
            }
            spdlog::warn("[WhatsApp] Session {}: send of {} failed: {}", session_id, message_id, r.error().code);
            ReportSendFailed(session_id, wa_id, r.error().code);
        });
    }

    Result<service::GroupAnswer> ManageGroup(const std::string& id, const service::GroupRequest& request) override {
        auto s = Find(id);
        if (!s) return MakeError("session_not_connected", "the session is not running");
        auto promise = std::make_shared<std::promise<Result<wa::GroupActionResult>>>();
        auto answer = promise->get_future();
        s->ManageGroup(wa::GroupAction{request.action, request.group_jid, request.subject, request.participants},
                       [promise](Result<wa::GroupActionResult> r) { promise->set_value(std::move(r)); });
        if (answer.wait_for(kGroupRequestWait) != std::future_status::ready)
            return MakeError("engine_timeout", "WhatsApp did not answer the group request in time");
        auto r = answer.get();
        if (!r) {
            if (r.error().code == "not_connected") return MakeError("session_not_connected", r.error().message);
            return r.error();
        }
        return service::GroupAnswer{r->group, r->participants};
    }

    // A file: uploaded on the media pool, then sent like a text with the media message as content.
    void SendMedia(const service::OutgoingMessage& m) {
        if (!media_) return ReportSendFailed(m.session_id, m.wa_message_id, "upload_failed");
        media_->Upload(m, [this, m](Result<MediaFetcher::Uploaded> up) {
            if (!up) {
                spdlog::warn("[WhatsApp] Session {}: upload of {} failed: {}", m.session_id, m.message_id,
                             up.error().message);
                if (up.error().code != "session_not_running") ReportSendFailed(m.session_id, m.wa_message_id, up.error().code);
                return;
            }
            auto s = Find(m.session_id);
            if (!s) return;
            wa::OutgoingText out;
            out.id = m.wa_message_id;
            out.to = m.chat_jid;
            out.content = std::move(up->message);
            out.mediatype = up->mediatype;
            if (!m.quoted_wa_message_id.empty())  // a reply: quoted like a text reply
                out.quote = wa::OutgoingText::Quote{m.quoted_wa_message_id, m.quoted_sender_jid, m.quoted_body};
            s->Send(std::move(out), [this, m](Result<std::string> r) {
                if (r || r.error().code == "not_connected") return;
                ReportSendFailed(m.session_id, m.wa_message_id, r.error().code);
            });
        });
    }

    // A send that could not go out becomes "failed". Runs on a connection's strand or the media
    // pool: a database that is down is logged (the message stays pending and leaves again at the
    // next connect), never thrown into the strand.
    void ReportSendFailed(const std::string& session_id, const std::string& wa_id, const std::string& reason) {
        try {
            if (auto* ev = events_.load()) ev->OnMessageFailed(session_id, wa_id, reason);
        } catch (const std::exception& e) {
            spdlog::error("[WhatsApp] Session {}: the failure of {} ({}) was not stored: {}", session_id, wa_id,
                          reason, e.what());
        }
    }

    void MarkRead(const std::string& session_id, const std::string& chat_jid, const std::string& sender_jid,
                  const std::vector<std::string>& ids) override {
        if (auto s = Find(session_id)) s->MarkRead(chat_jid, sender_jid, ids);
    }

    void FetchGroupMetadata(const std::string& session_id, const std::string& group_jid) override {
        if (auto s = Find(session_id)) s->QueryGroup(group_jid);
    }

    Result<void> DownloadMedia(const std::string& session_id, const std::string& message_id,
                               const std::string& ref) override {
        if (!media_) return MakeError("engine_unavailable", "media downloads are not configured");
        media_->Enqueue(session_id, message_id, ref);
        return {};
    }

private:
    struct Entry {
        std::unique_ptr<SealedCredentialStore> store;
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
    std::unique_ptr<MediaFetcher> media_;      // downloads received media (when a blob store is given)
    HistoryImporter history_{repo_, events_, [this](const std::string& id) { return Find(id); }};  // last: stops before the sessions' stores go
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
    if (!config.ca_file.empty()) {
        if (auto r = wa::TrustExtraCaFile(config.ca_file); !r)
            return MakeError("invalid_config", "WADESK_WA_CA_FILE: " + r.error().message);
    }
    client.qr_wait_limit = config.qr_timeout;
    const auto key = CredentialKey(master_key);
    return std::unique_ptr<service::Engine>(new WaEngine(repo, key, std::move(client), config));
}

Result<void> VerifyMasterKey(store::Repository& repo, std::string_view master_key) {
    const auto key = CredentialKey(master_key);
    const auto sessions =
        repo.ListSessionsByStatus({std::begin(domain::kAllSessionStatuses), std::end(domain::kAllSessionStatuses)});
    for (const auto& s : sessions) {
        SealedCredentialStore creds(repo, s.id, key);
        try {
            if (creds.Get(wa::store_keys::kCredentials)) return {};  // the first sealed blob decides
        } catch (const std::exception& e) {
            return MakeError("master_key_mismatch", "session " + s.id + ": " + e.what());
        }
    }
    return {};
}

}  // namespace wadesk::engine
