// libFuzzer target: DecodeStanza on arbitrary bytes. Besides "no crash, no sanitizer report", it
// checks the codec invariant: whatever decodes re-encodes, and the re-encoding decodes to the
// same node.
#include <cstdint>
#include <cstdlib>

#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wadesk::wa;
    DecodeLimits limits;
    limits.max_inflated_bytes = 64u << 10;  // keeps single inputs fast; the cap itself is what is tested
    auto node = DecodeStanza(wadesk::BytesView(data, size), limits);
    if (!node) return 0;
    auto again = EncodeStanza(*node);
    if (!again) std::abort();
    auto back = DecodeStanza(*again, limits);
    if (!back || !(*back == *node)) std::abort();
    return 0;
}
