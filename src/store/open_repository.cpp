#include <string_view>

#include "store/errors.h"
#include "store/postgres/pg_database.h"
#include "store/repository.h"
#include "store/sql_repository.h"
#include "store/sqlite/sqlite_database.h"

namespace wadesk::store {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::optional<std::string> SqlitePathOf(const std::string& url) {
    if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) return std::nullopt;
    std::string path = url;
    if (StartsWith(path, "sqlite://")) path = path.substr(std::string_view("sqlite://").size());
    if (path.empty()) throw StoreError("store: empty database path in '" + url + "'");
    if (path.find("://") != std::string::npos) throw StoreError("store: unsupported database url '" + url + "'");
    return path;
}

std::unique_ptr<Repository> OpenRepository(const std::string& url, bool migrate, const OpenOptions& options) {
    std::unique_ptr<detail::Database> db;
    if (auto path = SqlitePathOf(url)) {
        db = std::make_unique<sqlite::SqliteDatabase>(*path);
    } else {
        db = std::make_unique<postgres::PgDatabase>(url, options.timeout);
    }
    if (migrate) db->Migrate();
    return std::make_unique<SqlRepository>(std::move(db));
}

}  // namespace wadesk::store
