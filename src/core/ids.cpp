#include "core/ids.h"

#include "core/bytes.h"
#include "core/clock.h"

namespace wadesk {
namespace {
constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr std::size_t kIdLength = 26;
}  // namespace

std::string NewId() {
    std::uint8_t raw[16];
    auto ms = static_cast<std::uint64_t>(NowMs());
    for (int i = 5; i >= 0; --i) {
        raw[i] = static_cast<std::uint8_t>(ms & 0xFF);
        ms >>= 8;
    }
    FillRandom(std::span<std::uint8_t>(raw + 6, 10));
    // 128 bits -> 26 base32 digits (130 bits, top two always zero).
    std::string out(kIdLength, '0');
    unsigned __int128 v = 0;
    for (std::uint8_t b : raw) v = (v << 8) | b;
    for (std::size_t i = kIdLength; i-- > 0;) {
        out[i] = kAlphabet[static_cast<unsigned>(v & 31)];
        v >>= 5;
    }
    return out;
}

bool IsWellFormedId(std::string_view id) {
    if (id.size() != kIdLength) return false;
    for (char c : id) {
        bool ok = false;
        for (const char* a = kAlphabet; *a; ++a) ok |= (*a == c);
        if (!ok) return false;
    }
    return id[0] <= '7';
}

}  // namespace wadesk
