// Stand-in when the realtime module is not built: "/socket.io/" then answers 404 like any
// unknown route.
#include "app/app.h"

namespace wadesk::app {

std::shared_ptr<void> StartRealtime(http::Server&, App&) { return nullptr; }

}  // namespace wadesk::app
