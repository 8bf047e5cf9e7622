#pragma once
// Identifiers for rows we create: 26 characters of lowercase Crockford base32, a 48-bit
// millisecond timestamp followed by 80 random bits, so ids sort by creation time.
#include <string>
#include <string_view>

namespace wadesk {

std::string NewId();

// True when `id` has the shape NewId() produces. Lets handlers answer 404 for ids of the
// wrong shape without touching the database.
bool IsWellFormedId(std::string_view id);

}  // namespace wadesk
