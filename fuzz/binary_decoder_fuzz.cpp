// libFuzzer target: DecodeStanza on arbitrary bytes (a Noise frame's plaintext). Invariant: whatever
// decodes re-encodes, and the re-encoding decodes to the same node.
#include <cstdint>

#include "fuzz_check.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wadesk::wa;
    DecodeLimits limits;
    limits.max_inflated_bytes = 64u << 10;  // keeps single inputs fast; the cap itself is what is tested
    auto node = DecodeStanza(wadesk::BytesView(data, size), limits);
    if (!node) return 0;
    auto again = EncodeStanza(*node);
    FUZZ_CHECK(again, "a decoded stanza does not encode");
    auto back = DecodeStanza(*again, limits);
    FUZZ_CHECK(back && *back == *node, "a re-encoded stanza does not decode to the same node");
    return 0;
}
