#include "whatsapp/client/qr.h"

#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace wadesk::wa {

namespace {

constexpr std::string_view kQrPrefix = "https://wa.me/settings/linked_devices#";
constexpr int kMaxScale = 64;
constexpr int kMaxMargin = 64;

struct QrCodeDeleter {
    void operator()(QRcode* code) const { QRcode_free(code); }
};

void PngWriteToVector(png_structp png, png_bytep data, png_size_t length) {
    auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + length);
}

void PngFlushNoop(png_structp) {}

}  // namespace

std::string BuildQrText(std::string_view ref, BytesView noise_pub, BytesView identity_pub, BytesView adv_secret,
                        std::string_view platform_id) {
    std::string text(kQrPrefix);
    text.append(ref);
    text.push_back(',');
    text += Base64Encode(noise_pub);
    text.push_back(',');
    text += Base64Encode(identity_pub);
    text.push_back(',');
    text += Base64Encode(adv_secret);
    text.push_back(',');
    text.append(platform_id);
    return text;
}

Result<QrMatrix> EncodeQr(std::string_view text) {
    if (text.empty()) return MakeError("qr_empty", "QR text is empty");
    std::string owned(text);  // QRcode_encodeString8bit needs NUL termination
    errno = 0;
    std::unique_ptr<QRcode, QrCodeDeleter> code(QRcode_encodeString8bit(owned.c_str(), 0, QR_ECLEVEL_M));
    if (!code) {
        if (errno == ERANGE) return MakeError("qr_too_long", "QR text does not fit in a QR symbol");
        return MakeError("qr_encode_failed", "QR encoding failed");
    }
    QrMatrix matrix;
    matrix.width = code->width;
    matrix.dark.resize(static_cast<std::size_t>(code->width) * code->width);
    for (std::size_t i = 0; i < matrix.dark.size(); ++i) matrix.dark[i] = (code->data[i] & 1) != 0;
    return matrix;
}

Result<Bytes> RenderQrPng(const QrMatrix& matrix, QrPngOptions options) {
    if (matrix.width <= 0 || matrix.dark.size() != static_cast<std::size_t>(matrix.width) * matrix.width)
        return MakeError("qr_bad_matrix", "QR matrix is malformed");
    if (options.scale < 1 || options.scale > kMaxScale || options.margin < 0 || options.margin > kMaxMargin)
        return MakeError("qr_bad_options", "QR scale or margin out of range");

    const int side = (matrix.width + 2 * options.margin) * options.scale;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (!png) return MakeError("png_failed", "cannot create PNG writer");
    png_infop info = png_create_info_struct(png);
    struct Guard {
        png_structp* png;
        png_infop* info;
        ~Guard() { png_destroy_write_struct(png, info); }
    } guard{&png, &info};
    if (!info) return MakeError("png_failed", "cannot create PNG info");

    Bytes out;
    std::vector<png_byte> row(static_cast<std::size_t>(side));
    // libpng reports errors by longjmp; nothing with a destructor is created between here and the end.
    if (setjmp(png_jmpbuf(png))) return MakeError("png_failed", "PNG encoding failed");
    png_set_write_fn(png, &out, PngWriteToVector, PngFlushNoop);
    png_set_IHDR(png, info, side, side, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < side; ++y) {
        const int my = y / options.scale - options.margin;
        for (int x = 0; x < side; ++x) {
            const int mx = x / options.scale - options.margin;
            const bool inside = mx >= 0 && my >= 0 && mx < matrix.width && my < matrix.width;
            row[static_cast<std::size_t>(x)] = inside && matrix.At(mx, my) ? 0x00 : 0xFF;
        }
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    return out;
}

Result<std::string> QrDataUrl(std::string_view text, QrPngOptions options) {
    auto matrix = EncodeQr(text);
    if (!matrix) return matrix.error();
    auto png = RenderQrPng(*matrix, options);
    if (!png) return png.error();
    return Result<std::string>(boost::system::in_place_value, "data:image/png;base64," + Base64Encode(*png));
}

}  // namespace wadesk::wa
