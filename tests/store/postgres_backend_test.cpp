// The shared repository suite against PostgreSQL (label `postgres`). Needs WADESK_TEST_PG_URL;
// without it every test fails with a message saying so.
#include <gtest/gtest.h>

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

}  // namespace wadesk::store::testing
