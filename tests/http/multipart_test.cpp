#include "http/multipart.h"

#include <gtest/gtest.h>

namespace wadesk::http {
namespace {

TEST(FormBoundary, FromContentType) {
    EXPECT_EQ(FormBoundary("multipart/form-data; boundary=abc"), "abc");
    EXPECT_EQ(FormBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\""), "a b:c");
    EXPECT_EQ(FormBoundary("multipart/mixed; boundary=abc"), std::nullopt);
    EXPECT_EQ(FormBoundary("multipart/form-data"), std::nullopt);
    EXPECT_EQ(FormBoundary("multipart/form-data; boundary="), std::nullopt);
    EXPECT_EQ(FormBoundary("multipart/form-data; boundary=" + std::string(71, 'x')), std::nullopt);
    EXPECT_EQ(FormBoundary("application/json"), std::nullopt);
}

TEST(Multipart, FieldsAndFilesWithBinaryData) {
    const std::string binary("\x89PNG\r\n\x1a\n\0\xff--X", 13);
    const std::string body = "preamble\r\n--X\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nhi there\r\n"
                             "--X\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"\r\n"
                             "Content-Type: image/png\r\n\r\n" + binary + "\r\n--X--\r\nepilogue";
    auto parts = ParseMultipart("X", body);
    ASSERT_TRUE(parts.has_value()) << parts.error().message;
    ASSERT_EQ(parts->size(), 2u);
    EXPECT_EQ((*parts)[0].name, "message");
    EXPECT_EQ((*parts)[0].data, "hi there");
    EXPECT_FALSE((*parts)[0].filename.has_value());
    EXPECT_EQ((*parts)[1].name, "file");
    EXPECT_EQ((*parts)[1].filename, "a \"b\".png");
    EXPECT_EQ((*parts)[1].content_type, "image/png");
    EXPECT_EQ((*parts)[1].data, binary);
}

TEST(Multipart, RefusesMalformedBodies) {
    for (const std::string body : {
             std::string(""),
             std::string("--Y\r\n\r\n"),
             std::string("--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"),
             std::string("--X\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line"),
             std::string("--X\r\nContent-Type: text/plain\r\n\r\nx\r\n--X--"),
             std::string("--X\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--X--"),
             std::string("--X\r\nContent-Disposition: form-data\r\n\r\nx\r\n--X--"),
             std::string("--X\r\nbroken header\r\n\r\nx\r\n--X--"),
             std::string("--Xjunk\r\n"),
         }) {
        auto parts = ParseMultipart("X", body);
        ASSERT_FALSE(parts.has_value()) << body;
        EXPECT_EQ(parts.error().code, "bad_multipart");
    }
    std::string many;
    for (std::size_t i = 0; i <= kMaxFormParts; ++i) many += "--X\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
    many += "--X--";
    EXPECT_FALSE(ParseMultipart("X", many).has_value());
    EXPECT_EQ(ParseMultipart("X", "--X--\r\n")->size(), 0u);
}

}  // namespace
}  // namespace wadesk::http
