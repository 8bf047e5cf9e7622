// Group participants (V009) in the shared repository suite: replaced as a whole inside a unit of
// work, listed in WhatsApp's order, scoped to the company, and gone with their chat.
#include "store/repository_test.h"

namespace wadesk::store::testing {

TEST_P(RepositoryTest, GroupParticipantsAreReplacedInOrderAndScopedToTheCompany) {
    const Company acme = NewCompany("Acme");
    const Company other = NewCompany("Other");
    const WaSession session = NewSession(acme);
    Chat group = repo_->UpsertChat(
        {.company_id = acme.id, .session_id = session.id, .jid = "120363000000000001@g.us", .name = "Order 7", .is_group = true});
    EXPECT_TRUE(repo_->ListGroupParticipants(acme.id, group.id).empty());

    const std::vector<GroupParticipant> first{
        {"15550001111@s.whatsapp.net", "15550001111", "100000000000011@lid", "Alice", "superadmin"},
        {"15550002222@s.whatsapp.net", "15550002222", "", "", "none"},
        {"100000000000033@lid", "", "100000000000033@lid", "Carol", "admin"},
    };
    repo_->Transact([&](Transaction& tx) { tx.ReplaceGroupParticipants(group, first); });
    EXPECT_EQ(repo_->ListGroupParticipants(acme.id, group.id), first);
    EXPECT_TRUE(repo_->ListGroupParticipants(other.id, group.id).empty()) << "nothing crosses companies";

    // A change inside a unit sees the list and replaces it (Bob left, Dave came, Carol demoted).
    repo_->Transact([&](Transaction& tx) {
        std::vector<GroupParticipant> now = tx.ListGroupParticipants(group);
        ASSERT_EQ(now.size(), 3u);
        now.erase(now.begin() + 1);
        now[1].admin = "none";
        now.push_back({"15550004444@s.whatsapp.net", "15550004444", "", "Dave", ""});
        tx.ReplaceGroupParticipants(group, now);
    });
    const auto second = repo_->ListGroupParticipants(acme.id, group.id);
    ASSERT_EQ(second.size(), 3u);
    EXPECT_EQ(second[0].jid, "15550001111@s.whatsapp.net");
    EXPECT_EQ(second[1].admin, "none");
    EXPECT_EQ(second[2].name, "Dave");
    EXPECT_EQ(second[2].admin, "none") << "an empty rank is stored as none";

    // A unit that fails keeps the list as it was.
    EXPECT_THROW(repo_->Transact([&](Transaction& tx) {
        tx.ReplaceGroupParticipants(group, {});
        throw std::runtime_error("rolled back");
    }),
                 std::runtime_error);
    EXPECT_EQ(repo_->ListGroupParticipants(acme.id, group.id).size(), 3u);

    ASSERT_TRUE(repo_->DeleteSession(acme.id, session.id, /*purge=*/true));
    EXPECT_TRUE(repo_->ListGroupParticipants(acme.id, group.id).empty());
}

}  // namespace wadesk::store::testing
