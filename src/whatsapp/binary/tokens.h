#pragma once
// WhatsApp binary token dictionaries (dictionary version 3).
//
// A string that is in a dictionary goes on the wire as its index: a single-byte token is one
// byte 1..235; a double-byte token is DICTIONARY_n (236 + n) followed by one index byte. The
// lists are protocol data, generated into tokens_data.cpp by scripts/gen-wa-tokens.mjs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wadesk::wa {

inline constexpr int kDictVersion = 3;
inline constexpr std::size_t kSingleByteTokenCount = 236;  // index 0 is "" and is never emitted
inline constexpr std::size_t kDoubleByteDictCount = 4;
inline constexpr std::size_t kDoubleByteDictSize = 256;

enum class TokenKind : std::uint8_t { kSingleByte, kDoubleByte };

struct Token {
    TokenKind kind = TokenKind::kSingleByte;
    std::uint8_t dict = 0;   // 0..3 for kDoubleByte, 0 for kSingleByte
    std::uint8_t index = 0;  // 1..235 for kSingleByte, 0..255 for kDoubleByte

    bool operator==(const Token&) const = default;
};

// The token for `s`, if it has one. O(1). Never returns single-byte index 0 (the empty string).
std::optional<Token> FindToken(std::string_view s);

// The string of single-byte token `index`; nullopt for 0 and for indices >= 236.
std::optional<std::string_view> SingleByteToken(std::uint8_t index);

// The string of double-byte token `index` in dictionary `dict`; nullopt when dict > 3.
std::optional<std::string_view> DoubleByteToken(std::uint8_t dict, std::uint8_t index);

namespace detail {
extern const std::array<std::string_view, kSingleByteTokenCount> kSingleByteTokens;
extern const std::array<std::array<std::string_view, kDoubleByteDictSize>, kDoubleByteDictCount> kDoubleByteTokens;
}  // namespace detail

}  // namespace wadesk::wa
