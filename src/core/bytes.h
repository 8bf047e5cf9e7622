#pragma once
// Byte buffers and their text forms (hex, base64, base64url).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wadesk {

using Bytes = std::vector<std::uint8_t>;
using BytesView = std::span<const std::uint8_t>;

inline BytesView AsBytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(BytesView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string ToString(BytesView b) { return std::string(AsString(b)); }

void Append(Bytes& out, BytesView more);
Bytes Concat(std::initializer_list<BytesView> parts);

std::string ToHex(BytesView b);                                  // lowercase
std::optional<Bytes> FromHex(std::string_view hex);              // either case; nullopt on bad input
std::string Base64Encode(BytesView b);                           // standard alphabet, padded
std::optional<Bytes> Base64Decode(std::string_view s);           // standard alphabet; padding optional
std::string Base64UrlEncode(BytesView b);                        // url alphabet, unpadded
std::optional<Bytes> Base64UrlDecode(std::string_view s);        // url alphabet; padding optional

// Cryptographically secure random bytes (libsodium).
Bytes RandomBytes(std::size_t n);
void FillRandom(std::span<std::uint8_t> out);

// Constant-time equality for secrets (MACs, tokens).
bool ConstantTimeEqual(BytesView a, BytesView b);

}  // namespace wadesk
