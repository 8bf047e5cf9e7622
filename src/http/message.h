#pragma once
// Plain request/response values: what route handlers see. Nothing here depends on Beast, so
// handlers compile without it; the server (server.cpp) converts at the edge.
#include <cstddef>
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

// The error codes the HTTP layer answers with on its own (the service's failures carry
// service::ErrorCode), in the order of kHttpErrorCodes.
enum class HttpErrorCode {
    kBadRequest,
    kInvalidJson,
    kInvalidField,
    kMissingField,
    kUnknownField,
    kInvalidQuery,
    kEmptyPatch,
    kInvalidMultipart,
    kMissingToken,
    kNotFound,
    kMethodNotAllowed,
    kConflict,
    kPayloadTooLarge,
    kHeadersTooLarge,
    kInternalError,
    kDatabaseUnavailable,
    kBusy,
};

struct HttpErrorCodeInfo {
    HttpErrorCode code;
    std::string_view api_name;  // as the JSON error body spells it
    int status;
};

inline constexpr HttpErrorCodeInfo kHttpErrorCodes[] = {
    {HttpErrorCode::kBadRequest, "bad_request", 400},
    {HttpErrorCode::kInvalidJson, "invalid_json", 400},
    {HttpErrorCode::kInvalidField, "invalid_field", 400},
    {HttpErrorCode::kMissingField, "missing_field", 400},
    {HttpErrorCode::kUnknownField, "unknown_field", 400},
    {HttpErrorCode::kInvalidQuery, "invalid_query", 400},
    {HttpErrorCode::kEmptyPatch, "empty_patch", 400},
    {HttpErrorCode::kInvalidMultipart, "invalid_multipart", 400},
    {HttpErrorCode::kMissingToken, "missing_token", 401},
    {HttpErrorCode::kNotFound, "not_found", 404},
    {HttpErrorCode::kMethodNotAllowed, "method_not_allowed", 405},
    {HttpErrorCode::kConflict, "conflict", 409},
    {HttpErrorCode::kPayloadTooLarge, "payload_too_large", 413},
    {HttpErrorCode::kHeadersTooLarge, "headers_too_large", 431},
    {HttpErrorCode::kInternalError, "internal_error", 500},
    {HttpErrorCode::kDatabaseUnavailable, "database_unavailable", 503},
    {HttpErrorCode::kBusy, "busy", 503},
};

constexpr bool HttpErrorCodesInEnumOrder() {
    for (std::size_t i = 0; i < std::size(kHttpErrorCodes); ++i)
        if (kHttpErrorCodes[i].code != static_cast<HttpErrorCode>(i)) return false;
    return std::size(kHttpErrorCodes) == static_cast<std::size_t>(HttpErrorCode::kBusy) + 1;
}
static_assert(HttpErrorCodesInEnumOrder(), "kHttpErrorCodes must list every HttpErrorCode once, in enum order");

constexpr std::string_view ApiName(HttpErrorCode code) {
    return kHttpErrorCodes[static_cast<std::size_t>(code)].api_name;
}
constexpr int StatusOf(HttpErrorCode code) { return kHttpErrorCodes[static_cast<std::size_t>(code)].status; }

// The one exception a handler throws to answer with an error envelope. `code` is snake_case.
class HttpError : public std::runtime_error {
public:
    HttpError(HttpErrorCode code, std::string message, std::vector<std::pair<std::string, std::string>> headers = {})
        : std::runtime_error(message), status_(StatusOf(code)), code_(ApiName(code)), headers_(std::move(headers)) {}
    // An error under a code another module chose (the authenticator's verdict on a token).
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
