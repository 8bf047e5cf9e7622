#pragma once
// Result<T>: the return type of every codec and protocol layer. Bad bytes from a peer are an
// expected outcome, reported as an Error value, never as an exception or a crash.
#include <boost/system/result.hpp>

#include <string>
#include <utility>

namespace wadesk {

struct Error {
    std::string code;     // snake_case, stable, machine-readable ("truncated_frame")
    std::string message;  // human text; never carries secrets

    bool operator==(const Error&) const = default;
};

template <class T>
using Result = boost::system::result<T, Error>;

inline Error MakeError(std::string code, std::string message) {
    return Error{std::move(code), std::move(message)};
}

// Called by Result<T>::value() when it holds an error: throws ErrorException.
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& location);

class ErrorException : public std::runtime_error {
public:
    explicit ErrorException(Error error);
    const Error& error() const noexcept { return error_; }

private:
    Error error_;
};

}  // namespace wadesk
