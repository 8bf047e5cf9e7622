#include "core/text.h"

#include <gtest/gtest.h>

namespace wadesk {
namespace {

TEST(TrimAscii, DropsBlanksAtBothEndsOnly) {
    EXPECT_EQ(TrimAscii("  \t a b \r\n"), "a b");
    EXPECT_EQ(TrimAscii("ab"), "ab");
    EXPECT_EQ(TrimAscii(" \t\r\n"), "");
    EXPECT_EQ(TrimAscii(""), "");
    EXPECT_EQ(TrimAscii("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");  // no-break space is not ASCII
}

TEST(LowerAscii, LowersOnlyAsciiLetters) {
    EXPECT_EQ(LowerAscii("Content-Type: A-Z"), "content-type: a-z");
    EXPECT_EQ(LowerAscii("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // "Été": UTF-8 bytes untouched
}

}  // namespace
}  // namespace wadesk
