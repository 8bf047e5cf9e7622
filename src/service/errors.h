#pragma once
// The service layer's one failure type. It carries meaning, not HTTP: the REST layer maps each
// kind to a status (bad input 400, not found 404, forbidden 403, conflict 409, unprocessable 422,
// rate limited 429, unavailable 503). "Not visible to this user" is kNotFound, never kForbidden.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace wadesk::service {

enum class FailureKind {
    kBadInput,
    kUnauthenticated,
    kForbidden,
    kNotFound,
    kConflict,
    kUnprocessable,
    kRateLimited,
    kUnavailable,
};

class ServiceError : public std::runtime_error {
public:
    ServiceError(FailureKind kind, std::string code, const std::string& message, std::int64_t retry_after_s = 0)
        : std::runtime_error(message), kind_(kind), code_(std::move(code)), retry_after_s_(retry_after_s) {}
    FailureKind kind() const noexcept { return kind_; }
    const std::string& code() const noexcept { return code_; }
    std::int64_t retry_after_s() const noexcept { return retry_after_s_; }  // kRateLimited only

private:
    FailureKind kind_;
    std::string code_;
    std::int64_t retry_after_s_;
};

}  // namespace wadesk::service
