#pragma once
// PostgreSQL driver: libpq, a bounded connection pool (blocking acquire with a timeout; broken
// connections are dropped and replaced), parameterized prepared statements only.
#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/detail/sql.h"

namespace wadesk::store::postgres {

struct PgConnDeleter {
    void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// Maps a failed result (or connection) to the StoreError hierarchy:
// 23505 → UniqueViolation, 40P01/40001 → TransientConflict, 23503/23514/23502/22xxx →
// ConstraintViolation, lost connection →
// ConnectionError, anything else → StoreError.
[[noreturn]] void ThrowPgError(PGconn* conn, const PGresult* result, const std::string& what);

class PgConnection final : public detail::Connection {
public:
    // Connects to `url` (a postgres:// URI or a conninfo string). Throws ConnectionError.
    explicit PgConnection(const std::string& url);

    detail::Rows Query(const std::string& sql, const detail::Params& params) override;
    std::int64_t Exec(const std::string& sql, const detail::Params& params) override;
    void ExecScript(const std::string& sql) override;

    // False once the server connection is lost; the pool then replaces this connection.
    bool Healthy() const;
    PGconn* handle() const { return conn_.get(); }

private:
    PgResultPtr Run(const std::string& sql, const detail::Params& params);

    PgConnPtr conn_;
    std::unordered_map<std::string, std::string> statements_;  // SQL text → prepared statement name
};

// A bounded pool of connections. Thread-safe.
class PgPool {
public:
    PgPool(std::string url, std::size_t max_size, std::chrono::milliseconds acquire_timeout);

    // A connection checked out of the pool; goes back (or is dropped when broken or left in a
    // transaction) when the lease ends.
    class Lease {
    public:
        Lease(PgPool* pool, std::unique_ptr<PgConnection> conn, bool fresh)
            : pool_(pool), conn_(std::move(conn)), fresh_(fresh) {}
        Lease(Lease&&) = default;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();
        PgConnection& operator*() const { return *conn_; }
        PgConnection* operator->() const { return conn_.get(); }
        // True when the connection was opened for this lease (not reused from the pool): a
        // failure on it means the server is unreachable, not that an idle connection went stale.
        bool fresh() const { return fresh_; }

    private:
        PgPool* pool_;
        std::unique_ptr<PgConnection> conn_;
        bool fresh_;
    };

    // Blocks until a connection is free or may be opened; throws ConnectionError after the
    // acquire timeout or when a new connection cannot be opened.
    Lease Acquire();

private:
    void Release(std::unique_ptr<PgConnection> conn);

    std::string url_;
    std::size_t max_size_;
    std::chrono::milliseconds acquire_timeout_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mutex_
    std::size_t open_ = 0;                              // idle + leased, guarded by mutex_
};

class PgDatabase final : public detail::Database {
public:
    explicit PgDatabase(const std::string& url, std::size_t pool_size = 8,
                        std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10));

    const detail::Dialect& dialect() const override;
    void Read(const std::function<void(detail::Connection&)>& fn) override;
    void Write(const std::function<void(detail::Connection&)>& fn) override;
    void Migrate() override;
    int SchemaVersion() override;

private:
    // Runs `attempt` on a leased connection; when a reused connection turns out to be dead
    // (server restart, idle timeout) and `retry_safe` says nothing was committed, runs it again
    // on another one, so stale pooled connections are replaced without failing the caller.
    void WithConnection(const std::function<void(PgPool::Lease&, bool& retry_safe)>& attempt);

    PgPool pool_;
};

}  // namespace wadesk::store::postgres
