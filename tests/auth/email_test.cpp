#include "auth/email.h"

#include <gtest/gtest.h>

namespace wadesk::auth {
namespace {

TEST(NormaliseEmail, AsciiIsLowercasedAndTrimmed) {
    EXPECT_EQ(NormaliseEmail("  Admin@Example.TEST\t"), "admin@example.test");
    EXPECT_EQ(NormaliseEmail("plain@x.test"), "plain@x.test");
    EXPECT_EQ(NormaliseEmail(" \t "), "");
}

// U+212A KELVIN SIGN is a "K" under NFKC and folds to "k": the same account as "kim@x.test".
TEST(NormaliseEmail, KelvinSignIsTheLetterK) {
    EXPECT_EQ(NormaliseEmail("\u212Aim@x.test"), "kim@x.test");
    EXPECT_EQ(NormaliseEmail("KIM@X.TEST"), "kim@x.test");
}

// U+0130 folds (full case folding) to "i" + U+0307 COMBINING DOT ABOVE: one key for both of its
// spellings, and not the key of a plain "i".
TEST(NormaliseEmail, CapitalIWithDotHasOneKeyOfItsOwn) {
    auto dotted = NormaliseEmail("\u0130van@x.test");
    ASSERT_TRUE(dotted);
    EXPECT_EQ(*dotted, "i\u0307van@x.test");
    EXPECT_EQ(NormaliseEmail("i\u0307van@x.test"), dotted);
    EXPECT_EQ(NormaliseEmail("I\u0307van@x.test"), dotted);
    EXPECT_NE(*dotted, "ivan@x.test");
}

TEST(NormaliseEmail, CompatibilityFormsAndIgnorablesCollapse) {
    EXPECT_EQ(NormaliseEmail("\uFF41dmin@x.test"), "admin@x.test");         // fullwidth a
    EXPECT_EQ(NormaliseEmail("ad\u00ADmin@x.test"), "admin@x.test");        // soft hyphen
    EXPECT_EQ(NormaliseEmail("stra\u00DFe@x.test"), "strasse@x.test");      // sharp s folds to ss
    EXPECT_EQ(NormaliseEmail("J\u00DCRGEN@x.test"), "j\u00FCrgen@x.test");  // composed form kept
    EXPECT_EQ(NormaliseEmail("ju\u0308rgen@x.test"), "j\u00FCrgen@x.test");  // decomposed input composed
}

TEST(NormaliseEmail, InvalidUtf8IsRefused) {
    EXPECT_FALSE(NormaliseEmail("a\xff@x.test"));
    EXPECT_FALSE(NormaliseEmail("a\xc3@x.test"));
    EXPECT_FALSE(NormaliseEmail(std::string_view("\xed\xa0\x80@x.test")));  // a UTF-16 surrogate
}

TEST(NormaliseEmail, IsIdempotent) {
    for (const char* e : {"\u212Aim@x.test", "\u0130van@x.test", "stra\u00DFe@x.test", "\u1E9E@x.test", "\u0390@x.test"}) {
        auto once = NormaliseEmail(e);
        ASSERT_TRUE(once) << e;
        EXPECT_EQ(NormaliseEmail(*once), once) << e;
    }
}

}  // namespace
}  // namespace wadesk::auth
