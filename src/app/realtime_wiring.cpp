// Installs the Socket.IO server (src/realtime) on the HTTP server.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "app/app.h"
#include "http/server.h"
#include "realtime/server.h"

namespace wadesk::app {

std::shared_ptr<void> StartRealtime(http::Server& server, App& app) {
    realtime::RealtimeOptions options;
    options.engine.ping_interval_ms = app.config().sio_ping_interval_ms;
    options.engine.ping_timeout_ms = app.config().sio_ping_timeout_ms;
    options.engine.max_payload = app.config().sio_max_payload;
    options.write_coalesce_ms = app.config().sio_write_coalesce_ms;
    auto rt = std::make_shared<realtime::RealtimeServer>(server.IoContext().get_executor(),
                                                         server.WorkerPool().get_executor(), app.authenticator(),
                                                         app.access_view(), app.bus(), &app.repository(), options);
    rt->Start();
    server.SetUpgradeHandler(rt.get());
    server.OnShutdown([raw = rt.get()] { raw->Stop(); });  // close sockets while the io_context runs
    return std::shared_ptr<void>(rt.get(), [rt](void*) { rt->Stop(); });
}

}  // namespace wadesk::app
