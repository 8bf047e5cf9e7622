#include "auth/email.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <vector>

namespace wadesk::auth {

std::optional<std::string> NormaliseEmail(std::string_view email) {
    auto b = email.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return std::string();
    email = email.substr(b, email.find_last_not_of(" \t\r\n") - b + 1);

    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
    if (U_FAILURE(status)) return std::nullopt;
    // UTF-8 → UTF-16 (strict: an invalid sequence is an error, not U+FFFD).
    std::vector<UChar> in(email.size() + 1);
    std::int32_t in_len = 0;
    u_strFromUTF8(in.data(), static_cast<std::int32_t>(in.size()), &in_len, email.data(),
                  static_cast<std::int32_t>(email.size()), &status);
    if (U_FAILURE(status)) return std::nullopt;
    // Case folding can lengthen text (U+0390 is three code points folded); grow once if needed.
    std::vector<UChar> out(static_cast<std::size_t>(in_len) * 3 + 16);
    std::int32_t out_len = unorm2_normalize(nfkc_cf, in.data(), in_len, out.data(), static_cast<std::int32_t>(out.size()),
                                            &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
        status = U_ZERO_ERROR;
        out.resize(static_cast<std::size_t>(out_len) + 1);
        out_len = unorm2_normalize(nfkc_cf, in.data(), in_len, out.data(), static_cast<std::int32_t>(out.size()), &status);
    }
    if (U_FAILURE(status)) return std::nullopt;
    std::string utf8(static_cast<std::size_t>(out_len) * 3 + 1, '\0');
    std::int32_t utf8_len = 0;
    u_strToUTF8(utf8.data(), static_cast<std::int32_t>(utf8.size()), &utf8_len, out.data(), out_len, &status);
    if (U_FAILURE(status)) return std::nullopt;
    utf8.resize(static_cast<std::size_t>(utf8_len));
    return utf8;
}

}  // namespace wadesk::auth
