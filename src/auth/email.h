#pragma once
// The one spelling of an email address under which accounts are stored, looked up and
// throttled: surrounding white space removed, then Unicode NFKC_Casefold (compatibility
// decomposition, full case folding, canonical composition, default-ignorable code points such
// as U+00AD soft hyphen dropped). So "Kim@X.test", "kim@x.test", "\u212Aim@x.test" (U+212A
// KELVIN SIGN) and "k\u00ADim@x.test" are one account and one lockout key, on every backend:
// the database compares the stored bytes, never its own lower(). "\u0130" (capital I with dot)
// folds to "i\u0307", not to "i", so it names another account than "i" does.
// ASCII addresses come out as plain lowercase.
#include <optional>
#include <string>
#include <string_view>

namespace wadesk::auth {

// The normalised form, or nullopt when `email` is not valid UTF-8. Pure; thread-safe.
std::optional<std::string> NormaliseEmail(std::string_view email);

}  // namespace wadesk::auth
