// wadesk-bench-history: history import of a large history-sync chunk (wa-protocol §10) through
// the product's own HistoryImporter, WadeskService and Repository, on SQLite or PostgreSQL.
//   wadesk-bench-history --db URL [--chats 500] [--messages 50000] [--live-rate 20] [--idle-seconds 5]
// One process, one run: a company with two linked sessions; the importing session keeps one
// INITIAL_BOOTSTRAP chunk (inline, as the receive path keeps it) of `chats` conversations with
// `messages` messages in all. First `idle-seconds` of live traffic on the other session alone
// (incoming messages committed through EngineEvents::OnIncomingMessage at `live-rate` per second,
// each timed), then the import with the same live traffic beside it. Prints one JSON line:
// import seconds and messages/s, peak RSS above idle (VmHWM reset after set-up, minus VmRSS at
// idle), live latency (p50/p99/max ms) idle and during the import, and the stored counts.
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/token_authenticator.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/log.h"
#include "engine/history_import.h"
#include "engine/sealed_credential_store.h"
#include "service/event_bus.h"
#include "service/memory_access_view.h"
#include "service/wadesk_service.h"
#include "store/repository.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/client/credential_store.h"
#include "whatsapp/proto/message_util.h"

using namespace wadesk;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    std::string db;
    int chats = 500;
    int messages = 50000;
    double live_rate = 20;
    double idle_seconds = 5;
};

std::int64_t ProcStatusKb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(field) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size()));
    }
    return -1;
}

// Resets VmHWM to the current RSS (Linux: clear_refs 5), so the peak measures the import alone.
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// The chunk a phone keeps for a new companion: `chats` 1:1 conversations, `messages` in all,
// both directions, newest first as phones list them.
Bytes BuildNotification(int chats, int messages) {
    wa::HistorySync sync;
    sync.set_synctype(wa::HistorySync::INITIAL_BOOTSTRAP);
    sync.set_progress(100);
    const std::int64_t t0 = NowMs() / 1000 - 30 * 86400;
    for (int c = 0; c < chats; ++c) {
        wa::Conversation* conv = sync.add_conversations();
        const std::string jid = std::to_string(15550000000LL + c) + "@s.whatsapp.net";
        conv->set_id(jid);
        conv->set_name("Customer " + std::to_string(c));
        const int count = messages / chats + (c < messages % chats ? 1 : 0);
        for (int i = count - 1; i >= 0; --i) {
            wa::HistorySyncMsg* hm = conv->add_messages();
            hm->set_msgorderid(static_cast<std::uint64_t>(count - i));
            wa::WebMessageInfo* info = hm->mutable_message();
            info->mutable_key()->set_remotejid(jid);
            info->mutable_key()->set_fromme(i % 3 == 0);
            info->mutable_key()->set_id("H" + std::to_string(c) + "-" + std::to_string(i));
            info->mutable_message()->set_conversation("history message " + std::to_string(i) + " of chat " +
                                                      std::to_string(c));
            info->set_messagetimestamp(static_cast<std::uint64_t>(t0 + c * 600 + i));
            if (i % 3 == 0) info->set_status(wa::WebMessageInfo::READ);
        }
    }
    const Bytes payload = wa::ZlibDeflate(wa::SerializeProto(sync));
    wa::Message::HistorySyncNotification n;
    n.set_synctype(wa::Message::INITIAL_BOOTSTRAP);
    n.set_progress(100);
    n.set_initialhistbootstrapinlinepayload(ToString(payload));
    return wa::SerializeProto(n);
}

struct Latencies {
    std::mutex mutex;
    std::vector<double> ms;
};

boost::json::object Summary(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) {
        if (ms.empty()) return 0.0;
        return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    };
    return {{"count", ms.size()}, {"p50_ms", at(0.5)}, {"p99_ms", at(0.99)}, {"max_ms", ms.empty() ? 0.0 : ms.back()}};
}

// Live incoming messages on `session_id` at `rate` per second until `stop`, each timed.
void LiveTraffic(service::WadeskService& svc, const std::string& session_id, double rate, const std::atomic<bool>& stop,
                 Latencies& out, int& sequence) {
    const auto period = std::chrono::duration<double>(1.0 / rate);
    auto next = Clock::now();
    while (!stop.load()) {
        service::IncomingMessage in;
        const int n = sequence++;
        in.chat_jid = std::to_string(16660000000LL + n % 50) + "@s.whatsapp.net";
        in.wa_message_id = "LIVE-" + std::to_string(n);
        in.sender_jid = in.chat_jid;
        in.sender_phone = in.chat_jid.substr(0, in.chat_jid.find('@'));
        in.sender_name = "Live " + std::to_string(n % 50);
        in.body = "live message " + std::to_string(n);
        in.timestamp_ms = NowMs();
        const auto start = Clock::now();
        if (!svc.inbound().OnIncomingMessage(session_id, in, nullptr))
            throw std::runtime_error("a live message was not stored");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        {
            std::lock_guard lock(out.mutex);
            out.ms.push_back(ms);
        }
        next += std::chrono::duration_cast<Clock::duration>(period);
        std::this_thread::sleep_until(next);
    }
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--db") a.db = v;
        else if (k == "--chats") a.chats = std::stoi(v);
        else if (k == "--messages") a.messages = std::stoi(v);
        else if (k == "--live-rate") a.live_rate = std::stod(v);
        else if (k == "--idle-seconds") a.idle_seconds = std::stod(v);
        else {
            std::cerr << "unknown option " << k << "\n";
            return 2;
        }
    }
    if (a.db.empty() || a.chats < 1 || a.messages < a.chats || a.live_rate <= 0) {
        std::cerr << "usage: wadesk-bench-history --db URL [--chats 500] [--messages 50000] [--live-rate 20] "
                     "[--idle-seconds 5]\n";
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);  // one log line per live message would time the logger
    try {
        auto repo = store::OpenRepository(a.db, true);
        service::EventBus bus;
        service::MemoryAccessView access;
        auth::AuthConfig auth_config;
        auth_config.jwt_secret = RandomBytes(32);
        auto authenticator = std::move(*auth::TokenAuthenticator::Create(std::move(auth_config)));
        service::NullEngine engine;
        service::WadeskService svc(*repo, bus, access, *authenticator, engine);
        svc.operators().LoadViews();
        const std::string tag = ToHex(RandomBytes(4));
        auto [company, admin] = svc.operators().CreateCompany(
            "History bench " + tag, service::NewUser{"bench-" + tag + "@history.test", "bench-password-1", "B"});
        const service::Actor actor{auth::Principal{admin.id, company.id, domain::Role::kAdmin, admin.email}, "127.0.0.1"};
        const domain::WaSession importing = svc.sessions().CreateSession(actor, "importing", domain::kHistoryRecent);
        const domain::WaSession live = svc.sessions().CreateSession(actor, "live", domain::kHistoryRecent);

        const auto key = engine::CredentialKey("history-bench-master-key");
        engine::SealedCredentialStore creds(*repo, importing.id, key);
        const std::string chunk_id = "3EB0HISTORYBENCH";
        creds.Put(wa::store_keys::HistoryNotification(chunk_id), BuildNotification(a.chats, a.messages));

        std::atomic<service::EngineEvents*> events{&svc.inbound()};
        engine::HistoryImporter importer(*repo, events);

        // Idle: live traffic alone.
        Latencies idle, busy;
        int sequence = 0;
        std::atomic<bool> stop{false};
        ResetPeakRss();
        {
            std::thread t([&] { LiveTraffic(svc, live.id, a.live_rate, stop, idle, sequence); });
            std::this_thread::sleep_for(std::chrono::duration<double>(a.idle_seconds));
            stop = true;
            t.join();
        }
        const std::int64_t idle_rss_kb = ProcStatusKb("VmRSS");
        ResetPeakRss();

        // The import, with the same live traffic beside it.
        stop = false;
        std::thread t([&] { LiveTraffic(svc, live.id, a.live_rate, stop, busy, sequence); });
        const auto start = Clock::now();
        importer.Schedule(creds, chunk_id);
        const std::string kept = wa::store_keys::HistoryNotification(chunk_id);
        while (repo->GetCredential(importing.id, kept)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const std::int64_t peak_kb = ProcStatusKb("VmHWM");
        stop = true;
        t.join();

        const store::CompanyStats stats = repo->Stats(company.id, 0);
        std::int64_t imported = 0, chats = 0;
        for (const auto& s : stats.per_session) {
            if (s.session_id == importing.id) {
                imported = s.incoming + s.outgoing;
                chats = s.chats;
            }
        }
        boost::json::object out{{"backend", a.db.rfind("postgres", 0) == 0 ? "postgres" : "sqlite"},
                                {"chats", chats},
                                {"messages", imported},
                                {"import_seconds", seconds},
                                {"messages_per_second", static_cast<double>(imported) / seconds},
                                {"idle_rss_mb", static_cast<double>(idle_rss_kb) / 1024.0},
                                {"peak_rss_above_idle_mb", static_cast<double>(peak_kb - idle_rss_kb) / 1024.0},
                                {"live_idle", Summary(idle.ms)},
                                {"live_during_import", Summary(busy.ms)}};
        std::cout << boost::json::serialize(out) << std::endl;
        if (imported != a.messages || chats != a.chats) {
            std::cerr << "imported " << imported << " messages in " << chats << " chats, expected " << a.messages
                      << " in " << a.chats << "\n";
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "history bench failed: " << e.what() << "\n";
        return 1;
    }
}
