#include "app/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/bytes.h"
#include "core/log.h"
#include "core/text.h"

extern char** environ;

namespace wadesk::app {
namespace {

using Setter = std::function<std::optional<std::string>(Config&, const std::string&)>;  // error text or nullopt

struct Knob {
    const char* flag;   // without the leading "--"
    const char* env;
    const char* help;
    Setter set;
};

std::optional<std::string> SetString(std::string& field, const std::string& v) {
    field = v;
    return std::nullopt;
}

template <class T>
std::optional<std::string> SetNumber(T& field, const std::string& v, T min, T max) {
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || n < static_cast<long long>(min) ||
        n > static_cast<long long>(max))
        return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    field = static_cast<T>(n);
    return std::nullopt;
}

std::optional<std::string> SetListen(Config& c, const std::string& v) {
    std::string host, port;
    if (!v.empty() && v.front() == '[') {
        auto close = v.find(']');
        if (close == std::string::npos || close + 1 >= v.size() || v[close + 1] != ':')
            return "must be HOST:PORT or [IPV6]:PORT";
        host = v.substr(1, close - 1);
        port = v.substr(close + 2);
    } else {
        auto colon = v.rfind(':');
        if (colon == std::string::npos || v.find(':') != colon) return "must be HOST:PORT or [IPV6]:PORT";
        host = v.substr(0, colon);
        port = v.substr(colon + 1);
    }
    if (host.empty()) return "has an empty host";
    unsigned short p = 0;
    if (auto err = SetNumber<unsigned short>(p, port, 0, 65535)) return "port " + *err;
    c.listen_host = host;
    c.listen_port = p;
    return std::nullopt;
}

const std::vector<Knob>& Knobs() {
    static const std::vector<Knob> knobs = {
        {"listen", "WADESK_LISTEN", "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one)",
         SetListen},
        {"data", "WADESK_DATA_DIR", "data directory (default ./data)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.empty()) return "must not be empty";
             return SetString(c.data_dir, v);
         }},
        {"database-url", "DATABASE_URL", "postgres://... or sqlite:///path (default: SQLite in the data directory)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.find("://") != std::string::npos && !v.starts_with("postgres://") &&
                 !v.starts_with("postgresql://") && !v.starts_with("sqlite://"))
                 return "must start with postgres://, postgresql:// or sqlite://";
             return SetString(c.database_url, v);
         }},
        {"jwt-secret", "WADESK_JWT_SECRET", "HS256 secret for our tokens, >= 16 bytes (default: generated, kept in the data directory)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.size() < 16) return "must be at least 16 bytes long";
             return SetString(c.jwt_secret, v);
         }},
        {"master-key", "WADESK_MASTER_KEY", "key that encrypts WhatsApp credentials at rest (64 hex digits; default: generated)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             auto bytes = FromHex(v);
             if (!bytes || bytes->size() != 32) return "must be 64 hex digits (32 bytes)";
             return SetString(c.master_key, v);
         }},
        {"wa-url", "WADESK_WA_URL", "WhatsApp websocket URL for the engine",
         [](Config& c, const std::string& v) { return SetString(c.wa_url, v); }},
        {"wa-trust-root", "WADESK_WA_TRUST_ROOT", "WhatsApp certificate trust root for the engine",
         [](Config& c, const std::string& v) { return SetString(c.wa_trust_root, v); }},
        {"wa-ca-file", "WADESK_WA_CA_FILE",
         "PEM file of extra CA certificates trusted for every TLS connection to WhatsApp, on top of the system store",
         [](Config& c, const std::string& v) { return SetString(c.wa_ca_file, v); }},
        {"media-max-bytes", "WADESK_MEDIA_MAX_BYTES",
         "largest media file downloaded or sent, in bytes (default 104857600)",
         [](Config& c, const std::string& v) {
             return SetNumber<std::uint64_t>(c.media_max_bytes, v, 1, std::uint64_t{1} << 40);
         }},
        {"wa-engine", "WADESK_WA_ENGINE", "native (the built-in WhatsApp client) or none (sessions stay initializing)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v != "native" && v != "none") return "must be native or none";
             return SetString(c.wa_engine, v);
         }},
        {"log-level", "WADESK_LOG_LEVEL", "trace|debug|info|warn|error|off (default info)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             for (const char* l : {"trace", "debug", "info", "warn", "error", "off"})
                 if (v == l) return SetString(c.log_level, v);
             return "must be one of trace, debug, info, warn, error, off";
         }},
        {"log-format", "WADESK_LOG_FORMAT", "text|json (default text)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v != "text" && v != "json") return "must be text or json";
             return SetString(c.log_format, v);
         }},
        {"log-message-text", "WADESK_LOG_MESSAGE_TEXT",
         "how much of a WhatsApp message's text log lines show: full|preview (first 40 characters)|off (default preview)",
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v != "full" && v != "preview" && v != "off") return "must be full, preview or off";
             return SetString(c.log_message_text, v);
         }},
        {"io-threads", "WADESK_IO_THREADS", "I/O threads (default: one per core)",
         [](Config& c, const std::string& v) { return SetNumber<unsigned>(c.io_threads, v, 0, 256); }},
        {"wa-receive-threads", "WADESK_WA_RECEIVE_THREADS",
         "threads that decrypt and commit received WhatsApp messages (default 2)",
         [](Config& c, const std::string& v) { return SetNumber<unsigned>(c.wa_receive_threads, v, 1, 256); }},
        {"wa-qr-timeout", "WADESK_WA_QR_TIMEOUT",
         "seconds a link by QR code waits for the scan before the account stops (default: WhatsApp's own sequence "
         "of codes, about 160 s)",
         [](Config& c, const std::string& v) { return SetNumber<unsigned>(c.wa_qr_timeout_s, v, 1, 600); }},
        {"worker-threads", "WADESK_WORKER_THREADS", "database worker threads (default 4)",
         [](Config& c, const std::string& v) { return SetNumber<unsigned>(c.worker_threads, v, 1, 256); }},
        {"db-timeout", "WADESK_DB_TIMEOUT_MS",
         "longest wait in ms for the database (PostgreSQL: each call, a pooled or new connection) and for a free "
         "request handler; then 503 database_unavailable (default 5000)",
         [](Config& c, const std::string& v) { return SetNumber<std::int64_t>(c.db_timeout_ms, v, 100, 600000); }},
        {"max-connections", "WADESK_MAX_CONNECTIONS",
         "connections open at once, HTTP and Socket.IO websockets; more wait until one closes (default 10000)",
         [](Config& c, const std::string& v) { return SetNumber<std::size_t>(c.max_connections, v, 1, 1000000); }},
        {"body-limit", "WADESK_BODY_LIMIT", "largest JSON request body in bytes (default 1048576)",
         [](Config& c, const std::string& v) {
             return SetNumber<std::size_t>(c.body_limit, v, 1024, 64 * 1024 * 1024);
         }},
        {"token-ttl", "WADESK_TOKEN_TTL", "lifetime of issued tokens in seconds (default 43200)",
         [](Config& c, const std::string& v) {
             return SetNumber<std::int64_t>(c.token_ttl_s, v, 60, 30LL * 24 * 3600);
         }},
        {"login-account-limit", "WADESK_LOGIN_ACCOUNT_LIMIT",
         "failed logins per email within the login window before 429 (default 5)",
         [](Config& c, const std::string& v) { return SetNumber<int>(c.login_account_limit, v, 1, 100000); }},
        {"login-ip-limit", "WADESK_LOGIN_IP_LIMIT",
         "failed logins per client address within the login window before 429 (default 30)",
         [](Config& c, const std::string& v) { return SetNumber<int>(c.login_ip_limit, v, 1, 1000000); }},
        {"login-window", "WADESK_LOGIN_WINDOW", "seconds over which failed logins are counted (default 60)",
         [](Config& c, const std::string& v) { return SetNumber<std::int64_t>(c.login_window_s, v, 1, 86400); }},
        {"password-threads", "WADESK_PASSWORD_THREADS", "threads that check login passwords (default: one per core)",
         [](Config& c, const std::string& v) { return SetNumber<unsigned>(c.password_threads, v, 0, 256); }},
        {"password-queue", "WADESK_PASSWORD_QUEUE",
         "logins that may wait for a password thread; more are answered 503 busy (default 16)",
         [](Config& c, const std::string& v) { return SetNumber<unsigned>(c.password_queue, v, 0, 100000); }},
        {"sio-ping-interval", "WADESK_SIO_PING_INTERVAL_MS", "Socket.IO: ms between server pings (default 25000)",
         [](Config& c, const std::string& v) {
             return SetNumber<std::int64_t>(c.sio_ping_interval_ms, v, 100, 3600 * 1000);
         }},
        {"sio-ping-timeout", "WADESK_SIO_PING_TIMEOUT_MS", "Socket.IO: ms to wait for a pong before closing (default 20000)",
         [](Config& c, const std::string& v) {
             return SetNumber<std::int64_t>(c.sio_ping_timeout_ms, v, 100, 3600 * 1000);
         }},
        {"sio-max-payload", "WADESK_SIO_MAX_PAYLOAD", "Socket.IO: largest websocket message or polling body in bytes (default 1000000)",
         [](Config& c, const std::string& v) {
             return SetNumber<std::size_t>(c.sio_max_payload, v, 1024, 64 * 1024 * 1024);
         }},
        {"sio-write-coalesce", "WADESK_SIO_WRITE_COALESCE_MS",
         "Socket.IO: under load, event writes per socket at most one per this many ms; 0 writes each at once (default 10)",
         [](Config& c, const std::string& v) {
             return SetNumber<std::int64_t>(c.sio_write_coalesce_ms, v, 0, 1000);
         }},
        {"bootstrap-company", "WADESK_BOOTSTRAP_COMPANY", "name of the first company created by serve",
         [](Config& c, const std::string& v) { return SetString(c.bootstrap_company, v); }},
        {"bootstrap-admin-email", "WADESK_BOOTSTRAP_ADMIN_EMAIL", "serve creates the first company and this admin when there is none",
         [](Config& c, const std::string& v) { return SetString(c.bootstrap_admin_email, v); }},
        {"bootstrap-admin-password", "WADESK_BOOTSTRAP_ADMIN_PASSWORD", "password of that admin",
         [](Config& c, const std::string& v) { return SetString(c.bootstrap_admin_password, v); }},
        {"jwt-external-secret", "WADESK_JWT_EXTERNAL_SECRET", "integration mode: the external issuer's HS256 secret",
         [](Config& c, const std::string& v) { return SetString(c.external.hs256_secret, v); }},
        {"jwt-external-public-key-file", "WADESK_JWT_EXTERNAL_PUBLIC_KEY_FILE", "integration mode: PEM file of the issuer's RS256 public key",
         [](Config& c, const std::string& v) { return SetString(c.external.rs256_public_key_file, v); }},
        {"jwt-claim-user", "WADESK_JWT_CLAIM_USER", "integration mode: claim holding the user id (default sub)",
         [](Config& c, const std::string& v) { return SetString(c.external.claim_user, v); }},
        {"jwt-claim-company", "WADESK_JWT_CLAIM_COMPANY", "integration mode: claim holding the company id (default cid)",
         [](Config& c, const std::string& v) { return SetString(c.external.claim_company, v); }},
        {"jwt-claim-role", "WADESK_JWT_CLAIM_ROLE", "integration mode: claim holding the role, admin|manager (default role)",
         [](Config& c, const std::string& v) { return SetString(c.external.claim_role, v); }},
    };
    return knobs;
}

Error Invalid(const std::string& where, const std::string& what) {
    return MakeError("invalid_config", where + " " + what);
}

}  // namespace

std::string Config::DatabaseUrl() const {
    if (!database_url.empty()) return database_url;
    return "sqlite://" + (std::filesystem::absolute(data_dir) / "wadesk.db").lexically_normal().string();
}

Result<Config> ParseConfig(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                           std::vector<std::string>* rest) {
    const auto& knobs = Knobs();
    // 1. Collect flags (and --config) first; they are applied last.
    std::vector<std::pair<const Knob*, std::string>> flags;
    std::string config_file;
    if (auto it = env.find("WADESK_CONFIG"); it != env.end()) config_file = it->second;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (!a.starts_with("--")) {
            if (rest) rest->push_back(a);
            continue;
        }
        std::string name = a.substr(2), value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        const Knob* knob = nullptr;
        for (const auto& k : knobs)
            if (name == k.flag) knob = &k;
        if (!knob && name != "config") {
            if (rest) rest->push_back(a);
            continue;
        }
        if (!has_value) {
            if (i + 1 >= args.size()) return Invalid("--" + name, "needs a value");
            value = args[++i];
        }
        if (name == "config") config_file = value;
        else flags.emplace_back(knob, value);
    }

    Config config;
    // 2. The file.
    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in) return Invalid("config file " + config_file, std::string("cannot be read: ") + std::strerror(errno));
        config.config_file = config_file;
        std::string line;
        int line_no = 0;
        while (std::getline(in, line)) {
            ++line_no;
            line = std::string(TrimAscii(line));
            if (line.empty() || line[0] == '#') continue;
            auto eq = line.find('=');
            std::string where = config_file + ":" + std::to_string(line_no);
            if (eq == std::string::npos) return Invalid(where, "is not KEY=value");
            std::string key(TrimAscii(std::string_view(line).substr(0, eq)));
            std::string value(TrimAscii(std::string_view(line).substr(eq + 1)));
            if (value.size() >= 2 && ((value.front() == '"' && value.back() == '"') ||
                                      (value.front() == '\'' && value.back() == '\'')))
                value = value.substr(1, value.size() - 2);
            const Knob* knob = nullptr;
            for (const auto& k : knobs)
                if (key == k.env) knob = &k;
            if (!knob) return Invalid(where, "has an unknown key '" + key + "'");
            if (auto err = knob->set(config, value)) return Invalid(where + " " + key, *err);
        }
    }
    // 3. The environment.
    for (const auto& k : knobs) {
        auto it = env.find(k.env);
        if (it == env.end() || it->second.empty()) continue;
        if (auto err = k.set(config, it->second)) return Invalid(std::string(k.env), *err);
    }
    // 4. The flags.
    for (const auto& [knob, value] : flags)
        if (auto err = knob->set(config, value)) return Invalid(std::string("--") + knob->flag, *err);

    if (!config.external.hs256_secret.empty() && !config.external.rs256_public_key_file.empty())
        return Invalid("integration mode", "takes either an external HS256 secret or an RS256 key file, not both");
    if (config.bootstrap_admin_email.empty() != config.bootstrap_admin_password.empty())
        return Invalid("bootstrap admin", "needs both WADESK_BOOTSTRAP_ADMIN_EMAIL and WADESK_BOOTSTRAP_ADMIN_PASSWORD");
    return config;
}

std::map<std::string, std::string> ProcessEnvironment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return env;
}

std::string ConfigHelp() {
    std::ostringstream out;
    out << "  --config FILE (WADESK_CONFIG)\n      KEY=value file; keys are the environment variable names\n";
    for (const auto& k : Knobs()) out << "  --" << k.flag << " (" << k.env << ")\n      " << k.help << "\n";
    return out.str();
}

Result<void> EnsurePrivateDir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return MakeError("data_dir", "cannot create data directory " + dir + ": " + ec.message());
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        return MakeError("data_dir", "cannot read data directory " + dir + ": " + std::strerror(errno));
    }
    if ((st.st_mode & 077) != 0) {
        // Just created (the umask decides its mode) or left open by someone: only we may enter.
        if (::chmod(dir.c_str(), st.st_mode & 0700) != 0) {
            spdlog::warn("data directory {} has mode {:04o} and cannot be made private: {}", dir, st.st_mode & 07777,
                         std::strerror(errno));
        } else if (!std::filesystem::is_empty(dir, ec)) {
            spdlog::warn("data directory {} had mode {:04o}; changed to {:04o}", dir, st.st_mode & 07777,
                         st.st_mode & 0700);
        }
    }
    return {};
}

void KeepPrivate(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
    if (::chmod(path.c_str(), st.st_mode & 0600) != 0) {
        spdlog::warn("{} is readable by others (mode {:04o}) and cannot be made private: {}", path, st.st_mode & 07777,
                     std::strerror(errno));
        return;
    }
    spdlog::warn("{} was readable by others (mode {:04o}); changed to {:04o}", path, st.st_mode & 07777,
                 st.st_mode & 0600);
}

Result<std::string> LoadOrCreateSecret(const std::string& dir, const std::string& name, std::size_t bytes) {
    if (auto made = EnsurePrivateDir(dir); !made) return made.error();
    std::string path = (std::filesystem::path(dir) / name).string();
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::ifstream in(path);
        if (in) {
            KeepPrivate(path);
            std::string value;
            std::getline(in, value);
            value = std::string(TrimAscii(value));
            if (value.size() < 32) return MakeError("secret_file", path + " holds no usable secret; delete it to regenerate");
            return Result<std::string>(boost::system::in_place_value, value);
        }
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            if (errno == EEXIST) continue;  // created concurrently: read it
            return MakeError("secret_file", "cannot create " + path + ": " + std::strerror(errno));
        }
        std::string value = ToHex(RandomBytes(bytes));
        std::string line = value + "\n";
        bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        ok = ::fsync(fd) == 0 && ok;
        ::close(fd);
        if (!ok) return MakeError("secret_file", "cannot write " + path);
        return Result<std::string>(boost::system::in_place_value, value);
    }
    return MakeError("secret_file", "cannot read " + path);
}

}  // namespace wadesk::app
