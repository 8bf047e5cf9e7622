#pragma once
// SQLite driver: WAL, synchronous=NORMAL, foreign keys on, busy_timeout. One writer connection
// guarded by a mutex (SQLite allows one writer at a time anyway) and a small set of reader
// connections that WAL lets run beside the writer.
#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/detail/sql.h"

namespace wadesk::store::sqlite {

// Owns one sqlite3*.
class SqliteDb {
public:
    SqliteDb() = default;
    explicit SqliteDb(sqlite3* db) : db_(db) {}
    SqliteDb(SqliteDb&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    SqliteDb& operator=(SqliteDb&& other) noexcept;
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;
    ~SqliteDb();
    sqlite3* get() const { return db_; }

private:
    sqlite3* db_ = nullptr;
};

// Owns one sqlite3_stmt*.
class SqliteStmt {
public:
    SqliteStmt() = default;
    explicit SqliteStmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
    SqliteStmt(SqliteStmt&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
    SqliteStmt& operator=(SqliteStmt&& other) noexcept;
    SqliteStmt(const SqliteStmt&) = delete;
    SqliteStmt& operator=(const SqliteStmt&) = delete;
    ~SqliteStmt();
    sqlite3_stmt* get() const { return stmt_; }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

class SqliteConnection final : public detail::Connection {
public:
    // Opens (creating when missing) the database file `path`. Throws ConnectionError.
    explicit SqliteConnection(const std::string& path);

    detail::Rows Query(const std::string& sql, const detail::Params& params) override;
    std::int64_t Exec(const std::string& sql, const detail::Params& params) override;
    void ExecScript(const std::string& sql) override;

    sqlite3* handle() const { return db_.get(); }

private:
    sqlite3_stmt* Prepare(const std::string& sql);
    void Bind(sqlite3_stmt* stmt, const detail::Params& params);
    [[noreturn]] void Fail(int rc, const std::string& what);

    SqliteDb db_;
    std::unordered_map<std::string, SqliteStmt> statements_;  // prepared once per connection
};

class SqliteDatabase final : public detail::Database {
public:
    // Opens `path` (its parent directory is created when missing) with one writer and
    // `readers` reader connections. Throws ConnectionError.
    explicit SqliteDatabase(const std::string& path, int readers = 4);

    const detail::Dialect& dialect() const override;
    void Read(const std::function<void(detail::Connection&)>& fn) override;
    void Write(const std::function<void(detail::Connection&)>& fn) override;
    void Migrate() override;
    int SchemaVersion() override;

private:
    std::string path_;
    std::mutex write_mutex_;
    std::unique_ptr<SqliteConnection> writer_;  // guarded by write_mutex_

    std::mutex read_mutex_;
    std::condition_variable read_ready_;
    std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;  // guarded by read_mutex_
};

}  // namespace wadesk::store::sqlite
