#pragma once
// The HTTP/1.1 server: one coroutine per connection, keep-alive, header/body limits, read
// timeouts, graceful shutdown on SIGINT/SIGTERM. The io_context (a thread per core) accepts
// connections and carries Socket.IO websockets; each HTTP connection lives on a strand of the
// worker pool, where it reads, runs its handler (routing, auth, the database: blocking is
// allowed there) and writes, with no hand-off between threads per request. So no I/O thread
// ever blocks. This is the only place Beast is used for plain HTTP; handlers see
// http::Request / http::Response.
//
// A stalled database must not stall the server: at most `worker_threads` handlers run at once
// and the pool has one thread more, so reading, writing and the requests that never block
// (`inline_paths`, e.g. /health) go on while every handler waits on the database. A request that
// finds every handler slot taken waits for one without holding a thread, up to `handler_wait`,
// then is answered 503 database_unavailable.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace wadesk::http {

class Metrics;
class UpgradeHandler;

struct ServerOptions {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;                      // 0: the OS picks a free port
    unsigned io_threads = 0;                         // 0: one per core
    unsigned worker_threads = 4;                     // handlers (blocking DB work) running at once
    std::chrono::milliseconds handler_wait{5000};    // longest wait for a handler slot, then 503
    std::vector<std::string> inline_paths{"/health"};  // never block: answered without a slot
    std::size_t body_limit = 1024 * 1024;            // larger bodies: 413 payload_too_large
    // A larger limit for some requests (file uploads), from the method and target; 0 or unset:
    // body_limit.
    std::function<std::size_t(std::string_view method, std::string_view target)> body_limit_for;
    std::size_t header_limit = 16 * 1024;            // larger headers: 431
    std::chrono::seconds read_timeout{30};           // to receive one whole request once it started
    std::chrono::seconds idle_timeout{75};           // keep-alive connection with no request
    std::chrono::seconds shutdown_grace{10};         // in-flight requests may finish within this
    // Connections open at once (HTTP and Socket.IO websockets); at the cap, new ones wait in
    // the listen backlog until one closes.
    std::size_t max_connections = 10000;
    // Accepting fails at the descriptor limit (EMFILE, ENFILE): the acceptor then pauses, from
    // accept_backoff_min doubling to accept_backoff_max (or until a connection closes), and logs
    // the failures once per accept_log_interval.
    std::chrono::milliseconds accept_backoff_min{50};
    std::chrono::milliseconds accept_backoff_max{1000};
    std::chrono::seconds accept_log_interval{10};
};

// Turns one request into one response. Runs on the worker pool; must not throw (exceptions
// are answered 500 and logged). A response with `deferred` set is awaited on the connection's
// strand without holding a worker thread (Response::deferred).
using Dispatcher = std::function<Response(Request&)>;

class Server {
public:
    Server(ServerOptions options, Dispatcher dispatcher, Metrics* metrics = nullptr);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and listens. Throws std::runtime_error naming the address on failure.
    // Returns the bound port (the real one when options.port was 0).
    unsigned short Listen();
    // REQUIRES: called before Run(). The handler must outlive the server.
    void SetUpgradeHandler(UpgradeHandler* handler);
    // Serves until SIGINT/SIGTERM or Stop(); blocks the caller, which becomes an I/O thread.
    // On a stop: stops accepting, lets in-flight requests finish (up to shutdown_grace), returns.
    void Run();
    void Stop();  // thread-safe; Run() returns soon after
    // REQUIRES: called before Run(). Runs on an I/O thread when shutdown begins (after the
    // acceptor closed, before waiting for in-flight requests): e.g. close websockets.
    void OnShutdown(std::function<void()> callback);

    boost::asio::io_context& IoContext();
    boost::asio::thread_pool& WorkerPool();
    std::size_t InFlight() const;      // requests being handled now (gauge for /metrics)
    std::size_t OpenConnections() const;  // HTTP connections and Socket.IO websockets open now
    unsigned WorkerThreads() const;    // handler slots (the pool has one thread more)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wadesk::http
