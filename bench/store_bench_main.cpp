// wadesk-bench-store: read-path latency of the Repository itself (no HTTP), on a database that
// wadesk-bench-seed filled.
//
//   wadesk-bench-store --db URL --company ID [--seconds 10] [--threads 4]
//
// For each mix (chats: ListChats page 1 of a session; messages: ListMessages page 1 of a chat;
// deep: page 8 of 50; before: a keyset page at depth 400; stats: Stats over the last 30 days)
// runs `threads` closed-loop callers for `seconds` and prints one JSON line per mix with the call
// count, rate and p50/p90/p99/max in ms. Applies pending migrations first.
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "store/repository.h"

namespace {

using Clock = std::chrono::steady_clock;
using wadesk::store::ChatQuery;
using wadesk::store::MessageQuery;

struct Options {
    std::string db;
    std::string company;
    int seconds = 10;
    int threads = 4;
};

double Percentile(std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--db") o.db = value;
        else if (flag == "--company") o.company = value;
        else if (flag == "--seconds") o.seconds = std::max(1, std::atoi(value.c_str()));
        else if (flag == "--threads") o.threads = std::max(1, std::atoi(value.c_str()));
    }
    if (o.db.empty() || o.company.empty()) {
        std::cerr << "usage: wadesk-bench-store --db URL --company ID [--seconds N] [--threads N]\n";
        return 2;
    }
    try {
        auto repo = wadesk::store::OpenRepository(o.db, true);
        std::vector<ChatQuery> chat_queries;
        std::vector<MessageQuery> first_pages, deep_pages, before_pages;
        for (const auto& session : repo->ListSessions(o.company)) {
            chat_queries.push_back({.company_id = o.company, .session_id = session.id, .limit = 50});
            auto chats = repo->ListChats({.company_id = o.company, .session_id = session.id, .limit = 20});
            for (const auto& chat : chats.items) {
                MessageQuery q{.company_id = o.company, .session_id = session.id, .chat_id = chat.id, .limit = 50};
                first_pages.push_back(q);
                MessageQuery deep = q;
                deep.page = 8;
                auto page = repo->ListMessages(deep);
                if (page.items.empty()) continue;
                deep_pages.push_back(deep);
                MessageQuery before = q;
                before.before = page.items.front().id;
                before_pages.push_back(before);
            }
        }
        if (chat_queries.empty() || deep_pages.empty()) throw std::runtime_error("nothing seeded for this company");

        const std::int64_t thirty_days_ago =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count() -
            30LL * 86'400'000;
        std::vector<std::pair<std::string, std::function<void(std::size_t)>>> mixes = {
            {"chats", [&](std::size_t i) { repo->ListChats(chat_queries[i % chat_queries.size()]); }},
            {"messages", [&](std::size_t i) { repo->ListMessages(first_pages[i % first_pages.size()]); }},
            {"deep", [&](std::size_t i) { repo->ListMessages(deep_pages[i % deep_pages.size()]); }},
            {"before", [&](std::size_t i) { repo->ListMessages(before_pages[i % before_pages.size()]); }},
            {"stats", [&](std::size_t) { repo->Stats(o.company, thirty_days_ago); }},
        };
        for (auto& [name, call] : mixes) {
            std::vector<std::vector<double>> per_thread(o.threads);
            const auto end = Clock::now() + std::chrono::seconds(o.seconds);
            std::vector<std::thread> threads;
            for (int t = 0; t < o.threads; ++t) {
                threads.emplace_back([&, t] {
                    std::size_t i = static_cast<std::size_t>(t) * 7919;
                    while (Clock::now() < end) {
                        auto start = Clock::now();
                        try {
                            call(i++);
                        } catch (const std::exception& e) {
                            std::cerr << "wadesk-bench-store: " << e.what() << "\n";
                            return;
                        }
                        per_thread[t].push_back(
                            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
                    }
                });
            }
            for (auto& th : threads) th.join();
            std::vector<double> all;
            for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
            std::sort(all.begin(), all.end());
            boost::json::object line{{"mix", name}, {"threads", o.threads},
                                     {"calls", all.size()},
                                     {"per_second", static_cast<double>(all.size()) / o.seconds},
                                     {"p50_ms", Percentile(all, 0.50)},
                                     {"p90_ms", Percentile(all, 0.90)},
                                     {"p99_ms", Percentile(all, 0.99)},
                                     {"max_ms", all.empty() ? 0.0 : all.back()}};
            std::cout << boost::json::serialize(line) << std::endl;
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "wadesk-bench-store: " << e.what() << "\n";
        return 1;
    }
}
