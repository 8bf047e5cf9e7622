#include "core/log.h"

#include <gtest/gtest.h>

namespace wadesk {
namespace {

// Restores the process-wide default after each test.
class LoggedTextTest : public ::testing::Test {
protected:
    void TearDown() override { SetMessageTextLog(MessageTextLog::kPreview); }
};

TEST_F(LoggedTextTest, PreviewKeepsTheFirstFortyCharactersWhole) {
    SetMessageTextLog(MessageTextLog::kPreview);
    EXPECT_EQ(LoggedText("short"), "short");
    const std::string forty(40, 'a');
    EXPECT_EQ(LoggedText(forty), forty);
    EXPECT_EQ(LoggedText(forty + "b"), forty + "...");
    // Characters, not bytes: 41 two-byte letters keep 40 letters, never half of one.
    std::string cyrillic;
    for (int i = 0; i < 41; ++i) cyrillic += "\xD0\x96";
    EXPECT_EQ(LoggedText(cyrillic), cyrillic.substr(0, 80) + "...");
    EXPECT_EQ(LoggedText(""), "");
}

TEST_F(LoggedTextTest, FullKeepsEverythingAndOffNothing) {
    const std::string long_text(500, 'x');
    SetMessageTextLog(MessageTextLog::kFull);
    EXPECT_EQ(LoggedText(long_text), long_text);
    SetMessageTextLog(MessageTextLog::kOff);
    EXPECT_EQ(LoggedText(long_text), "[text not logged]");
    EXPECT_EQ(LoggedText(""), "[text not logged]");
}

TEST_F(LoggedTextTest, ControlCharactersCannotStartAnotherLogLine) {
    SetMessageTextLog(MessageTextLog::kFull);
    EXPECT_EQ(LoggedText("a\nb\r\tc\x01\x7f"), "a\\nb\\r\\tc\\x01\\x7f");
    EXPECT_EQ(LoggedText("line\n2024-01-01 info [WhatsApp] forged"), "line\\n2024-01-01 info [WhatsApp] forged");
}

}  // namespace
}  // namespace wadesk
