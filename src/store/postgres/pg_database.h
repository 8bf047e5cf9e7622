#pragma once
// PostgreSQL driver: libpq, a bounded connection pool (blocking acquire with a timeout; broken
// connections are dropped and replaced), parameterized prepared statements only.
//
// Every wait on the server is bounded by the driver's timeout (WADESK_DB_TIMEOUT_MS): libpq runs
// non-blocking and the driver polls its socket with a deadline, because a server that stopped
// (SIGSTOP, a stalled disk) keeps its TCP connections open and acknowledged, which no
// statement_timeout, keepalive or TCP user timeout ever notices. A call that passes its deadline
// closes its connection (the server rolls back what it had not committed) and throws
// ConnectionError.
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
    // Connects to `url` (a postgres:// URI or a conninfo string) within `timeout` (zero: 10 s).
    // Each later call waits at most `timeout` for the server (zero: as long as it takes).
    // Throws ConnectionError.
    PgConnection(const std::string& url, std::chrono::milliseconds timeout);

    detail::Rows Query(const std::string& sql, const detail::Params& params) override;
    std::int64_t Exec(const std::string& sql, const detail::Params& params) override;
    void ExecScript(const std::string& sql) override;

    // False once the server connection is lost or abandoned; the pool then replaces it.
    bool Healthy() const;
    // True once a call passed its deadline (the connection was then closed): the server does
    // not answer, so the caller must not retry on another connection.
    bool TimedOut() const { return timed_out_; }
    PGconn* handle() const { return conn_.get(); }
    // Changes the per-call timeout (zero: none), e.g. for migrations, which may run long.
    void SetTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
    std::chrono::milliseconds timeout() const { return timeout_; }

private:
    using Deadline = std::chrono::steady_clock::time_point;
    PgResultPtr Run(const std::string& sql, const detail::Params& params);
    // Flushes the query just sent and collects its results (the first error, else the last
    // result), waiting for the server no longer than the timeout.
    PgResultPtr Collect(const char* what);
    // Waits until the socket is readable (or writable with `for_write`); on the deadline the
    // connection is abandoned and ConnectionError thrown.
    void Wait(bool for_write, Deadline deadline, const char* what);
    Deadline NextDeadline() const;

    PgConnPtr conn_;
    std::chrono::milliseconds timeout_;
    bool timed_out_ = false;
    std::unordered_map<std::string, std::string> statements_;  // SQL text → prepared statement name
};

// A bounded pool of connections. Thread-safe.
class PgPool {
public:
    // `timeout` bounds the wait for a free connection (zero: 10 s) and every call on one
    // (zero: none).
    PgPool(std::string url, std::size_t max_size, std::chrono::milliseconds timeout);

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
    std::chrono::milliseconds timeout_;
    std::chrono::milliseconds acquire_timeout_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mutex_
    std::size_t open_ = 0;                              // idle + leased, guarded by mutex_
};

class PgDatabase final : public detail::Database {
public:
    // `timeout`: see PgPool. Connects once before returning (throws ConnectionError).
    explicit PgDatabase(const std::string& url, std::chrono::milliseconds timeout = {}, std::size_t pool_size = 8);

    const detail::Dialect& dialect() const override;
    void Read(const std::function<void(detail::Connection&)>& fn) override;
    void Write(const std::function<void(detail::Connection&)>& fn) override;
    void Migrate() override;
    int SchemaVersion() override;

private:
    // Runs `attempt` on a leased connection; when a reused connection turns out to be dead
    // (server restart, idle timeout) and `retry_safe` says nothing was committed, runs it again
    // on another one, so stale pooled connections are replaced without failing the caller. A
    // call that timed out is not retried: the server is not answering.
    void WithConnection(const std::function<void(PgPool::Lease&, bool& retry_safe)>& attempt);

    PgPool pool_;
};

}  // namespace wadesk::store::postgres
