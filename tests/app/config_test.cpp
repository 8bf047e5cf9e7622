#include "app/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace wadesk::app {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("wadesk-config-test-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string WriteFile(const std::string& text) {
        auto path = (dir / "wadesk.conf").string();
        std::ofstream(path) << text;
        return path;
    }
    fs::path dir;
};

TEST_F(ConfigTest, DefaultsWithNothingSet) {
    auto c = ParseConfig({}, {}, nullptr);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->listen_host, "127.0.0.1");
    EXPECT_EQ(c->listen_port, 8080);
    EXPECT_EQ(c->data_dir, "./data");
    EXPECT_TRUE(c->DatabaseUrl().starts_with("sqlite:///"));
    EXPECT_TRUE(c->DatabaseUrl().ends_with("/data/wadesk.db"));
    EXPECT_EQ(c->body_limit, 1024u * 1024u);
}

TEST_F(ConfigTest, FlagBeatsEnvBeatsFileBeatsDefault) {
    std::string file = WriteFile(
        "# comment\nWADESK_LISTEN=10.0.0.1:1000\nWADESK_DATA_DIR=/from/file\nWADESK_LOG_LEVEL = debug\n"
        "WADESK_WA_URL=\"wss://file.example/ws\"\n");
    std::map<std::string, std::string> env = {{"WADESK_LISTEN", "10.0.0.2:2000"}, {"WADESK_DATA_DIR", "/from/env"}};
    std::vector<std::string> rest;
    auto c = ParseConfig({"--config", file, "--listen=127.0.0.1:0", "extra", "--name", "X"}, env, &rest);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->listen_port, 0);                 // flag
    EXPECT_EQ(c->data_dir, "/from/env");          // env over file
    EXPECT_EQ(c->log_level, "debug");             // file over default
    EXPECT_EQ(c->wa_url, "wss://file.example/ws");
    EXPECT_EQ(c->worker_threads, 4u);             // default
    EXPECT_EQ(rest, (std::vector<std::string>{"extra", "--name", "X"}));  // unknown flags left for the command
}

TEST_F(ConfigTest, ConfigFileFromEnvironment) {
    std::string file = WriteFile("DATABASE_URL=postgres://u:p@127.0.0.1:5432/db\n");
    auto c = ParseConfig({}, {{"WADESK_CONFIG", file}}, nullptr);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->DatabaseUrl(), "postgres://u:p@127.0.0.1:5432/db");
}

TEST_F(ConfigTest, ListenForms) {
    auto v6 = ParseConfig({"--listen", "[::1]:9000"}, {}, nullptr);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->listen_host, "::1");
    EXPECT_EQ(v6->listen_port, 9000);
    for (const char* bad : {"8080", ":8080", "host:", "host:70000", "host:80x", "::1:80", "[::1]8080"})
        EXPECT_FALSE(ParseConfig({"--listen", bad}, {}, nullptr)) << bad;
}

TEST_F(ConfigTest, SocketIoWriteCoalescing) {
    auto d = ParseConfig({}, {}, nullptr);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->sio_write_coalesce_ms, 10);
    for (const char* ok : {"0", "1000"}) {
        auto c = ParseConfig({}, {{"WADESK_SIO_WRITE_COALESCE_MS", ok}}, nullptr);
        ASSERT_TRUE(c) << ok << ": " << c.error().message;
        EXPECT_EQ(c->sio_write_coalesce_ms, std::stoll(ok));
    }
    auto flag = ParseConfig({"--sio-write-coalesce", "25"}, {}, nullptr);
    ASSERT_TRUE(flag) << flag.error().message;
    EXPECT_EQ(flag->sio_write_coalesce_ms, 25);
    auto empty = ParseConfig({}, {{"WADESK_SIO_WRITE_COALESCE_MS", ""}}, nullptr);  // empty = unset
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_EQ(empty->sio_write_coalesce_ms, 10);
    for (const char* bad : {"-1", "1001", "ten", "5ms"}) {
        auto c = ParseConfig({}, {{"WADESK_SIO_WRITE_COALESCE_MS", bad}}, nullptr);
        ASSERT_FALSE(c) << bad;
        EXPECT_EQ(c.error().code, "invalid_config");
        EXPECT_NE(c.error().message.find("WADESK_SIO_WRITE_COALESCE_MS"), std::string::npos) << c.error().message;
    }
}

TEST_F(ConfigTest, LoginLimitsAndPasswordPool) {
    auto d = ParseConfig({}, {}, nullptr);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->login_account_limit, 5);
    EXPECT_EQ(d->login_ip_limit, 30);
    EXPECT_EQ(d->login_window_s, 60);
    EXPECT_EQ(d->password_threads, 0u);  // one per core
    EXPECT_EQ(d->password_queue, 16u);
    auto c = ParseConfig({"--login-account-limit", "3", "--password-queue=0"},
                         {{"WADESK_LOGIN_IP_LIMIT", "100"}, {"WADESK_LOGIN_WINDOW", "900"}, {"WADESK_PASSWORD_THREADS", "2"}},
                         nullptr);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->login_account_limit, 3);
    EXPECT_EQ(c->login_ip_limit, 100);
    EXPECT_EQ(c->login_window_s, 900);
    EXPECT_EQ(c->password_threads, 2u);
    EXPECT_EQ(c->password_queue, 0u);
    for (auto [name, bad] : std::vector<std::pair<std::string, std::string>>{
             {"WADESK_LOGIN_ACCOUNT_LIMIT", "0"}, {"WADESK_LOGIN_IP_LIMIT", "-1"}, {"WADESK_LOGIN_WINDOW", "0"},
             {"WADESK_LOGIN_WINDOW", "86401"}, {"WADESK_PASSWORD_THREADS", "257"}, {"WADESK_PASSWORD_QUEUE", "many"}}) {
        auto e = ParseConfig({}, {{name, bad}}, nullptr);
        ASSERT_FALSE(e) << name << "=" << bad;
        EXPECT_NE(e.error().message.find(name), std::string::npos) << e.error().message;
    }
}

TEST_F(ConfigTest, BadValuesAreClearErrors) {
    auto c = ParseConfig({}, {{"WADESK_WORKER_THREADS", "lots"}}, nullptr);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, "invalid_config");
    EXPECT_NE(c.error().message.find("WADESK_WORKER_THREADS"), std::string::npos) << c.error().message;

    EXPECT_FALSE(ParseConfig({"--listen"}, {}, nullptr));                      // missing value
    EXPECT_FALSE(ParseConfig({"--database-url", "mysql://x"}, {}, nullptr));
    EXPECT_FALSE(ParseConfig({"--jwt-secret", "short"}, {}, nullptr));
    EXPECT_FALSE(ParseConfig({"--master-key", "zz"}, {}, nullptr));
    EXPECT_FALSE(ParseConfig({"--log-level", "loud"}, {}, nullptr));
    EXPECT_FALSE(ParseConfig({"--config", (dir / "missing.conf").string()}, {}, nullptr));
    EXPECT_FALSE(ParseConfig({}, {{"WADESK_BOOTSTRAP_ADMIN_EMAIL", "a@b.c"}}, nullptr));

    auto line = ParseConfig({"--config", WriteFile("WADESK_LISTEN=127.0.0.1:1\nNOT_A_KEY=1\n")}, {}, nullptr);
    ASSERT_FALSE(line);
    EXPECT_NE(line.error().message.find(":2"), std::string::npos) << line.error().message;
    EXPECT_FALSE(ParseConfig({"--config", WriteFile("no equals sign\n")}, {}, nullptr));
}

TEST_F(ConfigTest, SecretIsGeneratedOnceWithMode0600) {
    auto data = (dir / "data").string();
    auto a = LoadOrCreateSecret(data, "jwt-secret", 32);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->size(), 64u);
    struct stat st {};
    ASSERT_EQ(::stat((dir / "data" / "jwt-secret").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    auto b = LoadOrCreateSecret(data, "jwt-secret", 32);
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace wadesk::app
