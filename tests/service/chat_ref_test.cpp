#include "service/chat_ref.h"

#include <gtest/gtest.h>

#include "core/ids.h"

namespace wadesk::service {
namespace {

TEST(ChatRef, OurIdStaysAnId) {
    std::string id = NewId();
    auto ref = ParseChatRef(id);
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->kind, ChatRef::Kind::kId);
    EXPECT_EQ(ref->value, id);
}

TEST(ChatRef, LegacyCUsIsNormalised) {
    auto ref = ParseChatRef("79001234567@c.us");
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->kind, ChatRef::Kind::kJid);
    EXPECT_EQ(ref->value, "79001234567@s.whatsapp.net");
}

TEST(ChatRef, UserGroupAndLidJidsPassThrough) {
    EXPECT_EQ(ParseChatRef("79001234567@s.whatsapp.net")->value, "79001234567@s.whatsapp.net");
    EXPECT_EQ(ParseChatRef("120363012345678901@g.us")->value, "120363012345678901@g.us");
    EXPECT_EQ(ParseChatRef("79001234567-1612345678@g.us")->value, "79001234567-1612345678@g.us");
    EXPECT_EQ(ParseChatRef("123456789012345@lid")->value, "123456789012345@lid");
}

TEST(ChatRef, BareNumbersBecomeUserJids) {
    EXPECT_EQ(ParseChatRef("79001234567")->value, "79001234567@s.whatsapp.net");
    EXPECT_EQ(ParseChatRef("+79001234567")->value, "79001234567@s.whatsapp.net");
}

TEST(ChatRef, RejectsEverythingElse) {
    for (const char* bad : {"", "+", "abc", "123", "0790012345", "+7 900 123", "7900123456789012345",
                            "79001234567@example.com", "@s.whatsapp.net", "abc@s.whatsapp.net", "79001234567@",
                            "1@2@g.us", "x-1@g.us", "../etc/passwd", "79001234567@c.us/x"})
        EXPECT_FALSE(ParseChatRef(bad)) << bad;
}

TEST(NormalizePhone, DigitsWithOptionalPlus) {
    EXPECT_EQ(NormalizePhone("+4915112345678"), "4915112345678");
    EXPECT_FALSE(NormalizePhone("++49151"));
    EXPECT_FALSE(NormalizePhone("49-151-123"));
    EXPECT_FALSE(NormalizePhone("1234567890123456"));
}

}  // namespace
}  // namespace wadesk::service
