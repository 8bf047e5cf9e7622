// wadesk-bench-fanout: the realtime stack of wadesk (the real HTTP server, the real Socket.IO
// server, the in-memory permission view and the event bus) with a synthetic event producer, for
// the fan-out benchmark (scripts/run-bench.sh fanout). Not part of the product binary.
//
// Usage: wadesk-bench-fanout --clients N --sessions S [--io-threads T] [--coalesce-ms C]
// (T: threads running the I/O context, 0 = one per hardware thread, the product's default;
// C: RealtimeOptions::write_coalesce_ms)
// Prints "listening on http://127.0.0.1:PORT" on stderr, then reads commands on stdin:
//   produce RATE SECONDS   emit RATE events/s for SECONDS, round-robin over the sessions; each
//                          payload carries {seq, ts} (ts: producer wall clock, ms, fractional);
//                          answers "produced N" on stdout when done
//   stats                  answers one JSON line: rss_kb, open sessions, sockets, counters
//   quit                   stops the server
// Client i authenticates with token "bench-<i>" and may read session "s<i % S>" only.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <unordered_map>

#include "auth/authenticator.h"
#include "core/log.h"
#include "http/server.h"
#include "realtime/server.h"
#include "service/event_bus.h"
#include "service/memory_access_view.h"

namespace {

using namespace wadesk;

constexpr const char* kCompany = "bench-company";

class MapAuthenticator : public auth::Authenticator {
public:
    std::unordered_map<std::string, auth::Principal> tokens;
    Result<auth::Principal> Authenticate(std::string_view token) const override {
        auto it = tokens.find(std::string(token));
        if (it == tokens.end()) return MakeError("invalid_token", "unknown bench token");
        return it->second;
    }
    bool StillValid(const auth::Principal&) const override { return true; }
};

long RssKb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

double NowMsFractional() {
    return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
    int clients = 2000, sessions = 20;
    unsigned io_threads = 0;
    realtime::RealtimeOptions rt_options;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--clients") clients = std::stoi(argv[i + 1]);
        else if (k == "--sessions") sessions = std::stoi(argv[i + 1]);
        else if (k == "--io-threads") io_threads = static_cast<unsigned>(std::stoi(argv[i + 1]));
        else if (k == "--coalesce-ms") rt_options.write_coalesce_ms = std::stoll(argv[i + 1]);
    }
    InitLogging("warn");

    MapAuthenticator authenticator;
    service::MemoryAccessView access;
    std::vector<domain::User> users;
    std::vector<domain::WaSession> wa_sessions;
    std::vector<domain::Access> grants;
    for (int s = 0; s < sessions; ++s) {
        domain::WaSession ws;
        ws.id = "s" + std::to_string(s);
        ws.company_id = kCompany;
        wa_sessions.push_back(ws);
    }
    for (int i = 0; i < clients; ++i) {
        domain::User u;
        u.id = "u" + std::to_string(i);
        u.company_id = kCompany;
        u.role = domain::Role::kManager;
        users.push_back(u);
        domain::Access a;
        a.company_id = kCompany;
        a.session_id = "s" + std::to_string(i % sessions);
        a.user_id = u.id;
        a.can_read = true;
        grants.push_back(a);
        auth::Principal p;
        p.user_id = u.id;
        p.company_id = kCompany;
        p.role = domain::Role::kManager;
        authenticator.tokens.emplace("bench-" + std::to_string(i), p);
    }
    access.Load(users, wa_sessions, grants);

    service::EventBus bus;
    http::ServerOptions options;
    options.port = 0;
    options.io_threads = io_threads;
    options.worker_threads = 1;
    http::Server server(options, [](http::Request&) {
        http::Response r;
        r.status = 404;
        r.body = R"({"success":false,"error":{"code":"not_found","message":"bench server"}})";
        return r;
    });
    unsigned short port = server.Listen();
    realtime::RealtimeServer rt(server.IoContext().get_executor(), server.WorkerPool().get_executor(), authenticator,
                                access, bus, nullptr, rt_options);
    rt.Start();
    server.SetUpgradeHandler(&rt);
    std::fprintf(stderr, "listening on http://127.0.0.1:%u\n", port);

    std::thread control([&] {
        std::string cmd;
        std::int64_t next_id = 1;
        while (std::cin >> cmd) {
            if (cmd == "produce") {
                int rate = 0, seconds = 0;
                std::cin >> rate >> seconds;
                auto start = std::chrono::steady_clock::now();
                long total = static_cast<long>(rate) * seconds;
                for (long n = 0; n < total; ++n) {
                    auto due = start + std::chrono::nanoseconds(static_cast<long long>(n * 1e9 / rate));
                    std::this_thread::sleep_until(due);
                    domain::Event e;
                    e.id = next_id++;
                    e.company_id = kCompany;
                    e.session_id = "s" + std::to_string(n % sessions);
                    e.name = "whatsapp:message";
                    char payload[128];
                    std::snprintf(payload, sizeof payload, R"({"seq":%ld,"ts":%.3f})", n, NowMsFractional());
                    e.payload_json = payload;
                    bus.Publish(e);
                }
                std::cout << "produced " << total << std::endl;
            } else if (cmd == "stats") {
                auto s = rt.Stats();
                std::cout << "{\"rss_kb\":" << RssKb() << ",\"open_sessions\":" << s.open_sessions
                          << ",\"sockets\":" << s.connected_sockets << ",\"published\":" << s.events_published
                          << ",\"enqueued\":" << s.frames_enqueued << ",\"slow_disconnects\":" << s.slow_disconnects
                          << ",\"websocket_writes\":" << s.websocket_writes
                          << ",\"write_coalesce_ms\":" << rt_options.write_coalesce_ms << "}" << std::endl;
            } else if (cmd == "quit") {
                break;
            }
        }
        rt.Stop();
        server.Stop();
    });
    server.Run();
    control.join();
    return 0;
}
