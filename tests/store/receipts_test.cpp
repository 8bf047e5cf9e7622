// Receipts per recipient (V013) in the shared repository suite: one row per recipient, moved
// forward only with the time each status was reached, named from the contacts and the group's
// members, scoped to the company, and gone with their message.
#include "store/errors.h"
#include "store/repository_test.h"

namespace wadesk::store::testing {

TEST_P(RepositoryTest, ReceiptsKeepTheBestStatusPerRecipient) {
    const Company acme = NewCompany("Acme");
    const Company other = NewCompany("Other");
    const WaSession session = NewSession(acme);
    Chat group = repo_->UpsertChat(
        {.company_id = acme.id, .session_id = session.id, .jid = "120363000000000009@g.us", .name = "Parts", .is_group = true});
    repo_->Transact([&](Transaction& tx) {
        tx.ReplaceGroupParticipants(group, {{"15550001111@s.whatsapp.net", "15550001111", "", "Alice", "superadmin"},
                                            {"15550002222@s.whatsapp.net", "15550002222", "100000000000022@lid", "", "none"},
                                            {"100000000000033@lid", "", "100000000000033@lid", "Carol", "none"}});
    });
    repo_->UpsertContact({.company_id = acme.id, .session_id = session.id, .jid = "15550002222@s.whatsapp.net",
                          .lid = "100000000000022@lid", .push_name = "Bobby"});
    Message out = IncomingMessage(group, "OUT1", 1000, "the pump");
    out.from_me = true;
    out.status = MessageStatus::kSent;
    const Message m = repo_->RecordMessage(out).message;
    EXPECT_TRUE(repo_->ListReceipts(acme.id, m.id).empty());

    auto receipt = [&](const std::string& jid, const std::string& phone, const std::string& lid, const std::string& status,
                       std::int64_t at) {
        return repo_->RecordReceipt(MessageReceipt{.message_id = m.id, .company_id = acme.id, .session_id = session.id,
                                                   .jid = jid, .phone = phone, .lid = lid,
                                                   .status = *domain::ParseMessageStatus(status), .at = at});
    };
    EXPECT_TRUE(receipt("15550001111@s.whatsapp.net", "15550001111", "", "delivered", 2000));
    EXPECT_FALSE(receipt("15550001111@s.whatsapp.net", "15550001111", "", "delivered", 2100)) << "another device: kept";
    EXPECT_TRUE(receipt("15550002222@s.whatsapp.net", "15550002222", "100000000000022@lid", "delivered", 2200));
    EXPECT_TRUE(receipt("15550002222@s.whatsapp.net", "15550002222", "", "read", 3000));
    EXPECT_FALSE(receipt("15550002222@s.whatsapp.net", "15550002222", "", "delivered", 3100)) << "never back";
    EXPECT_TRUE(receipt("100000000000033@lid", "", "100000000000033@lid", "delivered", 2500));

    const auto list = repo_->ListReceipts(acme.id, m.id);
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].jid, "15550002222@s.whatsapp.net") << "best status first";
    EXPECT_EQ(list[0].status, MessageStatus::kRead);
    EXPECT_EQ(list[0].at, 3000);
    EXPECT_EQ(list[0].lid, "100000000000022@lid") << "a known LID is kept";
    EXPECT_EQ(list[0].name, "Bobby") << "the contact's push name";
    EXPECT_EQ(list[1].jid, "15550001111@s.whatsapp.net");
    EXPECT_EQ(list[1].at, 2000) << "the time the status was first reached";
    EXPECT_EQ(list[1].name, "Alice") << "the member's name";
    EXPECT_EQ(list[2].name, "Carol");
    EXPECT_EQ(list[2].phone, "");
    EXPECT_TRUE(repo_->ListReceipts(other.id, m.id).empty()) << "nothing crosses companies";

    EXPECT_THROW(receipt("15550001111@s.whatsapp.net", "", "", "sent", 1), ConstraintViolation);
    EXPECT_THROW(receipt("", "", "", "read", 1), ConstraintViolation);

    ASSERT_TRUE(repo_->DeleteSession(acme.id, session.id, /*purge=*/true));
    EXPECT_TRUE(repo_->ListReceipts(acme.id, m.id).empty());
}

}  // namespace wadesk::store::testing
