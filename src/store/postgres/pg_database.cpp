#include "store/postgres/pg_database.h"

#include <cstdlib>
#include <set>

#include "core/clock.h"
#include "store/detail/migrations.h"
#include "store/errors.h"

namespace wadesk::store::postgres {

namespace {

constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;

const char* const kConnectTimeoutSeconds = "10";
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

PgConnection::PgConnection(const std::string& url) {
    const char* keywords[] = {"connect_timeout", "client_encoding", "dbname", nullptr};
    const char* values[] = {kConnectTimeoutSeconds, "UTF8", url.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keywords, values, 1));
    if (!conn_) throw ConnectionError("postgres: out of memory while connecting");
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw ConnectionError("postgres: cannot connect: " + Trimmed(PQerrorMessage(conn_.get())));
    }
    PQsetNoticeProcessor(conn_.get(), IgnoreNotice, nullptr);
}

bool PgConnection::Healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

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
        PgResultPtr prepared(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
        if (!prepared || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
            ThrowPgError(conn_.get(), prepared.get(), "prepare");
        }
        it = statements_.emplace(sql, std::move(name)).first;
    }
    PgResultPtr result(PQexecPrepared(conn_.get(), it->second.c_str(), static_cast<int>(params.size()),
                                      values.data(), lengths.data(), formats.data(), 0));
    if (!result) ThrowPgError(conn_.get(), nullptr, "execute");
    ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) ThrowPgError(conn_.get(), result.get(), "execute");
    return result;
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
    PgResultPtr result(PQexec(conn_.get(), sql.c_str()));
    if (!result) ThrowPgError(conn_.get(), nullptr, "execute");
    ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) ThrowPgError(conn_.get(), result.get(), "execute");
}

PgPool::PgPool(std::string url, std::size_t max_size, std::chrono::milliseconds acquire_timeout)
    : url_(std::move(url)), max_size_(max_size == 0 ? 1 : max_size), acquire_timeout_(acquire_timeout) {}

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
                return Lease(this, std::make_unique<PgConnection>(url_), true);
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

PgDatabase::PgDatabase(const std::string& url, std::size_t pool_size, std::chrono::milliseconds acquire_timeout)
    : pool_(url, pool_size, acquire_timeout) {
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
            if (conn.fresh() || !retry_safe || conn->Healthy()) throw;
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
