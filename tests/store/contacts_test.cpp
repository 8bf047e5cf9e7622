// Contacts (V011) in the shared repository suite: both backends run it.
#include "store/errors.h"
#include "store/repository_test.h"

namespace wadesk::store::testing {

namespace {

Contact ContactOf(const WaSession& s, std::string jid, std::string lid = "", std::string name = "",
                  std::string push_name = "") {
    return {.company_id = s.company_id,
            .session_id = s.id,
            .jid = std::move(jid),
            .lid = std::move(lid),
            .name = std::move(name),
            .push_name = std::move(push_name)};
}

}  // namespace

TEST_P(RepositoryTest, ContactsMergeNamesAndIdentities) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);

    // A push name first, by LID only: the LID is the jid and the alias, no phone yet.
    UpsertedContact first = repo_->UpsertContact(ContactOf(s, "900100@lid", "", "", "Ivan"));
    EXPECT_TRUE(first.changed);
    EXPECT_EQ(first.contact.jid, "900100@lid");
    EXPECT_EQ(first.contact.lid, "900100@lid");
    EXPECT_EQ(first.contact.phone, "");
    EXPECT_EQ(first.contact.push_name, "Ivan");

    // The same again changes nothing.
    EXPECT_FALSE(repo_->UpsertContact(ContactOf(s, "900100@lid", "", "", "Ivan")).changed);

    // The PN<->LID pair: the phone-number JID becomes canonical, the row and its names stay.
    UpsertedContact paired = repo_->UpsertContact(ContactOf(s, "79001234567@s.whatsapp.net", "900100@lid"));
    EXPECT_TRUE(paired.changed);
    EXPECT_EQ(paired.contact.id, first.contact.id);
    EXPECT_EQ(paired.contact.jid, "79001234567@s.whatsapp.net");
    EXPECT_EQ(paired.contact.lid, "900100@lid");
    EXPECT_EQ(paired.contact.phone, "79001234567");
    EXPECT_EQ(paired.contact.push_name, "Ivan");

    // The phone's own name joins; an empty push name keeps the stored one.
    UpsertedContact named = repo_->UpsertContact(ContactOf(s, "79001234567@s.whatsapp.net", "", "Ivan Petrov"));
    EXPECT_EQ(named.contact.name, "Ivan Petrov");
    EXPECT_EQ(named.contact.push_name, "Ivan");
    EXPECT_EQ(ContactDisplayName(named.contact), "Ivan Petrov");

    // Found by either identity, only in its company and session.
    EXPECT_EQ(repo_->FindContact(a.id, s.id, "900100@lid")->id, first.contact.id);
    EXPECT_EQ(repo_->FindContact(a.id, s.id, "79001234567@s.whatsapp.net")->id, first.contact.id);
    EXPECT_FALSE(repo_->FindContact(b.id, s.id, "900100@lid"));
    EXPECT_FALSE(repo_->FindContact(a.id, s2.id, "900100@lid"));
    EXPECT_FALSE(repo_->FindContact(a.id, s.id, ""));

    // Two rows created apart (PN and LID) fold into one when the pair becomes known.
    repo_->UpsertContact(ContactOf(s, "79005550000@s.whatsapp.net", "", "Olga"));
    repo_->UpsertContact(ContactOf(s, "555000@lid", "", "", "Olechka"));
    UpsertedContact folded = repo_->UpsertContact(ContactOf(s, "555000@lid", "79005550000@s.whatsapp.net"));
    EXPECT_EQ(folded.contact.jid, "79005550000@s.whatsapp.net");
    EXPECT_EQ(folded.contact.lid, "555000@lid");
    EXPECT_EQ(folded.contact.name, "Olga");
    EXPECT_EQ(folded.contact.push_name, "Olechka");
    EXPECT_EQ(repo_->ListContacts({.company_id = a.id, .session_id = s.id}).total, 2);

    // A contact in a session of another company is refused.
    WaSession s_b = NewSession(b);
    EXPECT_THROW(repo_->UpsertContact({.company_id = a.id, .session_id = s_b.id, .jid = "1@s.whatsapp.net"}),
                 ConstraintViolation);
    EXPECT_THROW(repo_->UpsertContact({.company_id = a.id, .session_id = s.id}), ConstraintViolation);
}

TEST_P(RepositoryTest, ChatsShowTheirContactsNameUnlessNamed) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    // A chat that exists before its contact is named follows the name as it comes and goes.
    Chat chat = NewChat(s, "79001112233@s.whatsapp.net");
    EXPECT_EQ(chat.contact_name, "");
    UpsertedContact pushed = repo_->UpsertContact(ContactOf(s, "79001112233@s.whatsapp.net", "", "", "Anna"));
    ASSERT_EQ(pushed.chats.size(), 1u);
    EXPECT_EQ(pushed.chats[0].id, chat.id);
    EXPECT_EQ(pushed.chats[0].contact_name, "Anna");
    EXPECT_EQ(pushed.chats[0].name, "");
    EXPECT_EQ(repo_->FindChat(a.id, s.id, chat.id)->contact_name, "Anna");
    // The same name again touches no chat.
    EXPECT_TRUE(repo_->UpsertContact(ContactOf(s, "79001112233@s.whatsapp.net", "", "", "Anna")).chats.empty());
    // The phone's own name wins over the push name.
    auto renamed = repo_->UpsertContact(ContactOf(s, "79001112233@s.whatsapp.net", "", "Anna Smirnova"));
    ASSERT_EQ(renamed.chats.size(), 1u);
    EXPECT_EQ(renamed.chats[0].contact_name, "Anna Smirnova");
    // Messages keep the contact name on the chat row they return.
    RecordedMessage rec = repo_->RecordMessage(IncomingMessage(chat, "A1", 1000));
    EXPECT_EQ(rec.chat.contact_name, "Anna Smirnova");

    // A chat created after its contact is known carries the name at once, also by the LID alias.
    repo_->UpsertContact(ContactOf(s, "79009998877@s.whatsapp.net", "333444@lid", "", "Boris"));
    Chat by_lid = NewChat(s, "333444@lid");
    EXPECT_EQ(by_lid.contact_name, "Boris");
    // A group never takes a contact's name.
    Chat group = repo_->UpsertChat(
        {.company_id = a.id, .session_id = s.id, .jid = "120363000@g.us", .name = "Team", .is_group = true});
    EXPECT_EQ(group.contact_name, "");

    // The chat listing's search finds a chat by its contact's name.
    auto found = repo_->ListChats({.company_id = a.id, .session_id = s.id, .search = "smirn"});
    ASSERT_EQ(found.items.size(), 1u);
    EXPECT_EQ(found.items[0].id, chat.id);
    EXPECT_EQ(found.total, 1);
}

TEST_P(RepositoryTest, ListContactsPagesAndSearches) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a), other = NewSession(b);
    repo_->UpsertContact(ContactOf(s, "79000000003@s.whatsapp.net", "", "", "charlie"));
    repo_->UpsertContact(ContactOf(s, "79000000001@s.whatsapp.net", "", "Alice"));
    repo_->UpsertContact(ContactOf(s, "79000000002@s.whatsapp.net", "222@lid", "", "Bob"));
    repo_->UpsertContact(ContactOf(s, "79000000009@s.whatsapp.net", "999@lid"));  // a mapping, no name
    repo_->UpsertContact(ContactOf(other, "79000000004@s.whatsapp.net", "", "Alice of B"));

    auto all = repo_->ListContacts({.company_id = a.id, .session_id = s.id});
    EXPECT_EQ(all.total, 4);
    ASSERT_EQ(all.items.size(), 4u);
    // Named first, by name case-insensitively; the unnamed last.
    EXPECT_EQ(ContactDisplayName(all.items[0]), "Alice");
    EXPECT_EQ(ContactDisplayName(all.items[1]), "Bob");
    EXPECT_EQ(ContactDisplayName(all.items[2]), "charlie");
    EXPECT_EQ(all.items[3].jid, "79000000009@s.whatsapp.net");

    auto page2 = repo_->ListContacts({.company_id = a.id, .session_id = s.id, .page = 2, .limit = 3});
    EXPECT_EQ(page2.total, 4);
    ASSERT_EQ(page2.items.size(), 1u);
    EXPECT_EQ(page2.items[0].jid, "79000000009@s.whatsapp.net");

    const auto search = [&](const std::string& q) {
        return repo_->ListContacts({.company_id = a.id, .session_id = s.id, .search = q});
    };
    EXPECT_EQ(search("ALI").total, 1);                     // name
    EXPECT_EQ(search("bo").items.at(0).lid, "222@lid");    // push name
    EXPECT_EQ(search("79000000003").total, 1);             // phone
    EXPECT_EQ(search("999@").total, 1);                    // lid
    EXPECT_EQ(search("%").total, 0);                       // LIKE metacharacters are literal
    EXPECT_EQ(search("of B").total, 0);                    // nothing of another company

    // A purge takes the session's contacts with it; without purge they stay with the history.
    repo_->DeleteSession(a.id, s.id, false);
    EXPECT_EQ(repo_->ListContacts({.company_id = a.id, .session_id = s.id}).total, 4);
    repo_->DeleteSession(b.id, other.id, true);
    EXPECT_EQ(repo_->ListContacts({.company_id = b.id, .session_id = other.id}).total, 0);
}

}  // namespace wadesk::store::testing
