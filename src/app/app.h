#pragma once
// The wiring of one wadesk process: configuration → store → authenticator, permission view,
// event bus, engine → service → HTTP server (+ the Socket.IO server when it is linked in).
// The realtime server and any other consumer reach the shared pieces through the accessors.
#include <memory>
#include <string>

#include "app/config.h"
#include "auth/token_authenticator.h"
#include "service/engine.h"
#include "service/event_bus.h"
#include "service/memory_access_view.h"
#include "service/wadesk_service.h"
#include "store/blob_store.h"
#include "store/repository.h"

namespace wadesk::http {
class Server;
}

namespace wadesk::app {

class App {
public:
    // Opens the database (applying migrations when `migrate`), loads or creates the secrets,
    // builds the authenticator and the in-memory views. Error codes: "invalid_config" (exit 2),
    // anything else (exit 1). Messages never contain secrets.
    static Result<std::unique_ptr<App>> Open(const Config& config, bool migrate = true);
    ~App();

    // Serves until SIGINT/SIGTERM. Logs "listening on http://HOST:PORT" once bound. Returns the
    // process exit code.
    int Serve(const std::string& program);

    const Config& config() const { return config_; }
    store::Repository& repository() { return *repo_; }
    auth::TokenAuthenticator& authenticator() { return *authenticator_; }
    service::MemoryAccessView& access_view() { return access_; }
    service::EventBus& bus() { return bus_; }
    service::WadeskService& service() { return *service_; }

private:
    App() = default;
    void PrintFirstLoginHelp(const std::string& program, const std::string& base_url);

    Config config_;
    std::string master_key_;
    std::unique_ptr<store::Repository> repo_;
    std::unique_ptr<store::BlobStore> blobs_;  // before the engine and the service, which use it
    std::unique_ptr<auth::TokenAuthenticator> authenticator_;
    service::MemoryAccessView access_;
    service::EventBus bus_;
    std::unique_ptr<service::Engine> engine_;
    std::unique_ptr<service::WadeskService> service_;
};

// Hides the password of a database URL for messages ("postgres://u:***@h/db").
std::string RedactUrl(const std::string& url);

// Installs the Socket.IO server on `server` when the realtime module is linked in; the returned
// handle stops it when destroyed. Null when there is no realtime module.
std::shared_ptr<void> StartRealtime(http::Server& server, App& app);

}  // namespace wadesk::app
