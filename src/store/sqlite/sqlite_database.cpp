#include "store/sqlite/sqlite_database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <system_error>
#include <thread>

#include "core/clock.h"
#include "store/detail/migrations.h"
#include "store/errors.h"

namespace wadesk::store::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 10000;

const char* const kPragmasWriter =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
const char* const kPragmasReader = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA query_only=ON;";
const char* const kBegin = "BEGIN IMMEDIATE";
const char* const kCommit = "COMMIT";
const char* const kRollback = "ROLLBACK";
const char* const kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
const std::string kSelectAppliedVersions = "SELECT version FROM schema_migrations";
const std::string kInsertAppliedVersion =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
const std::string kHasMigrationsTable =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
const std::string kMaxVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

// $N placeholders (outside quoted text) become ?N, which SQLite binds to index N exactly.
std::string ToSqlitePlaceholders(const std::string& sql) {
    std::string out = sql;
    bool in_quote = false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\'') in_quote = !in_quote;
        if (!in_quote && out[i] == '$' && i + 1 < out.size() && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
    }
    return out;
}

[[noreturn]] void ThrowFor(int extended, const std::string& message) {
    if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
        throw UniqueViolation(message);
    }
    switch (extended & 0xff) {
        case SQLITE_CONSTRAINT: throw ConstraintViolation(message);
        case SQLITE_CANTOPEN:
        case SQLITE_NOTADB:
        case SQLITE_IOERR:
        case SQLITE_CORRUPT: throw ConnectionError(message);
        default: throw StoreError(message);
    }
}

// Resets a statement when a call leaves, whatever way it leaves.
class ResetGuard {
public:
    explicit ResetGuard(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~ResetGuard() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    ResetGuard(const ResetGuard&) = delete;
    ResetGuard& operator=(const ResetGuard&) = delete;

private:
    sqlite3_stmt* stmt_;
};

}  // namespace

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
    if (this != &other) {
        if (db_) sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

SqliteDb::~SqliteDb() {
    if (db_) sqlite3_close_v2(db_);
}

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& other) noexcept {
    if (this != &other) {
        if (stmt_) sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

SqliteStmt::~SqliteStmt() {
    if (stmt_) sqlite3_finalize(stmt_);
}

SqliteConnection::SqliteConnection(const std::string& path) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    db_ = SqliteDb(raw);  // owns the handle even when opening failed
    if (rc != SQLITE_OK) {
        std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        throw ConnectionError("sqlite: cannot open " + path + ": " + message);
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
}

void SqliteConnection::Fail(int rc, const std::string& what) {
    int extended = db_.get() ? sqlite3_extended_errcode(db_.get()) : rc;
    if ((extended & 0xff) != (rc & 0xff)) extended = rc;
    std::string message = "sqlite: " + what + ": " + (db_.get() ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc));
    ThrowFor(extended, message);
}

sqlite3_stmt* SqliteConnection::Prepare(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second.get();
    std::string text = ToSqlitePlaceholders(sql);
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), text.c_str(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    SqliteStmt stmt(raw);
    if (rc != SQLITE_OK) Fail(rc, "prepare");
    if (!raw) throw StoreError("sqlite: empty statement");
    return statements_.emplace(sql, std::move(stmt)).first->second.get();
}

void SqliteConnection::Bind(sqlite3_stmt* stmt, const detail::Params& params) {
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
        throw StoreError("sqlite: statement expects " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                         " parameters, got " + std::to_string(params.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        int index = static_cast<int>(i) + 1;
        int rc = SQLITE_OK;
        const detail::Param& p = params[i];
        if (std::holds_alternative<std::nullptr_t>(p)) {
            rc = sqlite3_bind_null(stmt, index);
        } else if (auto* v = std::get_if<std::int64_t>(&p)) {
            rc = sqlite3_bind_int64(stmt, index, *v);
        } else if (auto* b = std::get_if<bool>(&p)) {
            rc = sqlite3_bind_int(stmt, index, *b ? 1 : 0);
        } else if (auto* s = std::get_if<std::string>(&p)) {
            rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
        } else if (auto* blob = std::get_if<detail::Blob>(&p)) {
            rc = sqlite3_bind_blob64(stmt, index, blob->bytes.data(), blob->bytes.size(), SQLITE_STATIC);
        }
        if (rc != SQLITE_OK) Fail(rc, "bind");
    }
}

detail::Rows SqliteConnection::Query(const std::string& sql, const detail::Params& params) {
    sqlite3_stmt* stmt = Prepare(sql);
    ResetGuard guard(stmt);
    Bind(stmt, params);
    const int columns = sqlite3_column_count(stmt);
    detail::Rows rows(static_cast<std::size_t>(columns));
    for (;;) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) Fail(rc, "step");
        for (int c = 0; c < columns; ++c) {
            switch (sqlite3_column_type(stmt, c)) {
                case SQLITE_NULL: rows.AddNull(); break;
                case SQLITE_BLOB: {
                    const void* data = sqlite3_column_blob(stmt, c);
                    int size = sqlite3_column_bytes(stmt, c);
                    rows.AddCell(std::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size)));
                    break;
                }
                default: {
                    const unsigned char* text = sqlite3_column_text(stmt, c);
                    int size = sqlite3_column_bytes(stmt, c);
                    rows.AddCell(std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)));
                }
            }
        }
    }
    return rows;
}

std::int64_t SqliteConnection::Exec(const std::string& sql, const detail::Params& params) {
    sqlite3_stmt* stmt = Prepare(sql);
    ResetGuard guard(stmt);
    Bind(stmt, params);
    for (;;) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) Fail(rc, "step");
    }
    return sqlite3_changes64(db_.get());
}

void SqliteConnection::ExecScript(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string message = error ? error : sqlite3_errstr(rc);
        sqlite3_free(error);
        int extended = sqlite3_extended_errcode(db_.get());
        if ((extended & 0xff) != (rc & 0xff)) extended = rc;
        ThrowFor(extended, "sqlite: " + message);
    }
}

SqliteDatabase::SqliteDatabase(const std::string& path, int readers) : path_(path) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        if (std::filesystem::create_directories(parent, ec)) {
            ::chmod(parent.c_str(), 0700);  // it holds the database: only we may enter
        }
        if (ec) throw ConnectionError("sqlite: cannot create directory " + parent.string() + ": " + ec.message());
    }
    // A new database is created private before SQLite opens it: SQLite creates the -wal and -shm
    // files with the database file's mode.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::fchmod(fd, 0600);  // whatever the umask
        ::close(fd);
    }
    writer_ = std::make_unique<SqliteConnection>(path);
    // Switching a new database to WAL takes an exclusive lock without consulting the busy
    // handler, so processes opening one database at the same moment retry here.
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);;) {
        try {
            writer_->ExecScript(kPragmasWriter);
            break;
        } catch (const StoreError&) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    for (int i = 0; i < readers; ++i) {
        auto reader = std::make_unique<SqliteConnection>(path);
        reader->ExecScript(kPragmasReader);
        idle_readers_.push_back(std::move(reader));
    }
}

const detail::Dialect& SqliteDatabase::dialect() const {
    static const detail::Dialect kDialect{kBegin, "", ""};
    return kDialect;
}

void SqliteDatabase::Read(const std::function<void(detail::Connection&)>& fn) {
    std::unique_ptr<SqliteConnection> reader;
    {
        std::unique_lock lock(read_mutex_);
        read_ready_.wait(lock, [&] { return !idle_readers_.empty(); });
        reader = std::move(idle_readers_.back());
        idle_readers_.pop_back();
    }
    struct Return {
        SqliteDatabase* self;
        std::unique_ptr<SqliteConnection>& reader;
        ~Return() {
            {
                std::lock_guard lock(self->read_mutex_);
                self->idle_readers_.push_back(std::move(reader));
            }
            self->read_ready_.notify_one();
        }
    } give_back{this, reader};
    fn(*reader);
}

void SqliteDatabase::Write(const std::function<void(detail::Connection&)>& fn) {
    std::lock_guard lock(write_mutex_);
    writer_->ExecScript(kBegin);
    try {
        fn(*writer_);
        writer_->ExecScript(kCommit);
    } catch (...) {
        if (!sqlite3_get_autocommit(writer_->handle())) {
            try {
                writer_->ExecScript(kRollback);
            } catch (const StoreError&) {
                // The transaction is gone either way; the original error is the one to report.
            }
        }
        throw;
    }
}

void SqliteDatabase::Migrate() {
    Write([&](detail::Connection& c) {
        c.ExecScript(kCreateMigrationsTable);
        std::set<int> applied;
        detail::Rows rows = c.Query(kSelectAppliedVersions, {});
        for (std::size_t i = 0; i < rows.size(); ++i) applied.insert(static_cast<int>(rows[i].Int(0)));
        for (const detail::Migration& m : detail::SqliteMigrations()) {
            if (applied.count(m.version)) continue;
            c.ExecScript(m.sql);
            c.Exec(kInsertAppliedVersion, {std::int64_t{m.version}, std::string(m.name), NowMs()});
        }
    });
}

int SqliteDatabase::SchemaVersion() {
    int version = 0;
    Read([&](detail::Connection& c) {
        if (c.Query(kHasMigrationsTable, {})[0].Int(0) == 0) return;
        version = static_cast<int>(c.Query(kMaxVersion, {})[0].Int(0));
    });
    return version;
}

}  // namespace wadesk::store::sqlite
