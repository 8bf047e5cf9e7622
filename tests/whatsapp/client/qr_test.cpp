#include "whatsapp/client/qr.h"

#include <gtest/gtest.h>
#include <png.h>
#include <qrencode.h>

#include <cstring>

namespace wadesk::wa {
namespace {

struct DecodedPng {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> grey;  // width * height, 0..255
};

struct PngReader {
    BytesView data;
    std::size_t offset = 0;
};

void ReadFromSpan(png_structp png, png_bytep out, png_size_t length) {
    auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
    if (reader->offset + length > reader->data.size()) png_error(png, "truncated");
    std::memcpy(out, reader->data.data() + reader->offset, length);
    reader->offset += length;
}

// Decodes any PNG to 8-bit grey with libpng's own transformations.
bool DecodePng(BytesView bytes, DecodedPng& out) {
    if (bytes.size() < 8 || png_sig_cmp(bytes.data(), 0, 8) != 0) return false;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    PngReader reader{bytes};
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    png_set_read_fn(png, &reader, ReadFromSpan);
    png_read_info(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    if (png_get_color_type(png, info) & PNG_COLOR_MASK_COLOR) png_set_rgb_to_gray(png, 1, -1, -1);
    png_read_update_info(png, info);
    out.width = static_cast<int>(png_get_image_width(png, info));
    out.height = static_cast<int>(png_get_image_height(png, info));
    if (png_get_rowbytes(png, info) != static_cast<png_size_t>(out.width)) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    out.grey.assign(static_cast<std::size_t>(out.width) * out.height, 0);
    std::vector<png_bytep> rows(static_cast<std::size_t>(out.height));
    for (int y = 0; y < out.height; ++y) rows[y] = out.grey.data() + static_cast<std::size_t>(y) * out.width;
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

// Samples the centre pixel of every module back into a matrix.
std::vector<bool> SampleModules(const DecodedPng& img, int modules, int scale, int margin) {
    std::vector<bool> dark(static_cast<std::size_t>(modules) * modules);
    for (int my = 0; my < modules; ++my) {
        for (int mx = 0; mx < modules; ++mx) {
            const int px = (mx + margin) * scale + scale / 2;
            const int py = (my + margin) * scale + scale / 2;
            dark[static_cast<std::size_t>(my) * modules + mx] = img.grey[static_cast<std::size_t>(py) * img.width + px] < 128;
        }
    }
    return dark;
}

bool IsFinderPattern(const std::vector<bool>& m, int width, int x0, int y0) {
    for (int y = 0; y < 7; ++y) {
        for (int x = 0; x < 7; ++x) {
            const bool ring = x == 0 || y == 0 || x == 6 || y == 6;
            const bool core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
            if (m[static_cast<std::size_t>(y0 + y) * width + x0 + x] != (ring || core)) return false;
        }
    }
    return true;
}

std::string SampleQrText() {
    Bytes noise(32), identity(32), adv(32);
    for (int i = 0; i < 32; ++i) {
        noise[i] = static_cast<std::uint8_t>(i);
        identity[i] = static_cast<std::uint8_t>(0x80 + i);
        adv[i] = static_cast<std::uint8_t>(0xF0 ^ i);
    }
    return BuildQrText("2@Ab+cD/ef0123456789XYZ==", noise, identity, adv, "1");
}

TEST(QrText, HasTheLinkedDevicesLayout) {
    Bytes noise(32, 0x01), identity(32, 0x02), adv(32, 0xFF);
    const std::string text = BuildQrText("REF", noise, identity, adv, "1");
    EXPECT_EQ(text,
              "https://wa.me/settings/linked_devices#REF,"
              "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,"
              "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,"
              "//////////////////////////////////////////8=,1");
}

TEST(QrPng, DecodesBackToTheEncodedMatrix) {
    const std::string text = SampleQrText();
    auto matrix = EncodeQr(text);
    ASSERT_TRUE(matrix) << matrix.error().message;
    ASSERT_EQ((matrix->width - 17) % 4, 0);

    // Independent reference: libqrencode's own matrix for the same input and parameters.
    QRcode* reference = QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M);
    ASSERT_NE(reference, nullptr);
    ASSERT_EQ(reference->width, matrix->width);

    QrPngOptions options{.scale = 5, .margin = 3};
    auto png = RenderQrPng(*matrix, options);
    ASSERT_TRUE(png) << png.error().message;
    DecodedPng img;
    ASSERT_TRUE(DecodePng(*png, img));
    const int side = (matrix->width + 2 * options.margin) * options.scale;
    EXPECT_EQ(img.width, side);
    EXPECT_EQ(img.height, side);

    // Quiet zone is white.
    for (int x = 0; x < side; ++x) {
        EXPECT_EQ(img.grey[x], 0xFF);
        EXPECT_EQ(img.grey[static_cast<std::size_t>(side - 1) * side + x], 0xFF);
    }

    const auto sampled = SampleModules(img, matrix->width, options.scale, options.margin);
    int mismatches = 0;
    for (int i = 0; i < matrix->width * matrix->width; ++i) {
        if (sampled[i] != ((reference->data[i] & 1) != 0)) ++mismatches;
    }
    QRcode_free(reference);
    EXPECT_EQ(mismatches, 0);

    // Structure: three finder patterns and the timing patterns between them.
    const int w = matrix->width;
    EXPECT_TRUE(IsFinderPattern(sampled, w, 0, 0));
    EXPECT_TRUE(IsFinderPattern(sampled, w, w - 7, 0));
    EXPECT_TRUE(IsFinderPattern(sampled, w, 0, w - 7));
    for (int i = 8; i < w - 8; ++i) {
        EXPECT_EQ(sampled[static_cast<std::size_t>(6) * w + i], i % 2 == 0) << "row timing " << i;
        EXPECT_EQ(sampled[static_cast<std::size_t>(i) * w + 6], i % 2 == 0) << "column timing " << i;
    }

    // Format information (row 8, columns 0..5,7,8 then column 8, rows 7,5..0): a valid BCH(15,5)
    // word after unmasking with 0x5412, whose EC bits say level M (00).
    auto bit = [&](int x, int y) { return sampled[static_cast<std::size_t>(y) * w + x] ? 1u : 0u; };
    unsigned format = 0;
    const int xs[] = {0, 1, 2, 3, 4, 5, 7, 8};
    for (int x : xs) format = (format << 1) | bit(x, 8);
    const int ys[] = {7, 5, 4, 3, 2, 1, 0};
    for (int y : ys) format = (format << 1) | bit(8, y);
    format ^= 0x5412;
    unsigned remainder = format;
    for (int i = 14; i >= 10; --i) {
        if (remainder & (1u << i)) remainder ^= 0x537u << (i - 10);
    }
    EXPECT_EQ(remainder, 0u) << "format information is not a BCH codeword";
    EXPECT_EQ(format >> 13, 0u) << "error correction level is not M";
}

TEST(QrPng, DataUrlCarriesAPng) {
    auto url = QrDataUrl(SampleQrText());
    ASSERT_TRUE(url) << url.error().message;
    const std::string prefix = "data:image/png;base64,";
    ASSERT_EQ(url->rfind(prefix, 0), 0u);
    auto png = Base64Decode(std::string_view(*url).substr(prefix.size()));
    ASSERT_TRUE(png.has_value());
    DecodedPng img;
    ASSERT_TRUE(DecodePng(*png, img));
    EXPECT_GT(img.width, 100);
}

TEST(QrPng, RejectsBadInput) {
    EXPECT_FALSE(EncodeQr(""));
    EXPECT_EQ(EncodeQr(std::string(8000, 'x')).error().code, "qr_too_long");
    QrMatrix broken;
    broken.width = 3;
    EXPECT_FALSE(RenderQrPng(broken));
    auto ok = EncodeQr("x");
    ASSERT_TRUE(ok);
    EXPECT_FALSE(RenderQrPng(*ok, {.scale = 0, .margin = 4}));
}

}  // namespace
}  // namespace wadesk::wa
