#include "app/app.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/log.h"
#include "http/api.h"
#include "http/metrics.h"
#include "http/server.h"
#include "store/errors.h"
#include "engine/native_engine.h"

namespace wadesk::app {

std::string RedactUrl(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    auto at = url.find('@', scheme + 3);
    if (at == std::string::npos) return url;
    auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return url;
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Result<std::unique_ptr<App>> App::Open(const Config& config, bool migrate) {
    std::unique_ptr<App> app(new App());
    app->config_ = config;

    bool needs_data_dir = config.jwt_secret.empty() || config.master_key.empty() || config.database_url.empty();
    std::string jwt_secret = config.jwt_secret;
    app->master_key_ = config.master_key;
    if (needs_data_dir) {
        if (auto made = EnsurePrivateDir(config.data_dir); !made) return made.error();
        if (jwt_secret.empty()) {
            auto s = LoadOrCreateSecret(config.data_dir, "jwt-secret", 32);
            if (!s) return s.error();
            jwt_secret = *s;
        }
        if (app->master_key_.empty()) {
            auto s = LoadOrCreateSecret(config.data_dir, "master-key", 32);
            if (!s) return s.error();
            app->master_key_ = *s;
        }
    }

    auth::AuthConfig auth_config;
    auth_config.jwt_secret = ToBytes(jwt_secret);
    auth_config.token_ttl_s = config.token_ttl_s;
    auth_config.external.hs256_secret = config.external.hs256_secret;
    auth_config.external.claim_user = config.external.claim_user;
    auth_config.external.claim_company = config.external.claim_company;
    auth_config.external.claim_role = config.external.claim_role;
    if (!config.external.rs256_public_key_file.empty()) {
        std::ifstream in(config.external.rs256_public_key_file);
        if (!in)
            return MakeError("invalid_config",
                             "WADESK_JWT_EXTERNAL_PUBLIC_KEY_FILE " + config.external.rs256_public_key_file + " cannot be read");
        std::stringstream pem;
        pem << in.rdbuf();
        auth_config.external.rs256_public_pem = pem.str();
    }
    auto authenticator = auth::TokenAuthenticator::Create(std::move(auth_config));
    if (!authenticator)
        return MakeError("invalid_config", "external JWT key: " + authenticator.error().message);
    app->authenticator_ = std::move(*authenticator);

    std::string url = config.DatabaseUrl();
    try {
        // Password hashes, sealed credentials and message history: only we may read the file.
        if (auto sqlite = store::SqlitePathOf(url)) {
            for (const char* suffix : {"", "-wal", "-shm"}) KeepPrivate(*sqlite + suffix);
        }
        store::OpenOptions open_options;
        open_options.timeout = std::chrono::milliseconds(config.db_timeout_ms);
        app->repo_ = store::OpenRepository(url, migrate, open_options);
    } catch (const std::exception& e) {
        return MakeError("database", "cannot open database " + RedactUrl(url) + ": " + e.what());
    }

    // Files by content hash (decrypted media): a directory under the data directory.
    app->blobs_ = store::MakeDirectoryBlobStore((std::filesystem::path(config.data_dir) / "blobs").string());

    // The native engine; WADESK_WA_ENGINE=none runs the API without WhatsApp connectivity (the
    // null engine: sessions stay "initializing", see docs/api.md).
    if (config.wa_engine == "native") {
        engine::WaEngineConfig wa;
        wa.url = config.wa_url;
        wa.trust_root_hex = config.wa_trust_root;
        wa.receive_threads = static_cast<int>(config.wa_receive_threads);
        wa.blobs = app->blobs_.get();
        wa.media_max_bytes = config.media_max_bytes;
        wa.ca_file = config.wa_ca_file;
        wa.qr_timeout = std::chrono::seconds(config.wa_qr_timeout_s);
        auto engine = engine::MakeWaEngine(*app->repo_, app->master_key_, wa);
        if (!engine) return MakeError("invalid_config", "WhatsApp engine: " + engine.error().message);
        app->engine_ = std::move(*engine);
    }
    if (!app->engine_) app->engine_ = std::make_unique<service::NullEngine>();
    auth::LoginLimits limits;
    limits.per_account = config.login_account_limit;
    limits.per_ip = config.login_ip_limit;
    limits.window_ms = config.login_window_s * 1000;
    app->service_ = std::make_unique<service::WadeskService>(*app->repo_, app->bus_, app->access_,
                                                             *app->authenticator_, *app->engine_, limits);
    app->service_->SetBlobStore(app->blobs_.get());
    app->engine_->SetEvents(&app->service_->inbound());
    try {
        app->service_->operators().LoadViews();
    } catch (const std::exception& e) {
        return MakeError("database", std::string("cannot load users and grants: ") + e.what());
    }
    return app;
}

App::~App() {
    // The engine goes first, detached from the service: stopping its connections must neither
    // reach a destroyed service nor record them as disconnected, so that the next start resumes
    // every session that was connected (graceful shutdown keeps sessions linked).
    if (engine_) {
        engine_->SetEvents(nullptr);
        engine_.reset();
    }
}

void App::PrintFirstLoginHelp(const std::string& program, const std::string& base_url) {
    std::fprintf(stderr,
                 "no company exists yet. Create the first company and its admin with:\n"
                 "  %s company create --name 'My company' --admin-email admin@example.com "
                 "--admin-password 'choose-a-long-password' --data %s\n"
                 "then log in:\n"
                 "  curl -s %s/api/auth/login -H 'content-type: application/json' "
                 "-d '{\"email\":\"admin@example.com\",\"password\":\"choose-a-long-password\"}'\n"
                 "(or start serve with WADESK_BOOTSTRAP_ADMIN_EMAIL and WADESK_BOOTSTRAP_ADMIN_PASSWORD set)\n",
                 program.c_str(), config_.data_dir.c_str(), base_url.c_str());
}

int App::Serve(const std::string& program) {
    // A wrong master key must stop us before any session runs: otherwise sessions would fail
    // one by one, or re-pair and overwrite what the right key could still open.
    try {
        if (auto key_ok = engine::VerifyMasterKey(*repo_, master_key_); !key_ok) {
            std::fprintf(stderr,
                         "wadesk: refusing to start: the master key does not open the stored WhatsApp credentials "
                         "(%s); set WADESK_MASTER_KEY (or restore %s/master-key) to the key they were sealed with. "
                         "Nothing was changed.\n",
                         key_ok.error().message.c_str(), config_.data_dir.c_str());
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wadesk: start-up failed: %s\n", e.what());
        return 1;
    }
    http::Metrics metrics;
    http::ServerOptions options;
    options.host = config_.listen_host;
    options.port = config_.listen_port;
    options.io_threads = config_.io_threads;
    options.worker_threads = config_.worker_threads;
    options.handler_wait = std::chrono::milliseconds(config_.db_timeout_ms);
    options.max_connections = config_.max_connections;
    options.body_limit = config_.body_limit;
    // A multipart send carries a file: up to WADESK_MEDIA_MAX_BYTES plus room for its other parts.
    options.body_limit_for = [limit = config_.media_max_bytes](std::string_view method, std::string_view target) {
        return http::IsUploadRequest(method, target) ? static_cast<std::size_t>(limit) + (1u << 20) : std::size_t{0};
    };

    // Declared before the server: it outlives the server's threads and any login still waiting.
    auth::PasswordPool passwords(config_.password_threads ? config_.password_threads
                                                          : std::max(1u, std::thread::hardware_concurrency()),
                                 config_.password_queue);
    std::unique_ptr<http::Api> api;
    http::Server server(options, [&api](http::Request& req) { return api->Dispatch(req); }, &metrics);
    http::ApiOptions api_options;
    api_options.version = WADESK_VERSION;
    api_options.passwords = &passwords;
    api_options.media_max_bytes = config_.media_max_bytes;
    api_options.json_body_limit = config_.body_limit;
    api_options.extra_metrics = [&server, &passwords, this](std::string& out) {
        if (engine_) engine_->RenderMetrics(out);
        out += "# HELP wadesk_db_pool_threads Threads of the database worker pool.\n"
               "# TYPE wadesk_db_pool_threads gauge\nwadesk_db_pool_threads " +
               std::to_string(server.WorkerThreads()) + "\n";
        out += "# HELP wadesk_db_pool_in_flight Requests being handled on the worker pool.\n"
               "# TYPE wadesk_db_pool_in_flight gauge\nwadesk_db_pool_in_flight " +
               std::to_string(server.InFlight()) + "\n";
        out += "# HELP wadesk_http_connections_open HTTP connections and Socket.IO websockets open now.\n"
               "# TYPE wadesk_http_connections_open gauge\nwadesk_http_connections_open " +
               std::to_string(server.OpenConnections()) + "\n";
        out += "# HELP wadesk_login_checks_in_flight Logins checking or waiting to check a password.\n"
               "# TYPE wadesk_login_checks_in_flight gauge\nwadesk_login_checks_in_flight " +
               std::to_string(passwords.Admitted()) + "\n";
        out += "# HELP wadesk_login_busy_total Logins answered 503 busy (the password pool was full).\n"
               "# TYPE wadesk_login_busy_total counter\nwadesk_login_busy_total " +
               std::to_string(passwords.Refused()) + "\n";
    };
    api = std::make_unique<http::Api>(service_.get(), authenticator_.get(), metrics, std::move(api_options));

    unsigned short port = 0;
    try {
        port = server.Listen();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wadesk: %s\n", e.what());
        return 1;
    }
    std::string host = config_.listen_host.find(':') != std::string::npos ? "[" + config_.listen_host + "]"
                                                                           : config_.listen_host;
    std::string base_url = "http://" + host + ":" + std::to_string(port);

    std::shared_ptr<void> realtime = StartRealtime(server, *this);

    try {
        if (service_->operators().CountCompanies() == 0) {
            if (!config_.bootstrap_admin_email.empty()) {
                service::NewUser admin;
                admin.email = config_.bootstrap_admin_email;
                admin.password = config_.bootstrap_admin_password;
                admin.name = "Admin";
                auto [company, user] = service_->operators().CreateCompany(config_.bootstrap_company, admin);
                spdlog::info("created the first company {} ({}) with admin {}", company.name, company.id, user.email);
            } else {
                PrintFirstLoginHelp(program, base_url);
            }
        }
        service_->sessions().ResumeSessions();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wadesk: start-up failed: %s\n", e.what());
        return 1;
    }

    spdlog::info("database {}, data directory {}, realtime {}", RedactUrl(config_.DatabaseUrl()), config_.data_dir,
                 realtime ? "on" : "off");
    std::fprintf(stderr, "listening on %s\n", base_url.c_str());
    std::fprintf(stderr, "web console: %s/ (sign in with a company user)\n", base_url.c_str());
    std::fflush(stderr);
    server.Run();
    passwords.Stop();  // no login waits any more; a check still running answers into the stopped server
    realtime.reset();
    spdlog::info("stopped");
    return 0;
}

}  // namespace wadesk::app
