#include "core/bytes.h"

#include <sodium.h>

#include <stdexcept>

namespace wadesk {
namespace {

struct SodiumInit {
    SodiumInit() {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    }
};

void EnsureSodium() { static SodiumInit init; }

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(BytesView b, const char* alphabet, bool pad) {
    std::string out;
    out.reserve((b.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= b.size(); i += 3) {
        std::uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    std::size_t rest = b.size() - i;
    if (rest == 1) {
        std::uint32_t v = b[i] << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (pad) out += "==";
    } else if (rest == 2) {
        std::uint32_t v = (b[i] << 16) | (b[i + 1] << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        if (pad) out += '=';
    }
    return out;
}

std::optional<Bytes> Decode(std::string_view s, const char* alphabet) {
    int table[256];
    for (int& t : table) t = -1;
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    if (s.size() % 4 == 1) return std::nullopt;
    Bytes out;
    out.reserve(s.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        int v = table[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

void Append(Bytes& out, BytesView more) { out.insert(out.end(), more.begin(), more.end()); }

Bytes Concat(std::initializer_list<BytesView> parts) {
    Bytes out;
    for (BytesView p : parts) Append(out, p);
    return out;
}

std::string ToHex(BytesView b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(b.size() * 2);
    for (std::uint8_t x : b) {
        out += kDigits[x >> 4];
        out += kDigits[x & 15];
    }
    return out;
}

std::optional<Bytes> FromHex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

std::string Base64Encode(BytesView b) { return Encode(b, kB64, true); }
std::optional<Bytes> Base64Decode(std::string_view s) { return Decode(s, kB64); }
std::string Base64UrlEncode(BytesView b) { return Encode(b, kB64Url, false); }
std::optional<Bytes> Base64UrlDecode(std::string_view s) { return Decode(s, kB64Url); }

void FillRandom(std::span<std::uint8_t> out) {
    EnsureSodium();
    randombytes_buf(out.data(), out.size());
}

Bytes RandomBytes(std::size_t n) {
    Bytes out(n);
    FillRandom(out);
    return out;
}

bool ConstantTimeEqual(BytesView a, BytesView b) {
    if (a.size() != b.size()) return false;
    EnsureSodium();
    return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace wadesk
