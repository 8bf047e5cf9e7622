#include "core/result.h"

namespace wadesk {

ErrorException::ErrorException(Error error) : std::runtime_error(error.code + ": " + error.message), error_(std::move(error)) {}

void throw_exception_from_error(const Error& error, const boost::source_location&) { throw ErrorException(error); }

}  // namespace wadesk
