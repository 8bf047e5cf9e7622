#include "whatsapp/binary/tokens.h"

#include <string>
#include <unordered_map>

namespace wadesk::wa {
namespace {

// Built once on first use; the views point into the static token arrays.
const std::unordered_map<std::string_view, Token>& TokenMap() {
    static const std::unordered_map<std::string_view, Token> map = [] {
        std::unordered_map<std::string_view, Token> m;
        m.reserve(kSingleByteTokenCount + kDoubleByteDictCount * kDoubleByteDictSize);
        for (std::size_t i = 1; i < kSingleByteTokenCount; ++i) {
            m.emplace(detail::kSingleByteTokens[i],
                      Token{TokenKind::kSingleByte, 0, static_cast<std::uint8_t>(i)});
        }
        for (std::size_t d = 0; d < kDoubleByteDictCount; ++d) {
            for (std::size_t i = 0; i < kDoubleByteDictSize; ++i) {
                m.emplace(detail::kDoubleByteTokens[d][i],
                          Token{TokenKind::kDoubleByte, static_cast<std::uint8_t>(d), static_cast<std::uint8_t>(i)});
            }
        }
        return m;
    }();
    return map;
}

}  // namespace

std::optional<Token> FindToken(std::string_view s) {
    if (s.empty()) return std::nullopt;
    const auto& map = TokenMap();
    auto it = map.find(s);
    if (it == map.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string_view> SingleByteToken(std::uint8_t index) {
    if (index == 0 || index >= kSingleByteTokenCount) return std::nullopt;
    return detail::kSingleByteTokens[index];
}

std::optional<std::string_view> DoubleByteToken(std::uint8_t dict, std::uint8_t index) {
    if (dict >= kDoubleByteDictCount) return std::nullopt;
    return detail::kDoubleByteTokens[dict][index];
}

}  // namespace wadesk::wa
