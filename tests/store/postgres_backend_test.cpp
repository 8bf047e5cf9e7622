// The shared repository suite against PostgreSQL (label `postgres`). Needs WADESK_TEST_PG_URL;
// without it every test fails with a message saying so.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <thread>
#include <vector>

#include "store/errors.h"
#include "store/repository.h"
#include "store/repository_test.h"

namespace wadesk::store::testing {

namespace {

class DropDatabaseAtExit : public ::testing::Environment {
public:
    void TearDown() override { DropPostgresTestDatabase(); }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new DropDatabaseAtExit);

}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, RepositoryTest, ::testing::Values(Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

TEST(PostgresUrl, UnreachableServerIsAConnectionError) {
    EXPECT_THROW(OpenRepository("postgres://nobody@127.0.0.1:1/none?connect_timeout=2"), ConnectionError);
}

TEST(PostgresUrl, PostgresqlSchemeIsAccepted) {
    TestUrl url = AcquireTestUrl(Backend::kPostgres);
    ASSERT_TRUE(url.error.empty()) << url.error;
    std::string alt = "postgresql://" + url.url.substr(url.url.find("://") + 3);
    auto repo = OpenRepository(alt);
    EXPECT_TRUE(repo->Ping());
}

// The server closes every pooled connection (restart, idle kill): callers see no error, the pool
// replaces the dead connections.
TEST(PostgresPool, ReplacesConnectionsTheServerClosed) {
    TestUrl url = AcquireTestUrl(Backend::kPostgres);
    ASSERT_TRUE(url.error.empty()) << url.error;
    auto repo = OpenRepository(url.url);
    Company c = repo->CreateCompany({.name = "pool"});
    std::vector<std::thread> warm;
    for (int t = 0; t < 4; ++t) {
        warm.emplace_back([&] {
            for (int i = 0; i < 20; ++i) repo->FindCompany(c.id);
        });
    }
    for (auto& th : warm) th.join();

    PGconn* admin = PQconnectdb(url.url.c_str());
    ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
    PGresult* killed = PQexec(admin,
                              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    ASSERT_EQ(PQresultStatus(killed), PGRES_TUPLES_OK) << PQresultErrorMessage(killed);
    EXPECT_GE(PQntuples(killed), 1);
    PQclear(killed);
    PQfinish(admin);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    for (int i = 0; i < 12; ++i) {
        auto found = repo->FindCompany(c.id);
        ASSERT_TRUE(found);
        EXPECT_EQ(found->name, "pool");
    }
    Company d = repo->CreateCompany({.name = "after"});
    EXPECT_EQ(repo->FindCompany(d.id)->name, "after");
    EXPECT_TRUE(repo->Ping());
}

}  // namespace wadesk::store::testing
