// The shared repository suite against SQLite, plus what only SQLite has: file URLs.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/bytes.h"
#include "store/errors.h"
#include "store/repository.h"
#include "store/repository_test.h"

namespace wadesk::store::testing {

INSTANTIATE_TEST_SUITE_P(Sqlite, RepositoryTest, ::testing::Values(Backend::kSqlite),
                         [](const auto& info) { return BackendName(info.param); });

class SqliteUrlTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("wadesk-store-url-" + ToHex(RandomBytes(8)));
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::filesystem::path dir_;
};

TEST_F(SqliteUrlTest, AbsoluteUrlCreatesParentDirectory) {
    std::filesystem::path file = dir_ / "a" / "b" / "wadesk.db";
    auto repo = OpenRepository("sqlite://" + file.string());
    Company c = repo->CreateCompany({.name = "Acme"});
    EXPECT_TRUE(std::filesystem::exists(file));
    repo.reset();
    auto again = OpenRepository("sqlite://" + file.string());
    ASSERT_TRUE(again->FindCompany(c.id).has_value());
}

TEST_F(SqliteUrlTest, BarePathAndRelativeUrl) {
    std::filesystem::create_directories(dir_);
    std::filesystem::path old = std::filesystem::current_path();
    std::filesystem::current_path(dir_);
    {
        auto relative = OpenRepository("sqlite://rel/x.db");
        EXPECT_TRUE(relative->Ping());
        auto bare = OpenRepository((dir_ / "bare.db").string());
        EXPECT_TRUE(bare->Ping());
    }
    std::filesystem::current_path(old);
    EXPECT_TRUE(std::filesystem::exists(dir_ / "rel" / "x.db"));
    EXPECT_TRUE(std::filesystem::exists(dir_ / "bare.db"));
}

TEST_F(SqliteUrlTest, UnopenablePathIsAConnectionError) {
    std::filesystem::create_directories(dir_);
    std::filesystem::path blocker = dir_ / "file";
    { std::FILE* f = std::fopen(blocker.c_str(), "w"); std::fclose(f); }
    EXPECT_THROW(OpenRepository((blocker / "x.db").string()), ConnectionError);
    EXPECT_THROW(OpenRepository("mysql://host/db"), StoreError);
}

}  // namespace wadesk::store::testing
