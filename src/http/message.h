#pragma once
// Plain request/response values: what route handlers see. Nothing here depends on Beast, so
// handlers compile without it; the server (server.cpp) converts at the edge.
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wadesk::http {

struct Request {
    std::string method;                           // "GET", "POST", ... (upper case)
    std::string target;                           // as received: path plus query
    std::string path;                             // percent-decoded path, no query
    std::map<std::string, std::string> query;     // decoded; the first value wins on repeats
    std::map<std::string, std::string> headers;   // names lower-cased; see AddHeader
    std::string body;
    std::string remote_ip;
    std::map<std::string, std::string> params;    // path parameters of the matched route
    std::string route;                            // the matched route's template, "" when none

    // The header's value or "" when absent; `name` is lower case.
    const std::string& Header(const std::string& name) const;
    // Adds a received header line. A name that repeats keeps all its values, joined by ", " in
    // the order received (RFC 9110 §5.3), so that a repeat is never silently lost.
    void AddHeader(std::string_view name, std::string_view value);
    std::optional<std::string> Query(const std::string& name) const;
    const std::string& Param(const std::string& name) const;  // "" when absent
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers

    // A handler whose answer needs slow work off the worker pool (a password check on its own
    // pool) returns a Response with only this set. The server then calls deferred(done) once,
    // and waits, holding no worker thread, until `done` is called with the real response:
    // exactly once, from any thread. `deferred` and `done` must not throw.
    using Done = std::function<void(Response)>;
    std::function<void(Done done)> deferred;
};

// The one exception a handler throws to answer with an error envelope. `code` is snake_case.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string code, std::string message,
              std::vector<std::pair<std::string, std::string>> headers = {})
        : std::runtime_error(message), status_(status), code_(std::move(code)), headers_(std::move(headers)) {}
    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }
    const std::vector<std::pair<std::string, std::string>>& headers() const noexcept { return headers_; }

private:
    int status_;
    std::string code_;
    std::vector<std::pair<std::string, std::string>> headers_;
};

// Splits "/a/b?x=1&y=%20" into a decoded path and query map. Returns false on a malformed
// percent escape or a path that is not absolute.
bool ParseTarget(const std::string& target, std::string& path, std::map<std::string, std::string>& query);

}  // namespace wadesk::http
