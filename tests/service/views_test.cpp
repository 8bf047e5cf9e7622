// The direct serializers (AppendChatJson / AppendMessageJson) against the DOM views they stand
// in for: byte-identical text for every shape a row can take.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <string>

#include "core/clock.h"
#include "service/views.h"

namespace wadesk::service {
namespace {

std::string AllBytes() {
    std::string s;
    for (int c = 1; c < 256; ++c) s += static_cast<char>(c);
    s += '\0';
    s += "tail";
    return s;
}

std::string ChatText(const domain::Chat& c) {
    std::string out;
    AppendChatJson(out, c);
    return out;
}

std::string MessageText(const domain::Message& m) {
    std::string out;
    AppendMessageJson(out, m);
    return out;
}

TEST(ViewsTest, StringEscapingMatchesBoostJson) {
    for (const std::string& s : {std::string(), std::string("plain"), AllBytes(), std::string("\"\\/\x7f"),
                                 std::string("привет 👋"), std::string("\xff\xfe broken")}) {
        std::string out;
        AppendJsonString(out, s);
        EXPECT_EQ(out, boost::json::serialize(boost::json::value(s))) << s;
    }
}

// The escaper skips clean 8-byte blocks whole: a byte that needs escaping must be found at every
// offset within and across blocks, next to plain ASCII and next to UTF-8 (high-bit) bytes.
TEST(ViewsTest, StringEscapingFindsEverySpecialByteAtEveryOffset) {
    const std::string specials = std::string("\"\\\x01\x1f\n\t", 6) + std::string(1, '\0');
    for (const std::string& filler : {std::string(1, 'a'), std::string("\xd0\xbf"), std::string("\x7f\x20~")}) {
        for (std::size_t len = 1; len <= 26; ++len) {
            std::string base;
            while (base.size() < len) base += filler;
            base.resize(len);
            for (std::size_t pos = 0; pos < len; ++pos) {
                for (char special : specials) {
                    std::string s = base;
                    s[pos] = special;
                    std::string out;
                    AppendJsonString(out, s);
                    ASSERT_EQ(out, boost::json::serialize(boost::json::value(s))) << "len " << len << " pos " << pos;
                }
            }
            std::string out;
            AppendJsonString(out, base);
            ASSERT_EQ(out, boost::json::serialize(boost::json::value(base)));
        }
    }
}

TEST(ViewsTest, ChatJsonMatchesChatView) {
    domain::Chat c;
    c.id = "01h000000000000000000000aa";
    c.session_id = "01h000000000000000000000bb";
    c.jid = "79001234567@s.whatsapp.net";
    EXPECT_EQ(ChatText(c), boost::json::serialize(ChatView(c)));  // empty strings, zero times: nulls
    c.name = AllBytes();
    c.is_group = true;
    c.unread_count = 2147483647;
    c.last_message = "line\nnext \"quoted\"";
    c.last_message_at = 1'700'000'000'123;
    c.archived = true;
    c.muted = true;
    c.assigned_to = "01h000000000000000000000cc";
    c.labels = {"vip", "", "a\"b", AllBytes()};
    EXPECT_EQ(ChatText(c), boost::json::serialize(ChatView(c)));
}

TEST(ViewsTest, MessageJsonMatchesMessageView) {
    domain::Message m;
    m.id = "01h000000000000000000000dd";
    m.chat_id = "01h000000000000000000000ee";
    m.session_id = "01h000000000000000000000ff";
    EXPECT_EQ(MessageText(m), boost::json::serialize(MessageView(m)));
    m.wa_message_id = "3EB0ABCDEF";
    m.from_me = true;
    m.sender_jid = "79001234567@s.whatsapp.net";
    m.sender_name = AllBytes();
    m.sender_phone = "79001234567";
    m.type = domain::MessageType::kImage;
    m.body = "tab\there\r\n\b\f\x01\x1f";
    m.media = domain::MediaInfo{"image/jpeg", 1234567890123, "a \"b\".jpg", ""};
    m.quoted_message_id = "01h000000000000000000000gg";
    m.timestamp = 1;
    m.status = domain::MessageStatus::kFailed;
    m.failure_reason = "server_error_\"479\"";
    m.sent_by = "01h000000000000000000000hh";
    m.client_message_id = "client-1";
    m.edited = true;
    m.deleted = true;
    EXPECT_EQ(MessageText(m), boost::json::serialize(MessageView(m)));
    m.media->url = "/api/media/x";
    m.media->file_name.clear();
    m.media->size = -1;
    EXPECT_EQ(MessageText(m), boost::json::serialize(MessageView(m)));
}

TEST(ViewsTest, ChatsAndSendersCarryPhoneAndLid) {
    domain::Chat c;
    c.id = "01h000000000000000000000aa";
    c.jid = "79001234567@s.whatsapp.net";
    c.lid = "100000000000022@lid";
    auto v = ChatView(c);
    EXPECT_EQ(v.at("phone"), "79001234567");
    EXPECT_EQ(v.at("lid"), "100000000000022@lid");
    EXPECT_EQ(ChatText(c), boost::json::serialize(v));
    // Known only by LID: the LID is the JID, no phone.
    c.jid = "100000000000022@lid";
    c.lid.clear();
    v = ChatView(c);
    EXPECT_TRUE(v.at("phone").is_null());
    EXPECT_EQ(v.at("lid"), "100000000000022@lid");
    EXPECT_EQ(ChatText(c), boost::json::serialize(v));
    // Groups have neither.
    c.jid = "120363000000000000@g.us";
    c.is_group = true;
    v = ChatView(c);
    EXPECT_TRUE(v.at("phone").is_null());
    EXPECT_TRUE(v.at("lid").is_null());
    EXPECT_EQ(ChatText(c), boost::json::serialize(v));

    domain::Message m;
    m.sender_jid = "79001234567@s.whatsapp.net";
    m.sender_phone = "79001234567";
    m.sender_lid = "100000000000022@lid";
    auto mv = MessageView(m);
    EXPECT_EQ(mv.at("sender").at("phone"), "79001234567");
    EXPECT_EQ(mv.at("sender").at("lid"), "100000000000022@lid");
    EXPECT_EQ(MessageText(m), boost::json::serialize(mv));
    m.sender_lid.clear();
    EXPECT_TRUE(MessageView(m).at("sender").at("lid").is_null());
    EXPECT_EQ(MessageText(m), boost::json::serialize(MessageView(m)));
}

TEST(ViewsTest, TimesMatchFormatIsoMsAcrossTheCalendar) {
    // Leap days, century rules, before 1970, the edges of the four-digit years and beyond them.
    const std::int64_t day = 86'400'000;
    std::vector<std::int64_t> times = {1, -1, 999, -999, 1000, -1000, 951'782'400'000, 951'868'799'999,
                                       4'107'542'400'000, -2'208'988'800'000, -62'167'219'200'000,
                                       -62'167'219'200'001, 253'402'300'799'999, 253'402'300'800'000,
                                       -100'000'000'000'000, 100'000'000'000'000};
    for (std::int64_t t = -800 * 365 * day; t < 900 * 365 * day; t += 37 * day + 3'723'456) times.push_back(t);
    for (std::int64_t t : times) {
        domain::Message m;
        m.timestamp = t;
        EXPECT_EQ(MessageText(m), boost::json::serialize(MessageView(m))) << t << " " << FormatIsoMs(t);
    }
}

}  // namespace
}  // namespace wadesk::service
