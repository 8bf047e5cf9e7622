#include "whatsapp/binary/decoder.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "whatsapp/binary/jid.h"
#include "whatsapp/binary/tokens.h"
#include "whatsapp/binary/wire.h"

namespace wadesk::wa {
namespace {

// Rough memory cost of one decoded node / attribute beyond its string bytes; used to bound the
// memory a stanza can make us allocate.
constexpr std::size_t kNodeCost = sizeof(Node);
constexpr std::size_t kAttrCost = sizeof(Attr);

// Markers of strings that contain no other string (so reading one never recurses).
bool IsPlainStringMarker(std::uint8_t m) {
    return (m >= 1 && m < kSingleByteTokenCount) || (m >= tag::kDictionary0 && m <= tag::kDictionary3) ||
           m == tag::kBinary8 || m == tag::kBinary20 || m == tag::kBinary32 || m == tag::kHex8 || m == tag::kNibble8;
}

class Reader {
public:
    Reader(BytesView data, const DecodeLimits& limits) : data_(data), limits_(limits) {}

    Result<Node> ReadRoot() {
        Node node;
        if (!ReadNode(node, 1)) return error_;
        if (pos_ != data_.size()) {
            return MakeError("trailing_bytes",
                             std::to_string(data_.size() - pos_) + " bytes after the end of the node");
        }
        return node;
    }

private:
    bool Fail(const char* code, std::string message) {
        if (error_.code.empty()) {
            error_ = MakeError(code, std::move(message) + " at offset " + std::to_string(pos_));
        }
        return false;
    }

    std::size_t Remaining() const { return data_.size() - pos_; }

    bool Need(std::size_t n) {
        if (Remaining() < n) return Fail("truncated", "need " + std::to_string(n) + " bytes, have " + std::to_string(Remaining()));
        return true;
    }

    bool Charge(std::size_t n) {
        budget_ += n;
        if (budget_ > limits_.max_decoded_bytes) return Fail("too_large", "decoded stanza exceeds the size limit");
        return true;
    }

    bool ReadByte(std::uint8_t& out) {
        if (!Need(1)) return false;
        out = data_[pos_++];
        return true;
    }

    bool ReadInt(std::size_t n, std::uint32_t& out) {
        if (!Need(n)) return false;
        out = 0;
        for (std::size_t i = 0; i < n; ++i) out = (out << 8) | data_[pos_++];
        return true;
    }

    bool ReadInt20(std::uint32_t& out) {
        if (!Need(3)) return false;
        out = (static_cast<std::uint32_t>(data_[pos_] & 0x0F) << 16) | (data_[pos_ + 1] << 8) | data_[pos_ + 2];
        pos_ += 3;
        return true;
    }

    // Length of a BINARY_8/20/32 payload; nullopt-like false for other markers.
    bool ReadBlobLength(std::uint8_t marker, std::uint32_t& len) {
        switch (marker) {
            case tag::kBinary8: {
                std::uint8_t b = 0;
                if (!ReadByte(b)) return false;
                len = b;
                return true;
            }
            case tag::kBinary20:
                return ReadInt20(len);
            case tag::kBinary32:
                return ReadInt(4, len);
            default:
                return Fail("bad_tag", "not a binary marker");
        }
    }

    bool ReadRaw(std::uint32_t len, std::string& out) {
        if (!Need(len) || !Charge(len)) return false;
        out.assign(reinterpret_cast<const char*>(data_.data() + pos_), len);
        pos_ += len;
        return true;
    }

    bool ReadPacked(std::uint8_t marker, std::string& out) {
        std::uint8_t head = 0;
        if (!ReadByte(head)) return false;
        std::size_t n = head & 0x7F;
        bool odd = (head & 0x80) != 0;
        if (!Need(n) || !Charge(2 * n)) return false;
        out.clear();
        out.reserve(2 * n);
        for (std::size_t i = 0; i < n; ++i) {
            std::uint8_t b = data_[pos_++];
            for (int shift : {4, 0}) {
                int v = (b >> shift) & 0x0F;
                bool pad_position = odd && i + 1 == n && shift == 0;
                if (pad_position) break;  // the pad nibble is dropped whatever its value
                char c = 0;
                if (marker == tag::kHex8) {
                    c = static_cast<char>(v < 10 ? '0' + v : 'A' + (v - 10));
                } else if (v <= 9) {
                    c = static_cast<char>('0' + v);
                } else if (v == 10) {
                    c = '-';
                } else if (v == 11) {
                    c = '.';
                } else {
                    return Fail("bad_packed", "invalid nibble " + std::to_string(v));
                }
                out += c;
            }
        }
        return true;
    }

    bool ReadJidPart(std::size_t depth, std::string& out) {
        std::uint8_t marker = 0;
        return ReadByte(marker) && ReadString(marker, depth + 1, out);
    }

    bool ReadJidPair(std::size_t depth, std::string& out) {
        std::string user, server;
        if (!ReadJidPart(depth, user) || !ReadJidPart(depth, server)) return false;
        if (server.empty()) return Fail("bad_jid", "JID pair without a server");
        if (!Charge(1)) return false;
        out = std::move(user);
        out += '@';
        out += server;
        return true;
    }

    bool ReadAdJid(std::size_t depth, std::string& out) {
        std::uint8_t domain = 0, device = 0;
        std::string user;
        if (!ReadByte(domain) || !ReadByte(device) || !ReadJidPart(depth, user)) return false;
        Jid jid;
        jid.user = std::move(user);
        jid.device = device;
        switch (domain) {
            case kDomainWhatsApp: jid.server = kServerUser; break;
            case kDomainLid: jid.server = kServerLid; break;
            case kDomainHosted: jid.server = kServerHosted; break;
            case kDomainHostedLid: jid.server = kServerHostedLid; break;
            default:
                jid.server = kServerUser;
                jid.agent = domain;
        }
        out = jid.ToString();
        return Charge(out.size());
    }

    bool ReadFbJid(std::size_t depth, std::string& out) {
        std::string user, server;
        std::uint32_t device = 0;
        if (!ReadJidPart(depth, user) || !ReadInt(2, device) || !ReadJidPart(depth, server)) return false;
        if (server.empty()) return Fail("bad_jid", "FB JID without a server");
        out = user + ":" + std::to_string(device) + "@" + server;
        return Charge(out.size());
    }

    bool ReadInteropJid(std::size_t depth, std::string& out) {
        std::string user, server;
        std::uint32_t device = 0, integrator = 0;
        if (!ReadJidPart(depth, user) || !ReadInt(2, device) || !ReadInt(2, integrator)) return false;
        // The server is optional: when no valid plain string (token, packed or raw) follows, it is
        // "interop" and nothing is consumed. JID and list markers are never taken as the server, so
        // the retry cannot recurse (backtracking over nested JIDs would be exponential).
        std::size_t mark = pos_;
        std::size_t budget_mark = budget_;
        bool have_server = false;
        if (Remaining() > 0 && IsPlainStringMarker(data_[pos_])) {
            std::uint8_t marker = data_[pos_++];
            have_server = ReadString(marker, depth + 1, server) && !server.empty();
        }
        if (!have_server) {
            pos_ = mark;
            budget_ = budget_mark;
            error_ = Error{};
            server = kServerInterop;
        }
        out = std::to_string(integrator) + "-" + user + ":" + std::to_string(device) + "@" + server;
        return Charge(out.size());
    }

    bool ReadString(std::uint8_t marker, std::size_t depth, std::string& out) {
        if (depth > limits_.max_depth) return Fail("too_deep", "strings nested too deeply");
        if (marker >= 1 && marker < kSingleByteTokenCount) {
            out = *SingleByteToken(marker);
            return Charge(out.size());
        }
        switch (marker) {
            case tag::kListEmpty:
                out.clear();
                return true;
            case tag::kDictionary0:
            case tag::kDictionary0 + 1:
            case tag::kDictionary0 + 2:
            case tag::kDictionary3: {
                std::uint8_t index = 0;
                if (!ReadByte(index)) return false;
                out = *DoubleByteToken(static_cast<std::uint8_t>(marker - tag::kDictionary0), index);
                return Charge(out.size());
            }
            case tag::kBinary8:
            case tag::kBinary20:
            case tag::kBinary32: {
                std::uint32_t len = 0;
                return ReadBlobLength(marker, len) && ReadRaw(len, out);
            }
            case tag::kJidPair:
                return ReadJidPair(depth, out);
            case tag::kAdJid:
                return ReadAdJid(depth, out);
            case tag::kFbJid:
                return ReadFbJid(depth, out);
            case tag::kInteropJid:
                return ReadInteropJid(depth, out);
            case tag::kHex8:
            case tag::kNibble8:
                return ReadPacked(marker, out);
            default:
                return Fail("bad_tag", "invalid string marker " + std::to_string(marker));
        }
    }

    bool ReadListSize(std::uint8_t marker, std::size_t& size) {
        std::uint32_t v = 0;
        switch (marker) {
            case tag::kListEmpty:
                size = 0;
                return true;
            case tag::kList8:
                if (!ReadInt(1, v)) return false;
                break;
            case tag::kList16:
                if (!ReadInt(2, v)) return false;
                break;
            default:
                return Fail("bad_list", "invalid list marker " + std::to_string(marker));
        }
        size = v;
        return true;
    }

    bool ReadNode(Node& node, std::size_t depth) {
        if (depth > limits_.max_depth) return Fail("too_deep", "nodes nested too deeply");
        if (++nodes_ > limits_.max_nodes) return Fail("too_many_nodes", "stanza has too many nodes");
        if (!Charge(kNodeCost)) return false;

        std::uint8_t marker = 0;
        std::size_t size = 0;
        if (!ReadByte(marker) || !ReadListSize(marker, size)) return false;
        if (size == 0) return Fail("bad_node", "node list is empty");
        if (!ReadByte(marker) || !ReadString(marker, 0, node.tag)) return false;
        if (node.tag.empty()) return Fail("bad_node", "node tag is empty");

        std::size_t attr_count = (size - 1) / 2;
        std::vector<Attr> attrs;
        // Growth past a small reservation is driven by attributes actually present in the input.
        attrs.reserve(std::min<std::size_t>(attr_count, 16));
        for (std::size_t i = 0; i < attr_count; ++i) {
            Attr a;
            if (!Charge(kAttrCost) || !ReadByte(marker) || !ReadString(marker, 0, a.key) || !ReadByte(marker) ||
                !ReadString(marker, 0, a.value)) {
                return false;
            }
            attrs.push_back(std::move(a));
        }
        node.attrs = Attrs(std::move(attrs));

        if (size % 2 == 1) return true;  // no content

        if (!ReadByte(marker)) return false;
        switch (marker) {
            case tag::kListEmpty:
            case tag::kList8:
            case tag::kList16: {
                std::size_t count = 0;
                if (!ReadListSize(marker, count)) return false;
                NodeList children;
                // Growth past a small reservation is driven by children actually present in the input.
                children.reserve(std::min<std::size_t>(count, 16));
                for (std::size_t i = 0; i < count; ++i) {
                    children.emplace_back();
                    if (!ReadNode(children.back(), depth + 1)) return false;
                }
                node.content = std::move(children);
                return true;
            }
            case tag::kBinary8:
            case tag::kBinary20:
            case tag::kBinary32: {
                std::uint32_t len = 0;
                if (!ReadBlobLength(marker, len) || !Need(len) || !Charge(len)) return false;
                node.content = Bytes(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                     data_.begin() + static_cast<std::ptrdiff_t>(pos_ + len));
                pos_ += len;
                return true;
            }
            default: {
                std::string text;
                if (!ReadString(marker, 0, text)) return false;
                node.content = ToBytes(text);
                return true;
            }
        }
    }

    BytesView data_;
    const DecodeLimits& limits_;
    std::size_t pos_ = 0;
    std::size_t nodes_ = 0;
    std::size_t budget_ = 0;
    Error error_;
};

struct InflateStream {
    z_stream z{};
    bool ready = false;
    ~InflateStream() {
        if (ready) inflateEnd(&z);
    }
};

}  // namespace

Result<Node> DecodeNode(BytesView data, const DecodeLimits& limits) {
    Reader reader(data, limits);
    return reader.ReadRoot();
}

Result<Node> DecodeStanza(BytesView data, const DecodeLimits& limits) {
    if (data.empty()) return MakeError("empty_stanza", "stanza has no flags byte");
    std::uint8_t flags = data[0];
    BytesView body = data.subspan(1);
    if ((flags & kFlagCompressed) == 0) return DecodeNode(body, limits);
    auto inflated = ZlibInflate(body, limits.max_inflated_bytes);
    if (!inflated) return inflated.error();
    return DecodeNode(*inflated, limits);
}

Result<Bytes> ZlibInflate(BytesView data, std::size_t max_output) {
    InflateStream s;
    if (inflateInit(&s.z) != Z_OK) return MakeError("inflate_failed", "zlib init failed");
    s.ready = true;
    s.z.next_in = const_cast<Bytef*>(data.data());
    s.z.avail_in = static_cast<uInt>(std::min<std::size_t>(data.size(), 0xFFFFFFFFu));
    if (data.size() > 0xFFFFFFFFu) return MakeError("inflate_failed", "compressed input too large");

    Bytes out;
    std::size_t chunk = std::min<std::size_t>(std::max<std::size_t>(data.size() * 4, 256), max_output + 1);
    for (;;) {
        std::size_t have = out.size();
        if (have > max_output) {
            return MakeError("inflate_too_large",
                             "decompressed stanza exceeds " + std::to_string(max_output) + " bytes");
        }
        std::size_t grow = std::min(chunk, max_output + 1 - have);
        out.resize(have + grow);
        s.z.next_out = out.data() + have;
        s.z.avail_out = static_cast<uInt>(grow);
        int rc = inflate(&s.z, Z_NO_FLUSH);
        out.resize(have + (grow - s.z.avail_out));
        if (rc == Z_STREAM_END) {
            if (out.size() > max_output) {
                return MakeError("inflate_too_large",
                                 "decompressed stanza exceeds " + std::to_string(max_output) + " bytes");
            }
            if (s.z.avail_in != 0) {
                return MakeError("trailing_bytes", std::to_string(s.z.avail_in) + " bytes after the zlib stream");
            }
            return out;
        }
        if (rc == Z_BUF_ERROR && s.z.avail_in == 0) return MakeError("inflate_failed", "zlib stream is truncated");
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return MakeError("inflate_failed", std::string("zlib: ") + (s.z.msg ? s.z.msg : "error"));
        }
        if (s.z.avail_in == 0 && s.z.avail_out != 0) return MakeError("inflate_failed", "zlib stream is truncated");
        chunk = std::min<std::size_t>(chunk * 2, 1u << 20);
    }
}

Bytes ZlibDeflate(BytesView data) {
    uLongf bound = compressBound(static_cast<uLong>(data.size()));
    Bytes out(bound);
    int rc = compress2(out.data(), &bound, data.data(), static_cast<uLong>(data.size()), Z_DEFAULT_COMPRESSION);
    if (rc != Z_OK) throw std::runtime_error("zlib compress2 failed");  // only on out-of-memory
    out.resize(bound);
    return out;
}

}  // namespace wadesk::wa
