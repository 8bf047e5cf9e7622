#include "core/byte_range.h"

#include <gtest/gtest.h>

namespace wadesk {
namespace {

using R = std::optional<std::pair<std::uint64_t, std::uint64_t>>;

TEST(ByteRange, SingleRanges) {
    EXPECT_EQ(ParseByteRange("bytes=0-9", 100), R({0, 9}));
    EXPECT_EQ(ParseByteRange("bytes=90-", 100), R({90, 99}));
    EXPECT_EQ(ParseByteRange("bytes=-10", 100), R({90, 99}));
    EXPECT_EQ(ParseByteRange("bytes=-500", 100), R({0, 99}));
    EXPECT_EQ(ParseByteRange("bytes=50-500", 100), R({50, 99}));
    EXPECT_EQ(ParseByteRange(" bytes= 5 - 6 ", 100), R({5, 6}));
}

TEST(ByteRange, RefusesWhatCannotBeServed) {
    for (const char* bad : {"bytes=100-", "bytes=5-2", "bytes=x-y", "items=0-1", "bytes=0-1,5-6", "bytes=-0", "bytes=",
                            "bytes=-", "bytes=1", "bytes=18446744073709551616-"}) {
        EXPECT_EQ(ParseByteRange(bad, 100), std::nullopt) << bad;
    }
    EXPECT_EQ(ParseByteRange("bytes=0-0", 0), std::nullopt) << "an empty file has no range";
}

}  // namespace
}  // namespace wadesk
