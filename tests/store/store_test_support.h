#pragma once
// Fresh databases for the store suites: a temporary SQLite file per test, and for PostgreSQL one
// database per test process (CREATE DATABASE wadesk_store_<random> on the server that
// WADESK_TEST_PG_URL names, dropped when the process ends).
#include <memory>
#include <string>

namespace wadesk::store::testing {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(Backend backend);

// A database URL for one test. Empty plus `error` set when it cannot be provided (then the test
// must fail, not skip).
struct TestUrl {
    std::string url;
    std::string error;
};
TestUrl AcquireTestUrl(Backend backend);

// A URL of a database nobody has touched yet (no schema): a new SQLite path, or a further
// PostgreSQL database dropped with the others when the process ends.
TestUrl AcquireFreshTestUrl(Backend backend);

// Removes what AcquireTestUrl made for one test (the SQLite temp directory).
void ReleaseTestUrl(Backend backend, const std::string& url);

// Drops the per-process PostgreSQL database, if one was created.
void DropPostgresTestDatabase();

// Replaces the database name in a postgres:// URL.
std::string WithDatabase(const std::string& url, const std::string& database);

}  // namespace wadesk::store::testing
