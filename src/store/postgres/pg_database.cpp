#include "store/postgres/pg_database.h"

#include <poll.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/clock.h"
#include "store/detail/migrations.h"
#include "store/errors.h"

namespace wadesk::store::postgres {

namespace {

constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;

// Connecting without a configured timeout (tools, tests) still gives up after this long.
constexpr std::chrono::seconds kDefaultConnectTimeout{10};
// Waiting for a pooled connection without a configured timeout.
constexpr std::chrono::seconds kDefaultAcquireTimeout{10};
// TCP keepalives find a peer that vanished (a network partition) while a connection sits idle.
const char* const kKeepaliveIdleSeconds = "30";
const char* const kKeepaliveIntervalSeconds = "10";
const char* const kKeepaliveCount = "3";
const std::string kBegin = "BEGIN";
const std::string kCommit = "COMMIT";
const std::string kRollback = "ROLLBACK";
// Held while migrating so that processes starting at once apply each migration once.
const std::string kLockMigrations = "SELECT pg_advisory_lock(726153000)";
const std::string kUnlockMigrations = "SELECT pg_advisory_unlock(726153000)";
// Held by an event append until commit, so event ids become visible in increasing order.
const std::string kLockEvents = "SELECT pg_advisory_xact_lock(726153001)";
const std::string kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
const std::string kSelectAppliedVersions = "SELECT version FROM schema_migrations";
const std::string kInsertAppliedVersion =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
const std::string kHasMigrationsTable = "SELECT to_regclass('schema_migrations') IS NOT NULL";
const std::string kMaxVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

void IgnoreNotice(void*, const char*) {}

std::string Trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

void ThrowPgError(PGconn* conn, const PGresult* result, const std::string& what) {
    std::string detail = result ? PQresultErrorMessage(result) : "";
    if (detail.empty() && conn) detail = PQerrorMessage(conn);
    std::string message = "postgres: " + what + ": " + Trimmed(detail);
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    if (!conn || PQstatus(conn) != CONNECTION_OK || sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0) {
        throw ConnectionError(message);
    }
    if (sqlstate == "23505") throw UniqueViolation(message);
    if (sqlstate == "40P01" || sqlstate == "40001") throw TransientConflict(message);
    if (sqlstate == "23503" || sqlstate == "23514" || sqlstate == "23502" || sqlstate.rfind("22", 0) == 0) {
        throw ConstraintViolation(message);
    }
    throw StoreError(message);
}

PgConnection::PgConnection(const std::string& url, std::chrono::milliseconds timeout) : timeout_(timeout) {
    // The URL comes last, so what it says wins over these defaults.
    const std::string user_timeout = std::to_string(timeout.count());
    const char* keywords[] = {"client_encoding",   "keepalives",          "keepalives_idle", "keepalives_interval",
                              "keepalives_count",  "tcp_user_timeout",    "dbname",          nullptr};
    const char* values[] = {"UTF8",           "1", kKeepaliveIdleSeconds, kKeepaliveIntervalSeconds,
                            kKeepaliveCount,  timeout.count() > 0 ? user_timeout.c_str() : "0",
                            url.c_str(),      nullptr};
    conn_.reset(PQconnectStartParams(keywords, values, 1));
    if (!conn_) throw ConnectionError("postgres: out of memory while connecting");
    const auto deadline = std::chrono::steady_clock::now() +
                          (timeout.count() > 0 ? timeout : std::chrono::milliseconds(kDefaultConnectTimeout));
    // PQconnectPoll after PQconnectStart acts as if the last poll said "writing".
    PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
    while (PQstatus(conn_.get()) != CONNECTION_BAD && polled != PGRES_POLLING_OK && polled != PGRES_POLLING_FAILED) {
        Wait(polled == PGRES_POLLING_WRITING, deadline, "connect");
        polled = PQconnectPoll(conn_.get());
    }
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw ConnectionError("postgres: cannot connect: " + Trimmed(PQerrorMessage(conn_.get())));
    }
    if (PQsetnonblocking(conn_.get(), 1) != 0) {
        throw ConnectionError("postgres: cannot switch to non-blocking mode: " + Trimmed(PQerrorMessage(conn_.get())));
    }
    PQsetNoticeProcessor(conn_.get(), IgnoreNotice, nullptr);
}

bool PgConnection::Healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

PgConnection::Deadline PgConnection::NextDeadline() const {
    return timeout_.count() > 0 ? std::chrono::steady_clock::now() + timeout_ : Deadline::max();
}

void PgConnection::Wait(bool for_write, Deadline deadline, const char* what) {
    for (;;) {
        pollfd p{PQsocket(conn_.get()), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
        if (p.fd < 0) ThrowPgError(conn_.get(), nullptr, what);
        int wait_ms = -1;
        if (deadline != Deadline::max()) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
        }
        int n = ::poll(&p, 1, wait_ms);
        if (n > 0) return;  // ready, or an error condition libpq reports on its next call
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw ConnectionError(std::string("postgres: poll failed: ") + std::strerror(errno));
        // No answer in time. Closing the connection is the only way to stop waiting for this
        // call: the server rolls back whatever it had not committed when it runs again.
        conn_.reset();
        timed_out_ = true;
        const auto limit = timeout_.count() > 0 ? timeout_ : std::chrono::milliseconds(kDefaultConnectTimeout);
        throw ConnectionError(std::string("postgres: ") + what + ": no answer from the server within " +
                              std::to_string(limit.count()) + " ms");
    }
}

PgResultPtr PgConnection::Collect(const char* what) {
    const Deadline deadline = NextDeadline();
    PGconn* conn = conn_.get();
    for (;;) {  // a non-blocking connection keeps what the socket did not take yet
        int flushed = PQflush(conn);
        if (flushed == 0) break;
        if (flushed < 0) ThrowPgError(conn, nullptr, what);
        Wait(true, deadline, what);
        conn = conn_.get();
    }
    PgResultPtr error;
    PgResultPtr last;
    for (;;) {
        while (PQisBusy(conn)) {
            Wait(false, deadline, what);
            conn = conn_.get();
            if (!PQconsumeInput(conn)) ThrowPgError(conn, nullptr, what);
        }
        PgResultPtr result(PQgetResult(conn));
        if (!result) break;
        ExecStatusType status = PQresultStatus(result.get());
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
            last = std::move(result);
        } else if (!error) {
            error = std::move(result);  // a script stops at its first error
        }
    }
    if (error) ThrowPgError(conn, error.get(), what);
    if (!last) ThrowPgError(conn, nullptr, what);
    return last;
}

PgResultPtr PgConnection::Run(const std::string& sql, const detail::Params& params) {
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size());
    std::vector<int> formats(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        const detail::Param& p = params[i];
        if (std::holds_alternative<std::nullptr_t>(p)) {
            values[i] = nullptr;
            continue;
        }
        if (auto* v = std::get_if<std::int64_t>(&p)) {
            storage[i] = std::to_string(*v);
        } else if (auto* b = std::get_if<bool>(&p)) {
            storage[i] = *b ? "1" : "0";
        } else if (auto* s = std::get_if<std::string>(&p)) {
            // Text parameters travel as C strings: a NUL would silently cut the value short.
            if (s->find('\0') != std::string::npos) {
                throw ConstraintViolation("postgres: text value contains a NUL byte");
            }
            storage[i] = *s;
        } else if (auto* blob = std::get_if<detail::Blob>(&p)) {
            values[i] = blob->bytes.data();
            lengths[i] = static_cast<int>(blob->bytes.size());
            formats[i] = 1;  // binary: raw bytes into BYTEA
            continue;
        }
        values[i] = storage[i].c_str();
        lengths[i] = static_cast<int>(storage[i].size());
    }

    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        std::string name = "wadesk_" + std::to_string(statements_.size() + 1);
        if (!PQsendPrepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr)) {
            ThrowPgError(conn_.get(), nullptr, "prepare");
        }
        Collect("prepare");
        it = statements_.emplace(sql, std::move(name)).first;
    }
    if (!PQsendQueryPrepared(conn_.get(), it->second.c_str(), static_cast<int>(params.size()), values.data(),
                             lengths.data(), formats.data(), 0)) {
        ThrowPgError(conn_.get(), nullptr, "execute");
    }
    return Collect("execute");
}

detail::Rows PgConnection::Query(const std::string& sql, const detail::Params& params) {
    PgResultPtr result = Run(sql, params);
    const PGresult* r = result.get();
    const int rows = PQntuples(r);
    const int columns = PQnfields(r);
    std::vector<Oid> types(columns);
    for (int c = 0; c < columns; ++c) types[c] = PQftype(r, c);
    // Text cells stay in the PGresult, which the Rows keeps; only bytea is decoded into a copy.
    detail::Rows out(static_cast<std::size_t>(columns));
    out.Reserve(static_cast<std::size_t>(rows), 0);
    for (int i = 0; i < rows; ++i) {
        for (int c = 0; c < columns; ++c) {
            if (PQgetisnull(r, i, c)) {
                out.AddNull();
                continue;
            }
            const char* value = PQgetvalue(r, i, c);
            if (types[c] == kBoolOid) {
                out.AddExternalCell(value[0] == 't' ? "1" : "0");
            } else if (types[c] == kByteaOid) {
                std::size_t size = 0;
                unsigned char* decoded = PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &size);
                if (!decoded) throw StoreError("postgres: cannot decode a bytea value");
                out.AddCell(std::string_view(reinterpret_cast<const char*>(decoded), size));
                PQfreemem(decoded);
            } else {
                out.AddExternalCell(std::string_view(value, static_cast<std::size_t>(PQgetlength(r, i, c))));
            }
        }
    }
    out.KeepAlive(std::shared_ptr<const void>(result.release(), [](const void* p) {
        PQclear(const_cast<PGresult*>(static_cast<const PGresult*>(p)));
    }));
    return out;
}

std::int64_t PgConnection::Exec(const std::string& sql, const detail::Params& params) {
    PgResultPtr result = Run(sql, params);
    const char* tuples = PQcmdTuples(result.get());
    return (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
}

void PgConnection::ExecScript(const std::string& sql) {
    if (!PQsendQuery(conn_.get(), sql.c_str())) ThrowPgError(conn_.get(), nullptr, "execute");
    Collect("execute");
}

PgPool::PgPool(std::string url, std::size_t max_size, std::chrono::milliseconds timeout)
    : url_(std::move(url)),
      max_size_(max_size == 0 ? 1 : max_size),
      timeout_(timeout),
      acquire_timeout_(timeout.count() > 0 ? timeout : std::chrono::milliseconds(kDefaultAcquireTimeout)) {}

PgPool::Lease::~Lease() {
    if (conn_) pool_->Release(std::move(conn_));
}

PgPool::Lease PgPool::Acquire() {
    const auto deadline = std::chrono::steady_clock::now() + acquire_timeout_;
    std::unique_lock lock(mutex_);
    for (;;) {
        while (!idle_.empty()) {
            std::unique_ptr<PgConnection> conn = std::move(idle_.back());
            idle_.pop_back();
            if (conn->Healthy()) return Lease(this, std::move(conn), false);
            --open_;  // broken while idle: dropped, a new one may be opened below
        }
        if (open_ < max_size_) {
            ++open_;
            lock.unlock();
            try {
                return Lease(this, std::make_unique<PgConnection>(url_, timeout_), true);
            } catch (...) {
                lock.lock();
                --open_;
                available_.notify_one();
                throw;
            }
        }
        if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= max_size_) {
            throw ConnectionError("postgres: no free connection in the pool within " +
                                  std::to_string(acquire_timeout_.count()) + " ms");
        }
    }
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
    bool reusable = conn->Healthy() && PQtransactionStatus(conn->handle()) == PQTRANS_IDLE;
    {
        std::lock_guard lock(mutex_);
        if (reusable) {
            idle_.push_back(std::move(conn));
        } else {
            --open_;
        }
    }
    available_.notify_one();
    // A dropped connection is closed here, outside the lock.
}

PgDatabase::PgDatabase(const std::string& url, std::chrono::milliseconds timeout, std::size_t pool_size)
    : pool_(url, pool_size, timeout) {
    pool_.Acquire();  // fails fast with ConnectionError when the server cannot be reached
}

const detail::Dialect& PgDatabase::dialect() const {
    static const detail::Dialect kDialect{kBegin, " FOR UPDATE", kLockEvents};
    return kDialect;
}

void PgDatabase::WithConnection(const std::function<void(PgPool::Lease&, bool&)>& attempt) {
    for (;;) {
        PgPool::Lease conn = pool_.Acquire();
        bool retry_safe = true;
        try {
            attempt(conn, retry_safe);
            return;
        } catch (const ConnectionError&) {
            if (conn.fresh() || !retry_safe || conn->Healthy() || conn->TimedOut()) throw;
            // A stale pooled connection: the lease drops it; try the next one.
        }
    }
}

void PgDatabase::Read(const std::function<void(detail::Connection&)>& fn) {
    WithConnection([&](PgPool::Lease& conn, bool&) { fn(*conn); });
}

void PgDatabase::Write(const std::function<void(detail::Connection&)>& fn) {
    WithConnection([&](PgPool::Lease& conn, bool& retry_safe) {
        conn->ExecScript(kBegin);
        retry_safe = false;  // past BEGIN a lost connection may or may not have committed
        try {
            fn(*conn);
            conn->ExecScript(kCommit);
        } catch (...) {
            if (conn->Healthy()) {
                try {
                    conn->ExecScript(kRollback);
                } catch (const StoreError&) {
                    // The connection is dropped by the pool when it is left inside a transaction.
                }
            }
            throw;
        }
    });
}

void PgDatabase::Migrate() {
    PgPool::Lease conn = pool_.Acquire();
    // A migration may backfill a large table, and another process may hold the lock while it
    // does: no timeout while migrating.
    struct NoTimeout {
        PgConnection& conn;
        std::chrono::milliseconds saved = conn.timeout();
        explicit NoTimeout(PgConnection& c) : conn(c) { conn.SetTimeout({}); }
        ~NoTimeout() { conn.SetTimeout(saved); }
    } no_timeout(*conn);
    conn->ExecScript(kLockMigrations);
    try {
        conn->ExecScript(kBegin);
        conn->ExecScript(kCreateMigrationsTable);
        std::set<int> applied;
        detail::Rows rows = conn->Query(kSelectAppliedVersions, {});
        for (std::size_t i = 0; i < rows.size(); ++i) applied.insert(static_cast<int>(rows[i].Int(0)));
        for (const detail::Migration& m : detail::PostgresMigrations()) {
            if (applied.count(m.version)) continue;
            conn->ExecScript(m.sql);
            conn->Exec(kInsertAppliedVersion, {std::int64_t{m.version}, std::string(m.name), NowMs()});
        }
        conn->ExecScript(kCommit);
    } catch (...) {
        if (conn->Healthy()) {
            try {
                conn->ExecScript(kRollback);
                conn->ExecScript(kUnlockMigrations);
            } catch (const StoreError&) {
            }
        }
        throw;
    }
    conn->ExecScript(kUnlockMigrations);
}

int PgDatabase::SchemaVersion() {
    int version = 0;
    Read([&](detail::Connection& c) {
        if (!c.Query(kHasMigrationsTable, {})[0].Bool(0)) return;
        version = static_cast<int>(c.Query(kMaxVersion, {})[0].Int(0));
    });
    return version;
}

}  // namespace wadesk::store::postgres
