#include "realtime/ws_frame.h"

#include <cstring>

namespace wadesk::realtime {

std::size_t EncodeWsHeader(WsOpcode opcode, std::uint64_t payload_size, std::uint8_t* out) {
    out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));
    if (payload_size < 126) {
        out[1] = static_cast<std::uint8_t>(payload_size);
        return 2;
    }
    if (payload_size <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<std::uint8_t>(payload_size >> 8);
        out[3] = static_cast<std::uint8_t>(payload_size);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(payload_size >> (56 - 8 * i));
    return 10;
}

std::string EncodeWsFrame(WsOpcode opcode, std::string_view payload) {
    std::uint8_t header[kWsMaxHeader];
    std::size_t n = EncodeWsHeader(opcode, payload.size(), header);
    std::string out(reinterpret_cast<const char*>(header), n);
    out.append(payload);
    return out;
}

std::string EncodeWsClosePayload(std::uint16_t code, std::string_view reason) {
    std::string out;
    out.push_back(static_cast<char>(code >> 8));
    out.push_back(static_cast<char>(code & 0xFF));
    if (reason.size() > 123) reason = reason.substr(0, 123);
    // Never cut a multi-byte character in half.
    while (!reason.empty() && !IsValidUtf8(reason)) reason.remove_suffix(1);
    out.append(reason);
    return out;
}

namespace {
Error Protocol(std::string message) { return MakeError("ws_protocol", std::move(message)); }
}  // namespace

std::uint16_t WsCloseCodeFor(const Error& error) {
    if (error.code == "ws_too_big") return kWsCloseTooBig;
    if (error.code == "ws_invalid_utf8") return kWsCloseInvalidPayload;
    return kWsCloseProtocolError;
}

Result<void> WsFrameReader::Feed(std::string_view data, std::vector<WsInbound>& out) {
    if (closed_ && !data.empty()) return Protocol("data after the close frame");
    pending_.append(data);
    std::size_t pos = 0;
    for (;;) {
        auto more = ParseOne(pos, out);
        if (!more) {
            pending_.clear();
            return more.error();
        }
        if (!*more) break;
        if (closed_ && pos < pending_.size()) {
            pending_.clear();
            return Protocol("data after the close frame");
        }
    }
    pending_.erase(0, pos);
    if (pending_.empty()) std::string().swap(pending_);  // an idle socket holds no buffer
    return {};
}

Result<bool> WsFrameReader::ParseOne(std::size_t& pos, std::vector<WsInbound>& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(pending_.data()) + pos;
    std::size_t avail = pending_.size() - pos;
    if (avail < 2) return false;
    bool fin = p[0] & 0x80;
    if (p[0] & 0x70) return Protocol("reserved bits set (no extension was negotiated)");
    auto opcode = static_cast<WsOpcode>(p[0] & 0x0F);
    bool control = (p[0] & 0x08) != 0;
    bool masked = p[1] & 0x80;
    std::uint64_t len = p[1] & 0x7F;
    switch (opcode) {
        case WsOpcode::kContinuation:
        case WsOpcode::kText:
        case WsOpcode::kBinary:
        case WsOpcode::kClose:
        case WsOpcode::kPing:
        case WsOpcode::kPong:
            break;
        default:
            return Protocol("unknown opcode");
    }
    if (!masked) return Protocol("client frames must be masked");
    if (control && (!fin || len > 125)) return Protocol("bad control frame");
    std::size_t header = 2;
    if (len == 126) {
        if (avail < 4) return false;
        len = (std::uint64_t{p[2]} << 8) | p[3];
        if (len < 126) return Protocol("non-minimal length");
        header = 4;
    } else if (len == 127) {
        if (avail < 10) return false;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
        if (len >> 63) return Protocol("length out of range");
        if (len <= 0xFFFF) return Protocol("non-minimal length");
        header = 10;
    }
    if (!control) {
        if (opcode == WsOpcode::kContinuation && !in_message_) return Protocol("continuation without a message");
        if (opcode != WsOpcode::kContinuation && in_message_) return Protocol("new message inside a fragmented one");
        if (len > max_message_ || message_.size() + len > max_message_)
            return MakeError("ws_too_big", "message over " + std::to_string(max_message_) + " bytes");
    }
    if (avail < header + 4 + len) return false;
    const unsigned char* mask = p + header;
    const unsigned char* body = mask + 4;
    std::string payload(static_cast<std::size_t>(len), '\0');
    for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(body[i] ^ mask[i & 3]);
    pos += header + 4 + static_cast<std::size_t>(len);

    if (control) {
        WsInbound in;
        in.opcode = opcode;
        if (opcode == WsOpcode::kClose) {
            if (payload.size() == 1) return Protocol("bad close payload");
            in.close_code = 1005;
            if (payload.size() >= 2) {
                in.close_code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                           static_cast<unsigned char>(payload[1]));
                bool valid = (in.close_code >= 1000 && in.close_code <= 1003) ||
                             (in.close_code >= 1007 && in.close_code <= 1011) ||
                             (in.close_code >= 3000 && in.close_code <= 4999);
                if (!valid) return Protocol("bad close code");
                if (!IsValidUtf8(std::string_view(payload).substr(2)))
                    return MakeError("ws_invalid_utf8", "close reason is not UTF-8");
            }
            closed_ = true;
        }
        in.payload = std::move(payload);
        out.push_back(std::move(in));
        return true;
    }
    if (opcode != WsOpcode::kContinuation) {
        message_opcode_ = opcode;
        in_message_ = true;
    }
    if (message_.empty()) message_ = std::move(payload);
    else message_.append(payload);
    if (!fin) return true;
    if (message_opcode_ == WsOpcode::kText && !IsValidUtf8(message_))
        return MakeError("ws_invalid_utf8", "text message is not UTF-8");
    WsInbound in;
    in.opcode = message_opcode_;
    in.payload = std::move(message_);
    message_ = std::string();
    in_message_ = false;
    out.push_back(std::move(in));
    return true;
}

}  // namespace wadesk::realtime
