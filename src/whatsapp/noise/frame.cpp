#include "whatsapp/noise/frame.h"

#include <algorithm>

namespace wadesk::wa::noise {

Result<Bytes> EncodeFrame(BytesView payload, Intro intro) {
    if (payload.size() > kMaxFramePayload) return MakeError("frame_too_large", "frame payload exceeds 16 MiB - 1");
    Bytes out;
    out.reserve(payload.size() + 7);
    if (intro == Intro::kWaHeader) out.insert(out.end(), kWaHeader.begin(), kWaHeader.end());
    const std::size_t n = payload.size();
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

Result<void> FrameReader::Feed(BytesView chunk) {
    if (failed_) return error_;
    buffer_.insert(buffer_.end(), chunk.begin(), chunk.end());
    auto r = Parse();
    if (!r) {
        failed_ = true;
        error_ = r.error();
        buffer_.clear();
        offset_ = 0;
    }
    return r;
}

Result<void> FrameReader::Parse() {
    auto available = [&] { return buffer_.size() - offset_; };
    if (expect_intro_) {
        // At most one routing prefix, and only first: once it is consumed (or ruled out) the WA
        // header must follow, however the stream was chunked.
        if (!routing_checked_) {
            if (available() == 0 || (available() == 1 && buffer_[offset_] == 'E')) return {};
            if (buffer_[offset_] == 'E' && buffer_[offset_ + 1] == 'D') {
                if (available() < 7) return {};
                const std::size_t len = (std::size_t{buffer_[offset_ + 4]} << 16) |
                                        (std::size_t{buffer_[offset_ + 5]} << 8) | buffer_[offset_ + 6];
                if (available() < 7 + len) return {};
                routing_info_.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(offset_ + 7),
                                     buffer_.begin() + static_cast<std::ptrdiff_t>(offset_ + 7 + len));
                offset_ += 7 + len;
            }
            routing_checked_ = true;
        }
        // Compare what we have so far so a wrong header fails early.
        const std::size_t have = std::min(available(), kWaHeader.size());
        if (!std::equal(kWaHeader.begin(), kWaHeader.begin() + static_cast<std::ptrdiff_t>(have),
                        buffer_.begin() + static_cast<std::ptrdiff_t>(offset_))) {
            return MakeError("bad_intro", "stream does not start with the WA header 57 41 06 03");
        }
        if (have < kWaHeader.size()) return {};
        offset_ += kWaHeader.size();
        expect_intro_ = false;
    }
    while (available() >= 3) {
        const std::size_t len = (std::size_t{buffer_[offset_]} << 16) | (std::size_t{buffer_[offset_ + 1]} << 8) |
                                buffer_[offset_ + 2];
        if (len > max_payload_) return MakeError("frame_too_large", "frame length exceeds the limit");
        if (available() < 3 + len) break;
        const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(offset_ + 3);
        frames_.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(len));
        offset_ += 3 + len;
    }
    if (offset_ > 0 && (offset_ == buffer_.size() || offset_ > 65536)) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
        offset_ = 0;
    }
    return {};
}

bool FrameReader::Next(Bytes& out) {
    if (frames_.empty()) return false;
    out = std::move(frames_.front());
    frames_.pop_front();
    return true;
}

}  // namespace wadesk::wa::noise
