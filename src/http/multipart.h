#pragma once
// multipart/form-data (RFC 7578) request bodies: the boundary from the Content-Type, then each
// part's headers (Content-Disposition form-data with name and optional filename, optional
// Content-Type) and bytes. Pure and allocation-bounded (parts refer into the body); every
// malformed input is an error, never a crash. Fuzzed by fuzz/multipart_fuzz.cpp.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace wadesk::http {

struct FormPart {
    std::string name;
    std::optional<std::string> filename;  // present for file parts (may be empty)
    std::string content_type;             // "" when the part names none
    std::string_view data;                // into the body
};

inline constexpr std::size_t kMaxFormParts = 64;

// The boundary parameter of a multipart/form-data Content-Type; nullopt when the type is not
// multipart/form-data or the boundary is missing or invalid (1..70 characters).
std::optional<std::string> FormBoundary(std::string_view content_type);

// Errors (code bad_multipart): no opening boundary, a part without a closing boundary, a part
// without headers end, a part without Content-Disposition form-data and a name, more than
// kMaxFormParts parts, header lines over 8 KiB.
Result<std::vector<FormPart>> ParseMultipart(std::string_view boundary, std::string_view body);

}  // namespace wadesk::http
