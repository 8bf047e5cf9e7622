// wadesk-bench-seed: bulk-loads a benchmark data set through the store's SQL drivers.
//
//   wadesk-bench-seed --db URL [--companies N | --company ID] [--sessions 5] [--chats 2000]
//                     [--messages 1000000] [--days 30] [--admin-email E --admin-password P]
//
// --sessions, --chats and --messages are per company; chats are spread evenly over the sessions
// and messages evenly over the chats, timestamps over the last --days days. Rows go in as
// batched multi-row INSERTs inside large transactions (around the Repository interface, for
// speed); companies, sessions and the admin user go through the Repository. Prints one JSON line:
// the ids created (company, sessions, a few chats, a deep message for `before` cursors), the
// admin, and the seconds it took.
#include <argon2.h>

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/ids.h"
#include "store/errors.h"
#include "store/repository.h"
#include "store/sql_repository.h"

namespace {

using wadesk::store::detail::Connection;
using wadesk::store::detail::Params;

constexpr int kRowsPerStatement = 400;
constexpr int kRowsPerTransaction = 50'000;
constexpr std::int64_t kMsPerDay = 86'400'000;

const char* const kUsage =
    "usage: wadesk-bench-seed --db URL [--companies N | --company ID] [--sessions N] [--chats N] "
    "[--messages N] [--days N] [--admin-email E --admin-password P]\n";

const std::string kChatColumns =
    "id, company_id, session_id, jid, lid, name, is_group, unread_count, last_message, last_message_at, archived, "
    "pinned, muted, assigned_to, labels, created_at, updated_at";
constexpr int kChatColumnCount = 17;
const std::string kMessageColumns =
    "id, company_id, session_id, chat_id, wa_message_id, from_me, sender_jid, sender_name, sender_phone, type, body, "
    "has_media, media_mimetype, media_size, media_file_name, media_url, quoted_message_id, ts, status, sent_by, "
    "client_message_id, edited, deleted, from_history, created_at";
constexpr int kMessageColumnCount = 25;

struct Options {
    std::string db;
    int companies = 1;
    std::string company_id;
    int sessions = 5;
    int chats = 2000;
    std::int64_t messages = 1'000'000;
    int days = 30;
    std::string admin_email;
    std::string admin_password;
};

bool ParseArgs(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (i + 1 >= argc) return false;
        std::string value = argv[++i];
        try {
            if (flag == "--db") o.db = value;
            else if (flag == "--companies") o.companies = std::stoi(value);
            else if (flag == "--company") o.company_id = value;
            else if (flag == "--sessions") o.sessions = std::stoi(value);
            else if (flag == "--chats") o.chats = std::stoi(value);
            else if (flag == "--messages") o.messages = std::stoll(value);
            else if (flag == "--days") o.days = std::stoi(value);
            else if (flag == "--admin-email") o.admin_email = value;
            else if (flag == "--admin-password") o.admin_password = value;
            else return false;
        } catch (const std::exception&) {
            return false;
        }
    }
    return !o.db.empty() && o.companies >= 1 && o.sessions >= 1 && o.chats >= o.sessions && o.messages >= 0 &&
           o.days >= 1 && o.admin_email.empty() == o.admin_password.empty();
}

// The auth module's parameters: argon2id, t=2, m=19456 KiB, p=1, 16-byte salt, 32-byte hash.
std::string HashPassword(const std::string& password) {
    constexpr std::uint32_t kT = 2, kM = 19456, kP = 1, kSaltLen = 16, kHashLen = 32;
    wadesk::Bytes salt = wadesk::RandomBytes(kSaltLen);
    std::string encoded(argon2_encodedlen(kT, kM, kP, kSaltLen, kHashLen, Argon2_id), '\0');
    int rc = argon2id_hash_encoded(kT, kM, kP, password.data(), password.size(), salt.data(), salt.size(), kHashLen,
                                   encoded.data(), encoded.size());
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
    encoded.resize(std::char_traits<char>::length(encoded.c_str()));
    return encoded;
}

std::string InsertSql(const std::string& table, const std::string& columns, int column_count, int rows) {
    std::string sql = "INSERT INTO " + table + " (" + columns + ") VALUES ";
    int n = 1;
    for (int r = 0; r < rows; ++r) {
        sql += r ? ",(" : "(";
        for (int c = 0; c < column_count; ++c) sql += (c ? ",$" : "$") + std::to_string(n++);
        sql += ")";
    }
    return sql;
}

// Buffers rows and flushes them as multi-row INSERTs.
class BatchInserter {
public:
    BatchInserter(Connection& conn, std::string table, std::string columns, int column_count)
        : conn_(conn), table_(std::move(table)), columns_(std::move(columns)), column_count_(column_count) {}

    void Add(Params row) {
        for (auto& v : row) params_.push_back(std::move(v));
        if (++rows_ == kRowsPerStatement) Flush();
    }
    void Flush() {
        if (rows_ == 0) return;
        const std::string& sql = rows_ == kRowsPerStatement ? FullSql() : partial_ = InsertSql(table_, columns_, column_count_, rows_);
        conn_.Exec(sql, params_);
        params_.clear();
        rows_ = 0;
    }

private:
    const std::string& FullSql() {
        if (full_.empty()) full_ = InsertSql(table_, columns_, column_count_, kRowsPerStatement);
        return full_;
    }

    Connection& conn_;
    std::string table_, columns_;
    int column_count_;
    Params params_;
    int rows_ = 0;
    std::string full_, partial_;
};

struct ChatSeed {
    std::string id;
    std::string session_id;
    std::string last_message;
    std::int64_t last_message_at = 0;
    std::int64_t unread = 0;
    std::int64_t messages = 0;
    std::string deep_message_id;  // the message at about 80% depth of the chat (for `before` cursors)
};

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!ParseArgs(argc, argv, o)) {
        std::cerr << kUsage;
        return 2;
    }
    const auto started = std::chrono::steady_clock::now();
    try {
        auto repo = wadesk::store::OpenRepository(o.db, true);
        auto* sql = dynamic_cast<wadesk::store::SqlRepository*>(repo.get());
        if (!sql) throw std::runtime_error("unexpected repository type");
        auto& db = sql->database();
        const bool is_sqlite = o.db.rfind("postgres", 0) != 0;
        if (is_sqlite) {
            // A bigger page cache for the writer: the random-order index inserts stay in memory.
            db.Write([](Connection& conn) { conn.ExecScript("PRAGMA cache_size = -262144"); });
        }

        std::vector<std::string> company_ids;
        if (!o.company_id.empty()) {
            if (!repo->FindCompany(o.company_id)) throw std::runtime_error("no company " + o.company_id);
            company_ids.push_back(o.company_id);
        } else {
            for (int c = 0; c < o.companies; ++c) {
                company_ids.push_back(repo->CreateCompany({.name = "Bench Co " + std::to_string(c + 1),
                                                           .max_sessions = std::max(10, o.sessions)})
                                          .id);
            }
        }

        boost::json::object out;
        boost::json::array companies_json;
        const std::int64_t now = wadesk::NowMs();
        const std::int64_t span = static_cast<std::int64_t>(o.days) * kMsPerDay;
        std::int64_t total_messages = 0;

        for (std::size_t ci = 0; ci < company_ids.size(); ++ci) {
            const std::string& company_id = company_ids[ci];
            boost::json::object company_json;
            company_json["company_id"] = company_id;

            if (!o.admin_email.empty()) {
                std::string email = o.admin_email;
                if (company_ids.size() > 1) email = std::to_string(ci + 1) + "." + email;
                auto admin = repo->CreateUser({.company_id = company_id, .email = email, .name = "Bench Admin",
                                               .role = wadesk::domain::Role::kAdmin,
                                               .password_hash = HashPassword(o.admin_password)});
                company_json["admin"] = {{"id", admin.id}, {"email", admin.email}, {"password", o.admin_password}};
            }

            std::vector<std::string> session_ids;
            boost::json::array sessions_json;
            for (int s = 0; s < o.sessions; ++s) {
                auto session = repo->CreateSession({.company_id = company_id,
                                                    .name = "bench-" + std::to_string(s + 1),
                                                    .status = wadesk::domain::SessionStatus::kDisconnected,
                                                    .phone_number = "7900" + std::to_string(1000000 + s)});
                session_ids.push_back(session.id);
                sessions_json.emplace_back(session.id);
            }
            company_json["session_ids"] = sessions_json;

            std::vector<ChatSeed> chats(o.chats);
            for (int c = 0; c < o.chats; ++c) {
                chats[c].id = wadesk::NewId();
                chats[c].session_id = session_ids[c % o.sessions];
            }
            db.Write([&](Connection& conn) {
                BatchInserter insert(conn, "wa_chats", kChatColumns, kChatColumnCount);
                for (int c = 0; c < o.chats; ++c) {
                    std::string phone = "7901" + std::to_string(2000000 + c);
                    insert.Add({chats[c].id, company_id, chats[c].session_id, phone + "@s.whatsapp.net", std::string(),
                                "Customer " + std::to_string(c + 1), false, std::int64_t{0}, std::string(),
                                std::int64_t{0}, false, false, false, std::string(), std::string("[]"), now - span, now - span});
                }
                insert.Flush();
            });

            // Message i goes to chat i % chats at time now - span + i * step: every chat's history
            // spans the whole period, newest last.
            const std::int64_t step = o.messages > 0 ? std::max<std::int64_t>(1, span / o.messages) : 1;
            const std::int64_t per_chat = o.messages / o.chats;
            const std::int64_t deep_index = per_chat - per_chat * 4 / 5;  // 80% of the way down from the newest
            for (std::int64_t begin = 0; begin < o.messages; begin += kRowsPerTransaction) {
                const std::int64_t end = std::min<std::int64_t>(o.messages, begin + kRowsPerTransaction);
                db.Write([&](Connection& conn) {
                    BatchInserter insert(conn, "wa_messages", kMessageColumns, kMessageColumnCount);
                    for (std::int64_t i = begin; i < end; ++i) {
                        ChatSeed& chat = chats[i % o.chats];
                        const bool from_me = i % 3 == 0;
                        const std::int64_t ts = now - span + i * step;
                        std::string id = wadesk::NewId();
                        std::string body = (from_me ? "Reply " : "Question ") + std::to_string(i) +
                                           ": lorem ipsum dolor sit amet, consectetur adipiscing elit";
                        ++chat.messages;
                        if (chat.messages == deep_index) chat.deep_message_id = id;
                        chat.last_message = body;
                        chat.last_message_at = ts;
                        chat.unread = from_me ? 0 : chat.unread + 1;
                        char wa_id[32];
                        std::snprintf(wa_id, sizeof wa_id, "BENCH%016llX", static_cast<unsigned long long>(i));
                        insert.Add({std::move(id), company_id, chat.session_id, chat.id, std::string(wa_id), from_me,
                                    from_me ? std::string() : "7901@s.whatsapp.net", std::string(), std::string(),
                                    std::string("text"), std::move(body), false, std::string(), std::int64_t{0},
                                    std::string(), std::string(), std::string(), ts,
                                    std::string(from_me ? "read" : "delivered"), std::string(), std::string(), false,
                                    false, false, ts});
                    }
                    insert.Flush();
                });
            }
            total_messages += o.messages;

            db.Write([&](Connection& conn) {
                const std::string update =
                    "UPDATE wa_chats SET last_message = $2, last_message_at = $3, unread_count = $4 WHERE id = $1";
                for (const ChatSeed& chat : chats) {
                    if (chat.messages == 0) continue;
                    conn.Exec(update, {chat.id, chat.last_message, chat.last_message_at, chat.unread});
                }
            });

            // Daily message counts (statistics) for what was loaded around RecordMessage.
            db.Write([&](Connection& conn) {
                conn.Exec("DELETE FROM message_counts_daily WHERE company_id = $1", {company_id});
                conn.Exec(
                    "INSERT INTO message_counts_daily (company_id, session_id, day, incoming, outgoing) "
                    "SELECT company_id, session_id, ts / 86400000, SUM(CASE WHEN from_me THEN 0 ELSE 1 END), "
                    "SUM(CASE WHEN from_me THEN 1 ELSE 0 END) FROM wa_messages WHERE company_id = $1 "
                    "GROUP BY company_id, session_id, ts / 86400000",
                    {company_id});
            });

            boost::json::array chats_json;
            for (int c = 0; c < std::min(o.chats, 10); ++c) {
                chats_json.push_back({{"id", chats[c].id}, {"session_id", chats[c].session_id},
                                      {"messages", chats[c].messages}});
            }
            company_json["chat_ids"] = chats_json;
            for (const ChatSeed& chat : chats) {
                if (!chat.deep_message_id.empty()) {
                    company_json["deep_message"] = {{"session_id", chat.session_id},
                                                    {"chat_id", chat.id},
                                                    {"message_id", chat.deep_message_id},
                                                    {"newer_messages", per_chat - deep_index}};
                    break;
                }
            }
            companies_json.push_back(std::move(company_json));
        }

        // Fresh planner statistics, so the first benchmark queries see the seeded volume.
        if (is_sqlite) {
            db.Write([](Connection& conn) { conn.ExecScript("ANALYZE"); });
        } else {
            // PostgreSQL: VACUUM as well, which sets the visibility map of the freshly loaded pages,
            // so index-only scans (the page-start lookup of the message listing) need no heap
            // fetches. Autovacuum does the same on a live database some time after a bulk load;
            // doing it here makes the benchmark independent of when autovacuum gets to it.
            // VACUUM refuses to run inside a transaction: Read runs it in autocommit. A pass right
            // after the load can leave pages out of the map (e.g. with synchronous_commit off, as
            // on the test servers, rows whose commit is not yet flushed cannot be marked visible to
            // all), so it repeats, briefly, until the map covers the messages table.
            constexpr int kVacuumPasses = 20;
            for (int pass = 1;; ++pass) {
                std::int64_t pages = 0, visible = 0;
                db.Read([&](Connection& conn) {
                    conn.ExecScript(pass == 1 ? "VACUUM (ANALYZE)" : "VACUUM wa_messages");
                    auto r = conn.Query("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'wa_messages'", {});
                    pages = r[0].Int(0);
                    visible = r[0].Int(1);
                });
                if (visible * 100 >= pages * 99) break;
                if (pass == kVacuumPasses) {
                    std::cerr << "wadesk-bench-seed: after " << pass << " VACUUM passes " << visible << " of " << pages
                              << " wa_messages pages are all-visible\n";
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(250));
            }
        }

        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        out["backend"] = is_sqlite ? "sqlite" : "postgres";
        if (companies_json.size() == 1) {
            // One company: its ids at the top level.
            for (const auto& [k, v] : companies_json[0].as_object()) out[k] = v;
        } else {
            out["companies"] = companies_json;
        }
        out["chats"] = static_cast<std::int64_t>(o.chats) * static_cast<std::int64_t>(company_ids.size());
        out["messages"] = total_messages;
        out["seconds"] = std::round(seconds * 10) / 10;
        std::cout << boost::json::serialize(out) << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "wadesk-bench-seed: " << e.what() << "\n";
        return 1;
    }
}
