#pragma once
// QR pairing: the text a companion shows (wa-protocol §5.1 step 4) and its PNG rendering.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::wa {

// "https://wa.me/settings/linked_devices#" ref "," b64(noise_pub) "," b64(identity_pub) ","
// b64(adv_secret) "," platform_id. Keys are raw 32-byte values; base64 is standard and padded.
std::string BuildQrText(std::string_view ref, BytesView noise_pub, BytesView identity_pub, BytesView adv_secret,
                        std::string_view platform_id);

// A QR symbol as a square matrix of dark (true) / light (false) modules, without quiet zone.
struct QrMatrix {
    int width = 0;                  // modules per side
    std::vector<bool> dark;         // row-major, width * width
    bool At(int x, int y) const { return dark[static_cast<std::size_t>(y) * width + x]; }
};

// Encodes text (8-bit mode, error correction level M, smallest version that fits).
Result<QrMatrix> EncodeQr(std::string_view text);

struct QrPngOptions {
    int scale = 8;   // pixels per module
    int margin = 4;  // quiet zone, in modules
};

// An 8-bit greyscale PNG of the symbol (black on white).
Result<Bytes> RenderQrPng(const QrMatrix& matrix, QrPngOptions options = {});

// "data:image/png;base64,..." of EncodeQr(text) rendered with RenderQrPng.
Result<std::string> QrDataUrl(std::string_view text, QrPngOptions options = {});

}  // namespace wadesk::wa
