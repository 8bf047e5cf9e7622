#pragma once
// WABinary wire constants.
//
// A stanza (one Noise frame plaintext) is a flags byte followed by one node. Flag bit 0x02 means
// the rest is a zlib stream (RFC 1950) holding the node. A node is a list
//   LIST_8 n | LIST_16 n(2 bytes BE), n = 1 + 2 * attribute count + (1 if content)
// followed by the tag string, the attribute (key, value) strings and, when n is even, content:
// a child list (LIST_EMPTY / LIST_8 / LIST_16 then the children), a byte blob (BINARY_8/20/32),
// or any other string encoding. Strings are: a single-byte token (1..235), DICTIONARY_n + index,
// NIBBLE_8 / HEX_8 packed text, JID_PAIR / AD_JID / FB_JID / INTEROP_JID, raw BINARY_8/20/32, or
// LIST_EMPTY for the empty string.
#include <cstdint>

namespace wadesk::wa::tag {

inline constexpr std::uint8_t kListEmpty = 0;
inline constexpr std::uint8_t kDictionary0 = 236;
inline constexpr std::uint8_t kDictionary3 = 239;
inline constexpr std::uint8_t kInteropJid = 245;
inline constexpr std::uint8_t kFbJid = 246;
inline constexpr std::uint8_t kAdJid = 247;
inline constexpr std::uint8_t kList8 = 248;
inline constexpr std::uint8_t kList16 = 249;
inline constexpr std::uint8_t kJidPair = 250;
inline constexpr std::uint8_t kHex8 = 251;
inline constexpr std::uint8_t kBinary8 = 252;
inline constexpr std::uint8_t kBinary20 = 253;
inline constexpr std::uint8_t kBinary32 = 254;
inline constexpr std::uint8_t kNibble8 = 255;

inline constexpr std::size_t kPackedMax = 127;  // longest string NIBBLE_8 / HEX_8 can carry

}  // namespace wadesk::wa::tag

namespace wadesk::wa {

inline constexpr std::uint8_t kFlagCompressed = 0x02;

}  // namespace wadesk::wa
