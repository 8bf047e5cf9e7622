#pragma once
// Process configuration: plain structs with defaults and one free Parse(). Each knob is a flag
// and an environment variable, and may also be set in a config file (--config / WADESK_CONFIG)
// of KEY=value lines whose keys are the environment variable names. Precedence:
// flag > environment > file > default. See docs/configuration.md.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace wadesk::app {

struct ExternalJwtConfig {
    std::string hs256_secret;            // WADESK_JWT_EXTERNAL_SECRET
    std::string rs256_public_key_file;   // WADESK_JWT_EXTERNAL_PUBLIC_KEY_FILE (PEM)
    std::string claim_user = "sub";      // WADESK_JWT_CLAIM_USER
    std::string claim_company = "cid";   // WADESK_JWT_CLAIM_COMPANY
    std::string claim_role = "role";     // WADESK_JWT_CLAIM_ROLE
};

struct Config {
    std::string listen_host = "127.0.0.1";
    unsigned short listen_port = 8080;   // 0: pick a free port
    std::string data_dir = "./data";
    std::string database_url;            // empty: sqlite://<data_dir>/wadesk.db
    std::string jwt_secret;              // empty: generated once, kept in <data_dir>/jwt-secret
    std::string master_key;              // empty: generated once, kept in <data_dir>/master-key
    std::string wa_url;                  // the WhatsApp endpoint for the engine (empty: its default)
    std::string wa_trust_root;           // the certificate trust root for the engine
    std::string wa_ca_file;              // WADESK_WA_CA_FILE: extra PEM CAs for TLS to WhatsApp (websocket, media)
    std::uint64_t media_max_bytes = 100ull << 20;  // WADESK_MEDIA_MAX_BYTES: largest media file fetched
    std::string wa_engine = "native";    // native (when built in) | none
    std::string log_level = "info";
    std::string log_format = "text";     // text | json
    std::string log_message_text = "preview";  // full | preview | off (WADESK_LOG_MESSAGE_TEXT)
    unsigned io_threads = 0;             // 0: one per core
    unsigned worker_threads = 4;         // the blocking (database) pool
    unsigned wa_receive_threads = 8;     // the engine's receive lanes: decrypt and commit
    unsigned wa_qr_timeout_s = 0;        // WADESK_WA_QR_TIMEOUT: a QR link's longest wait (0: WhatsApp's, ~160 s)
    std::int64_t db_timeout_ms = 5000;   // WADESK_DB_TIMEOUT_MS: longest wait on the database (and for a handler)
    std::size_t body_limit = 1024 * 1024;
    std::size_t max_connections = 10000;  // WADESK_MAX_CONNECTIONS: HTTP connections and websockets at once
    std::int64_t token_ttl_s = 12 * 3600;
    // Login throttling (auth::LoginLimits) and the password-check pool (auth::PasswordPool).
    int login_account_limit = 5;         // WADESK_LOGIN_ACCOUNT_LIMIT: failed logins per email per window
    int login_ip_limit = 30;             // WADESK_LOGIN_IP_LIMIT: failed logins per client address per window
    std::int64_t login_window_s = 60;    // WADESK_LOGIN_WINDOW
    unsigned password_threads = 0;       // WADESK_PASSWORD_THREADS; 0: one per core
    unsigned password_queue = 16;        // WADESK_PASSWORD_QUEUE: logins waiting for a password thread
    // Engine.IO (Socket.IO) transport, announced in the open packet.
    std::int64_t sio_ping_interval_ms = 25000;  // WADESK_SIO_PING_INTERVAL_MS
    std::int64_t sio_ping_timeout_ms = 20000;   // WADESK_SIO_PING_TIMEOUT_MS
    std::size_t sio_max_payload = 1000000;      // WADESK_SIO_MAX_PAYLOAD: bytes of one frame / polling body
    std::int64_t sio_write_coalesce_ms = 10;    // WADESK_SIO_WRITE_COALESCE_MS (RealtimeOptions::write_coalesce_ms)
    std::string bootstrap_company = "Default company";
    std::string bootstrap_admin_email;   // with the password: `serve` creates the first company
    std::string bootstrap_admin_password;
    ExternalJwtConfig external;
    std::string config_file;             // where file values came from, "" when none

    // The effective database URL (the SQLite default filled in).
    std::string DatabaseUrl() const;
};

// Parses `args` (the command line after the subcommand words), `env` and the config file.
// Options this function knows are consumed; everything else is returned in `rest` in order, for
// the subcommand to parse. Errors ("invalid_config") name the flag, variable or file line.
Result<Config> ParseConfig(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                           std::vector<std::string>* rest);

// The process environment as a map.
std::map<std::string, std::string> ProcessEnvironment();

// Usage text of the configuration options (for --help).
std::string ConfigHelp();

// Creates `dir` (and missing parents) with mode 0700, or takes group and other access away from
// an existing one (with a warning). Errors name the path.
Result<void> EnsurePrivateDir(const std::string& dir);

// Takes group and other access away from the file at `path` when it has any (with a warning
// naming the file and its old mode); nothing when the file does not exist.
void KeepPrivate(const std::string& path);

// Reads <dir>/<name>, or creates it with `bytes` random bytes (hex) and mode 0600 when absent;
// an existing file readable by others is made private (KeepPrivate). Creates `dir` (mode 0700)
// when needed. Errors name the path.
Result<std::string> LoadOrCreateSecret(const std::string& dir, const std::string& name, std::size_t bytes);

}  // namespace wadesk::app
