#include "whatsapp/binary/tokens.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace wadesk::wa {
namespace {

TEST(Tokens, SingleByteKnownIndices) {
    EXPECT_EQ(kDictVersion, 3);
    EXPECT_EQ(SingleByteToken(3), "s.whatsapp.net");
    EXPECT_EQ(SingleByteToken(4), "type");
    EXPECT_EQ(SingleByteToken(8), "id");
    EXPECT_EQ(SingleByteToken(25), "iq");
    EXPECT_EQ(SingleByteToken(45), "0");
    EXPECT_EQ(SingleByteToken(235), "screen_height");
    EXPECT_FALSE(SingleByteToken(0).has_value());
    EXPECT_FALSE(SingleByteToken(236).has_value());
}

TEST(Tokens, DoubleByteKnownIndices) {
    EXPECT_EQ(DoubleByteToken(0, 0), "read-self");
    EXPECT_EQ(DoubleByteToken(0, 1), "active");
    EXPECT_FALSE(DoubleByteToken(4, 0).has_value());
    for (std::uint8_t d = 0; d < 4; ++d) {
        EXPECT_TRUE(DoubleByteToken(d, 255).has_value());
    }
}

TEST(Tokens, EveryTokenMapsBackToItsIndex) {
    std::set<std::string> seen;
    for (unsigned i = 1; i < kSingleByteTokenCount; ++i) {
        auto s = *SingleByteToken(static_cast<std::uint8_t>(i));
        EXPECT_TRUE(seen.insert(std::string(s)).second) << s;
        auto t = FindToken(s);
        ASSERT_TRUE(t.has_value()) << s;
        EXPECT_EQ(*t, (Token{TokenKind::kSingleByte, 0, static_cast<std::uint8_t>(i)}));
    }
    for (unsigned d = 0; d < kDoubleByteDictCount; ++d) {
        for (unsigned i = 0; i < kDoubleByteDictSize; ++i) {
            auto s = *DoubleByteToken(static_cast<std::uint8_t>(d), static_cast<std::uint8_t>(i));
            EXPECT_TRUE(seen.insert(std::string(s)).second) << s;
            auto t = FindToken(s);
            ASSERT_TRUE(t.has_value()) << s;
            EXPECT_EQ(*t, (Token{TokenKind::kDoubleByte, static_cast<std::uint8_t>(d), static_cast<std::uint8_t>(i)}));
        }
    }
    EXPECT_EQ(seen.size(), 235u + 4u * 256u);
}

TEST(Tokens, UnknownAndEmptyStringsHaveNoToken) {
    EXPECT_FALSE(FindToken("").has_value());
    EXPECT_FALSE(FindToken("definitely-not-a-token").has_value());
    EXPECT_FALSE(FindToken("IQ").has_value());
}

}  // namespace
}  // namespace wadesk::wa
