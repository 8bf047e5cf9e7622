#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace wadesk {
namespace {

TEST(Ids, WellFormedAndUnique) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string id = NewId();
        EXPECT_TRUE(IsWellFormedId(id)) << id;
        EXPECT_TRUE(seen.insert(id).second);
    }
}

TEST(Ids, SortByCreationTime) {
    std::string a = NewId();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::string b = NewId();
    EXPECT_LT(a, b);
}

TEST(Ids, RejectsWrongShapes) {
    EXPECT_FALSE(IsWellFormedId(""));
    EXPECT_FALSE(IsWellFormedId("1; DROP TABLE users"));
    EXPECT_FALSE(IsWellFormedId("0123456789abcdefghjkmnpqrU"));  // uppercase
    EXPECT_FALSE(IsWellFormedId("0123456789abcdefghjkmnpqrsi"));  // too long
    EXPECT_FALSE(IsWellFormedId("0123456789abcdefghjkmnpqri"));   // 'i' not in alphabet
}

}  // namespace
}  // namespace wadesk
