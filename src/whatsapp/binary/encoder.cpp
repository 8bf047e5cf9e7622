#include "whatsapp/binary/encoder.h"

#include <cstdint>
#include <string_view>

#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/binary/tokens.h"
#include "whatsapp/binary/wire.h"

namespace wadesk::wa {
namespace {

constexpr std::size_t kMaxListSize = 0xFFFF;
constexpr std::uint64_t kMaxBlob = 0xFFFFFFFFull;

int NibbleCode(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c == '-') return 10;
    if (c == '.') return 11;
    return -1;
}

int HexCode(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return 10 + (c - 'A');
    return -1;
}

template <class CodeFn>
bool Packable(std::string_view s, CodeFn code) {
    if (s.empty() || s.size() > tag::kPackedMax) return false;
    for (char c : s) {
        if (code(c) < 0) return false;
    }
    return true;
}

// Canonical decimal in [min, max]: no sign, no leading zero.
bool CanonicalNumber(std::string_view s, unsigned min, unsigned max, unsigned& out) {
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v < min || v > max) return false;
    out = v;
    return true;
}

class Writer {
public:
    explicit Writer(Bytes& out) : out_(out) {}

    bool WriteNode(const Node& node) {
        std::size_t n = 1 + 2 * node.attrs.size() + (std::holds_alternative<std::monostate>(node.content) ? 0 : 1);
        if (!WriteListStart(n)) return false;
        if (!WriteString(node.tag)) return false;
        for (const auto& a : node.attrs) {
            if (!WriteString(a.key) || !WriteString(a.value)) return false;
        }
        if (const auto* children = std::get_if<NodeList>(&node.content)) {
            if (!WriteListStart(children->size())) return false;
            for (const auto& c : *children) {
                if (!WriteNode(c)) return false;
            }
        } else if (const auto* bytes = std::get_if<Bytes>(&node.content)) {
            if (!WriteBlob(*bytes)) return false;
        }
        return true;
    }

    const Error& error() const { return error_; }

private:
    void Push(std::uint8_t b) { out_.push_back(b); }

    bool Fail(std::string message) {
        error_ = MakeError("node_too_large", std::move(message));
        return false;
    }

    bool WriteListStart(std::size_t n) {
        if (n == 0) {
            Push(tag::kListEmpty);
        } else if (n < 256) {
            Push(tag::kList8);
            Push(static_cast<std::uint8_t>(n));
        } else if (n <= kMaxListSize) {
            Push(tag::kList16);
            Push(static_cast<std::uint8_t>(n >> 8));
            Push(static_cast<std::uint8_t>(n));
        } else {
            return Fail("list of " + std::to_string(n) + " entries exceeds 65535");
        }
        return true;
    }

    bool WriteBlob(BytesView b) {
        std::uint64_t n = b.size();
        if (n > kMaxBlob) return Fail("blob of 4 GiB or more");
        if (n >= (1u << 20)) {
            Push(tag::kBinary32);
            Push(static_cast<std::uint8_t>(n >> 24));
            Push(static_cast<std::uint8_t>(n >> 16));
            Push(static_cast<std::uint8_t>(n >> 8));
            Push(static_cast<std::uint8_t>(n));
        } else if (n >= 256) {
            Push(tag::kBinary20);
            Push(static_cast<std::uint8_t>((n >> 16) & 0x0F));
            Push(static_cast<std::uint8_t>(n >> 8));
            Push(static_cast<std::uint8_t>(n));
        } else {
            Push(tag::kBinary8);
            Push(static_cast<std::uint8_t>(n));
        }
        out_.insert(out_.end(), b.begin(), b.end());
        return true;
    }

    template <class CodeFn>
    void WritePacked(std::uint8_t marker, std::string_view s, CodeFn code) {
        Push(marker);
        std::size_t half = s.size() / 2;
        bool odd = s.size() % 2 != 0;
        Push(static_cast<std::uint8_t>((half + (odd ? 1 : 0)) | (odd ? 0x80 : 0)));
        for (std::size_t i = 0; i < half; ++i) {
            Push(static_cast<std::uint8_t>((code(s[2 * i]) << 4) | code(s[2 * i + 1])));
        }
        if (odd) Push(static_cast<std::uint8_t>((code(s.back()) << 4) | 0x0F));
    }

    // Writes `s` as AD_JID or JID_PAIR when that decodes back to exactly `s`; false otherwise.
    bool TryWriteJid(std::string_view s) {
        auto at = s.find('@');
        std::string_view user_part = s.substr(0, at);
        std::string_view server = s.substr(at + 1);
        if (server.empty() || server.find('@') != std::string_view::npos) return false;

        if (auto colon = user_part.find(':'); colon != std::string_view::npos) {
            std::string_view base = user_part.substr(0, colon);
            unsigned device = 0;
            std::optional<std::uint8_t> domain;
            if (CanonicalNumber(user_part.substr(colon + 1), 1, 255, device) &&
                base.find('@') == std::string_view::npos) {
                if (server == kServerLid || server == kServerHosted || server == kServerHostedLid) {
                    if (base.find('_') == std::string_view::npos) {
                        domain = server == kServerLid      ? kDomainLid
                                 : server == kServerHosted ? kDomainHosted
                                                           : kDomainHostedLid;
                    }
                } else if (server == kServerUser) {
                    auto us = base.find('_');
                    unsigned agent = 0;
                    if (us == std::string_view::npos) {
                        domain = kDomainWhatsApp;
                    } else if (base.find('_', us + 1) == std::string_view::npos &&
                               CanonicalNumber(base.substr(us + 1), 2, 255, agent) && agent != kDomainHosted &&
                               agent != kDomainHostedLid) {
                        domain = static_cast<std::uint8_t>(agent);
                        base = base.substr(0, us);
                    }
                }
            }
            if (domain) {
                Push(tag::kAdJid);
                Push(*domain);
                Push(static_cast<std::uint8_t>(device));
                return WriteString(base);
            }
        }
        Push(tag::kJidPair);
        if (user_part.empty()) {
            Push(tag::kListEmpty);
        } else if (!WriteString(user_part)) {
            return false;
        }
        return WriteString(server);
    }

    bool WriteString(std::string_view s) {
        if (s.empty()) {
            Push(tag::kBinary8);
            Push(0);
            return true;
        }
        if (auto t = FindToken(s)) {
            if (t->kind == TokenKind::kDoubleByte) Push(static_cast<std::uint8_t>(tag::kDictionary0 + t->dict));
            Push(t->index);
            return true;
        }
        if (Packable(s, NibbleCode)) {
            WritePacked(tag::kNibble8, s, NibbleCode);
            return true;
        }
        if (Packable(s, HexCode)) {
            WritePacked(tag::kHex8, s, HexCode);
            return true;
        }
        if (s.find('@') != std::string_view::npos) {
            auto mark = out_.size();
            if (TryWriteJid(s)) return true;
            if (error_.code.size()) return false;
            out_.resize(mark);
        }
        return WriteBlob(AsBytes(s));
    }

    Bytes& out_;
    Error error_;
};

}  // namespace

Result<Bytes> EncodeNode(const Node& node) {
    Bytes out;
    Writer w(out);
    if (!w.WriteNode(node)) return w.error();
    return out;
}

Result<Bytes> EncodeStanza(const Node& node, Compression compression) {
    Bytes out{0x00};
    Writer w(out);
    if (!w.WriteNode(node)) return w.error();
    if (compression == Compression::kNone) return out;
    Bytes packed = ZlibDeflate(BytesView(out).subspan(1));
    Bytes framed;
    framed.reserve(packed.size() + 1);
    framed.push_back(kFlagCompressed);
    framed.insert(framed.end(), packed.begin(), packed.end());
    return framed;
}

}  // namespace wadesk::wa
