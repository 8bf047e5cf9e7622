#include "core/bytes.h"

#include <gtest/gtest.h>

namespace wadesk {
namespace {

TEST(Bytes, HexRoundTrip) {
    Bytes b{0x00, 0x7f, 0x80, 0xff};
    EXPECT_EQ(ToHex(b), "007f80ff");
    EXPECT_EQ(FromHex("007F80ff"), b);
    EXPECT_FALSE(FromHex("abc").has_value());
    EXPECT_FALSE(FromHex("zz").has_value());
}

TEST(Bytes, Base64KnownAnswers) {
    EXPECT_EQ(Base64Encode(AsBytes("")), "");
    EXPECT_EQ(Base64Encode(AsBytes("f")), "Zg==");
    EXPECT_EQ(Base64Encode(AsBytes("fo")), "Zm8=");
    EXPECT_EQ(Base64Encode(AsBytes("foo")), "Zm9v");
    EXPECT_EQ(Base64Encode(AsBytes("foob")), "Zm9vYg==");
    EXPECT_EQ(ToString(*Base64Decode("Zm9vYmE=")), "fooba");
    EXPECT_EQ(ToString(*Base64Decode("Zm9vYmE")), "fooba");
    EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
    EXPECT_FALSE(Base64Decode("Z").has_value());
}

TEST(Bytes, Base64UrlUsesUrlAlphabetWithoutPadding) {
    Bytes b{0xfb, 0xff, 0xfe};
    EXPECT_EQ(Base64UrlEncode(b), "-__-");
    EXPECT_EQ(Base64Encode(b), "+//+");
    EXPECT_EQ(Base64UrlDecode("-__-"), b);
    EXPECT_EQ(Base64UrlEncode(Bytes{0xff}), "_w");
}

TEST(Bytes, ConstantTimeEqual) {
    EXPECT_TRUE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abc")));
    EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abd")));
    EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("ab")));
}

TEST(Bytes, RandomBytesDiffer) {
    EXPECT_NE(RandomBytes(32), RandomBytes(32));
    EXPECT_EQ(RandomBytes(7).size(), 7u);
}

}  // namespace
}  // namespace wadesk
