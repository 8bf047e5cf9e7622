#include "engine/identity.h"

#include <gtest/gtest.h>

namespace wadesk::engine {
namespace {

service::IncomingMessage Fill(std::string chat, std::string chat_alt, std::string sender, std::string sender_alt) {
    wa::IncomingMessage m;
    m.chat = std::move(chat);
    m.chat_alt = std::move(chat_alt);
    m.sender = std::move(sender);
    m.sender_alt = std::move(sender_alt);
    service::IncomingMessage in;
    FillIdentities(m, in);
    return in;
}

TEST(WaIdentity, PnAndLidStanzasOfOneContactGiveOneChat) {
    auto by_pn = Fill("15550002222@s.whatsapp.net", "100000000000022@lid", "15550002222:3@s.whatsapp.net",
                      "100000000000022@lid");
    auto by_lid = Fill("100000000000022@lid", "15550002222@s.whatsapp.net", "100000000000022:3@lid",
                       "15550002222@s.whatsapp.net");
    for (const auto* in : {&by_pn, &by_lid}) {
        EXPECT_EQ(in->chat_jid, "15550002222@s.whatsapp.net");
        EXPECT_EQ(in->chat_lid, "100000000000022@lid");
        EXPECT_EQ(in->sender_jid, "15550002222@s.whatsapp.net");
        EXPECT_EQ(in->sender_phone, "15550002222");
        EXPECT_EQ(in->sender_lid, "100000000000022@lid");
    }
}

TEST(WaIdentity, UnknownAlternateKeepsWhatWasSeen) {
    auto pn_only = Fill("15550002222@s.whatsapp.net", "", "15550002222:3@s.whatsapp.net", "");
    EXPECT_EQ(pn_only.chat_jid, "15550002222@s.whatsapp.net");
    EXPECT_EQ(pn_only.chat_lid, "");
    EXPECT_EQ(pn_only.sender_phone, "15550002222");
    EXPECT_EQ(pn_only.sender_lid, "");

    auto lid_only = Fill("100000000000022@lid", "", "100000000000022:3@lid", "");
    EXPECT_EQ(lid_only.chat_jid, "100000000000022@lid");
    EXPECT_EQ(lid_only.chat_lid, "");
    EXPECT_EQ(lid_only.sender_jid, "100000000000022@lid");
    EXPECT_EQ(lid_only.sender_phone, "");
    EXPECT_EQ(lid_only.sender_lid, "100000000000022@lid");
}

TEST(WaIdentity, GroupChatIsKeptAndSenderResolved) {
    auto in = Fill("120363000000000000@g.us", "", "100000000000033:2@lid", "15550003333@s.whatsapp.net");
    EXPECT_EQ(in.chat_jid, "120363000000000000@g.us");
    EXPECT_EQ(in.chat_lid, "");
    EXPECT_EQ(in.sender_jid, "15550003333@s.whatsapp.net");
    EXPECT_EQ(in.sender_lid, "100000000000033@lid");
}

}  // namespace
}  // namespace wadesk::engine
