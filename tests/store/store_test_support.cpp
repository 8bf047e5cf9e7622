#include "store/store_test_support.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "core/bytes.h"

namespace wadesk::store::testing {

namespace {

std::mutex g_mutex;
std::string g_pg_admin_url;  // WADESK_TEST_PG_URL
std::string g_pg_database;   // created for this process, empty until then
std::vector<std::string> g_pg_extra_databases;  // made by AcquireFreshTestUrl

// Runs one statement on `url`; returns an error text, empty on success.
std::string RunAdmin(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
        error = PQerrorMessage(conn);
    } else {
        PGresult* result = PQexec(conn, sql.c_str());
        if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
        PQclear(result);
    }
    PQfinish(conn);
    return error;
}

}  // namespace

std::string BackendName(Backend backend) { return backend == Backend::kSqlite ? "sqlite" : "postgres"; }

std::string WithDatabase(const std::string& url, const std::string& database) {
    std::size_t scheme = url.find("://");
    std::size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::size_t query = url.find('?', scheme == std::string::npos ? 0 : scheme + 3);
    std::string base = url.substr(0, std::min(slash, query));
    std::string tail = query == std::string::npos ? "" : url.substr(query);
    return base + "/" + database + tail;
}

TestUrl AcquireTestUrl(Backend backend) {
    if (backend == Backend::kSqlite) {
        std::filesystem::path dir = std::filesystem::temp_directory_path() / ("wadesk-store-test-" + ToHex(RandomBytes(8)));
        return {"sqlite://" + (dir / "sub" / "store.db").string(), ""};
    }
    std::lock_guard lock(g_mutex);
    if (g_pg_database.empty()) {
        const char* env = std::getenv("WADESK_TEST_PG_URL");
        if (!env || !*env) {
            return {"", "WADESK_TEST_PG_URL is not set: the PostgreSQL store tests need a server "
                        "(make test starts one; or run scripts/pg-temp.sh start DIR and export its URL)"};
        }
        g_pg_admin_url = env;
        std::string name = "wadesk_store_" + ToHex(RandomBytes(6));
        std::string error = RunAdmin(g_pg_admin_url, "CREATE DATABASE " + name);
        if (!error.empty()) return {"", "cannot create test database on WADESK_TEST_PG_URL: " + error};
        g_pg_database = name;
    }
    return {WithDatabase(g_pg_admin_url, g_pg_database), ""};
}

TestUrl AcquireFreshTestUrl(Backend backend) {
    if (backend == Backend::kSqlite) return AcquireTestUrl(backend);
    TestUrl base = AcquireTestUrl(backend);
    if (!base.error.empty()) return base;
    std::lock_guard lock(g_mutex);
    std::string name = "wadesk_store_" + ToHex(RandomBytes(6));
    std::string error = RunAdmin(g_pg_admin_url, "CREATE DATABASE " + name);
    if (!error.empty()) return {"", "cannot create test database on WADESK_TEST_PG_URL: " + error};
    g_pg_extra_databases.push_back(name);
    return {WithDatabase(g_pg_admin_url, name), ""};
}

void ReleaseTestUrl(Backend backend, const std::string& url) {
    if (backend != Backend::kSqlite || url.empty()) return;
    std::filesystem::path db = url.substr(std::string("sqlite://").size());
    std::error_code ec;
    std::filesystem::remove_all(db.parent_path().parent_path(), ec);
}

void DropPostgresTestDatabase() {
    std::lock_guard lock(g_mutex);
    for (const std::string& name : g_pg_extra_databases) {
        RunAdmin(g_pg_admin_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
    g_pg_extra_databases.clear();
    if (g_pg_database.empty()) return;
    RunAdmin(g_pg_admin_url, "DROP DATABASE IF EXISTS " + g_pg_database + " WITH (FORCE)");
    g_pg_database.clear();
}

}  // namespace wadesk::store::testing
