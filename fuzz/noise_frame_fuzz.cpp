// libFuzzer target: the transport framing (FrameReader), as the client reads the server's stream
// and as the emulator reads a client's (WA header, optional edge-routing prefix).
// Input: byte 0 picks the side (bit 0) and the chunk size (the rest), then the stream.
// Invariants: feeding the stream whole or in chunks gives the same frames, routing info and
// outcome; the frames re-encoded with EncodeFrame are exactly the bytes they were read from.
#include <cstdint>
#include <vector>

#include "fuzz_check.h"
#include "whatsapp/noise/frame.h"

using namespace wadesk;
using namespace wadesk::wa::noise;

namespace {

struct Outcome {
    bool ok = true;
    std::vector<Bytes> frames;
    Bytes routing_info;
};

Outcome Read(Intro intro, BytesView stream, std::size_t chunk) {
    FrameReader reader(intro, 1u << 16);
    Outcome out;
    for (std::size_t pos = 0; pos < stream.size() && out.ok; pos += chunk) {
        out.ok = static_cast<bool>(reader.Feed(stream.subspan(pos, std::min(chunk, stream.size() - pos))));
        for (Bytes frame; reader.Next(frame);) out.frames.push_back(frame);
    }
    out.routing_info = reader.RoutingInfo();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const Intro intro = (data[0] & 1) ? Intro::kWaHeader : Intro::kNone;
    const std::size_t chunk = 1 + (data[0] >> 1);
    const BytesView stream(data + 1, size - 1);

    const Outcome whole = Read(intro, stream, stream.size() + 1);
    const Outcome chunked = Read(intro, stream, chunk);
    FUZZ_CHECK(whole.ok == chunked.ok, "chunking changes whether the stream is accepted");
    FUZZ_CHECK(whole.frames == chunked.frames, "chunking changes the frames");
    FUZZ_CHECK(whole.routing_info == chunked.routing_info, "chunking changes the routing info");

    if (!whole.ok) return 0;
    Bytes encoded;
    for (std::size_t i = 0; i < whole.frames.size(); ++i) {
        auto frame = EncodeFrame(whole.frames[i], i == 0 ? intro : Intro::kNone);
        FUZZ_CHECK(frame, "a read frame does not encode");
        encoded.insert(encoded.end(), frame->begin(), frame->end());
    }
    // With the header expected, the frames follow the header and the optional routing prefix.
    std::size_t skip = 0;
    if (intro == Intro::kWaHeader && stream.size() >= 2 && stream[0] == 'E' && stream[1] == 'D' &&
        !whole.frames.empty())
        skip = 7 + whole.routing_info.size();
    FUZZ_CHECK(skip + encoded.size() <= stream.size(), "frames hold more bytes than the stream");
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), stream.begin() + static_cast<std::ptrdiff_t>(skip)),
               "frames re-encode to other bytes than they were read from");
    return 0;
}
