#include "store/repository_test.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/ids.h"
#include "store/detail/migrations.h"
#include "store/errors.h"
#include "store/sql_repository.h"

namespace wadesk::store::testing {

void RepositoryTest::SetUp() {
    TestUrl url = AcquireTestUrl(GetParam());
    ASSERT_TRUE(url.error.empty()) << url.error;
    url_ = url.url;
    repo_ = OpenRepository(url_);
}

void RepositoryTest::TearDown() {
    repo_.reset();
    ReleaseTestUrl(GetParam(), url_);
}

Company RepositoryTest::NewCompany(const std::string& name) { return repo_->CreateCompany({.name = name}); }

WaSession RepositoryTest::NewSession(const Company& company, const std::string& name) {
    return repo_->CreateSession({.company_id = company.id, .name = name});
}

Chat RepositoryTest::NewChat(const WaSession& session, const std::string& jid, const std::string& lid) {
    return repo_->UpsertChat({.company_id = session.company_id, .session_id = session.id, .jid = jid, .lid = lid});
}

Message RepositoryTest::IncomingMessage(const Chat& chat, const std::string& wa_id, std::int64_t ts,
                                        const std::string& body) {
    Message m;
    m.company_id = chat.company_id;
    m.session_id = chat.session_id;
    m.chat_id = chat.id;
    m.wa_message_id = wa_id;
    m.sender_jid = chat.jid;
    m.body = body;
    m.timestamp = ts;
    m.status = MessageStatus::kDelivered;
    return m;
}

namespace {

std::string UniqueEmail(const std::string& local) { return local + "." + NewId() + "@Example.COM"; }

}  // namespace

// ------------------------------------------------------------------ companies and users

TEST_P(RepositoryTest, CreatesAndFindsCompanies) {
    Company c = repo_->CreateCompany({.name = "Acme", .max_sessions = 3});
    EXPECT_TRUE(IsWellFormedId(c.id));
    EXPECT_GT(c.created_at, 0);
    auto found = repo_->FindCompany(c.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, "Acme");
    EXPECT_EQ(found->max_sessions, 3);
    EXPECT_EQ(found->created_at, c.created_at);
    EXPECT_FALSE(repo_->FindCompany(NewId()));
    EXPECT_TRUE(repo_->Ping());
}

TEST_P(RepositoryTest, UsersAreScopedToTheirCompany) {
    Company a = NewCompany("A"), b = NewCompany("B");
    std::string email = UniqueEmail("Admin");
    User admin = repo_->CreateUser({.company_id = a.id, .email = email, .name = "Ann", .role = Role::kAdmin,
                                    .password_hash = "$argon2id$v=19$x"});
    User manager = repo_->CreateUser({.company_id = a.id, .email = UniqueEmail("m"), .name = "Max"});
    User other = repo_->CreateUser({.company_id = b.id, .email = UniqueEmail("o"), .name = "Oz"});

    ASSERT_TRUE(repo_->FindUserById(admin.id));
    EXPECT_EQ(repo_->FindUserById(admin.id)->password_hash, "$argon2id$v=19$x");
    auto by_email = repo_->FindUserByEmail(email.substr(0, 5) + "@" + email.substr(6));  // not the same text
    EXPECT_FALSE(by_email);
    by_email = repo_->FindUserByEmail(email);
    ASSERT_TRUE(by_email);
    EXPECT_EQ(by_email->id, admin.id);
    EXPECT_EQ(by_email->role, Role::kAdmin);

    EXPECT_TRUE(repo_->FindUser(a.id, admin.id));
    EXPECT_FALSE(repo_->FindUser(b.id, admin.id));
    EXPECT_FALSE(repo_->FindUser(a.id, other.id));

    auto all = repo_->ListUsers(a.id, std::nullopt);
    ASSERT_EQ(all.size(), 2u);
    auto managers = repo_->ListUsers(a.id, Role::kManager);
    ASSERT_EQ(managers.size(), 1u);
    EXPECT_EQ(managers[0].id, manager.id);
    EXPECT_EQ(repo_->ListUsers(b.id, Role::kAdmin).size(), 0u);

    EXPECT_FALSE(repo_->UpdateUser(b.id, manager.id, {.name = "Hacked"}));
    EXPECT_EQ(repo_->FindUser(a.id, manager.id)->name, "Max");
    auto updated = repo_->UpdateUser(a.id, manager.id, {.name = "Maxine", .disabled = true});
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->name, "Maxine");
    EXPECT_TRUE(updated->disabled);
    EXPECT_EQ(repo_->FindUser(a.id, manager.id)->name, "Maxine");
    EXPECT_TRUE(repo_->FindUser(a.id, manager.id)->disabled);

    EXPECT_FALSE(repo_->DeleteUser(b.id, manager.id));
    EXPECT_TRUE(repo_->DeleteUser(a.id, manager.id));
    EXPECT_FALSE(repo_->FindUserById(manager.id));
    EXPECT_FALSE(repo_->DeleteUser(a.id, manager.id));
}

TEST_P(RepositoryTest, ListsAllUsersAndCountsCompanies) {
    const std::int64_t before = repo_->CountCompanies();
    Company a = NewCompany(), b = NewCompany();
    EXPECT_EQ(repo_->CountCompanies(), before + 2);
    User ua = repo_->CreateUser({.company_id = a.id, .email = UniqueEmail("a")});
    User ub = repo_->CreateUser({.company_id = b.id, .email = UniqueEmail("b"), .role = Role::kAdmin});
    auto all = repo_->ListAllUsers();
    auto has = [&](const User& u) {
        return std::any_of(all.begin(), all.end(), [&](const User& x) {
            return x.id == u.id && x.company_id == u.company_id && x.role == u.role;
        });
    };
    EXPECT_TRUE(has(ua));
    EXPECT_TRUE(has(ub));
}

// Emails are compared as the bytes stored (the service stores auth::NormaliseEmail's spelling):
// the database's own case mapping takes no part, on either backend. So a lookup in another
// spelling finds nothing, whatever lower() of the database would make of it.
TEST_P(RepositoryTest, EmailsAreUniqueAndFoundAsStored) {
    Company a = NewCompany(), b = NewCompany();
    std::string email = UniqueEmail("kboss");
    ASSERT_EQ(email[0], 'k');
    repo_->CreateUser({.company_id = a.id, .email = email});
    EXPECT_THROW(repo_->CreateUser({.company_id = b.id, .email = email}), UniqueViolation);
    User second = repo_->CreateUser({.company_id = a.id, .email = UniqueEmail("two")});
    EXPECT_THROW(repo_->UpdateUser(a.id, second.id, {.email = email}), UniqueViolation);
    EXPECT_NE(repo_->FindUser(a.id, second.id)->email, email);
    std::string upper = email;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
    EXPECT_FALSE(repo_->FindUserByEmail(upper));
    EXPECT_FALSE(repo_->FindUserByEmail("\u212A" + email.substr(1)));  // KELVIN SIGN for the k
    ASSERT_TRUE(repo_->FindUserByEmail(email));
    // A user of a company that does not exist is refused by the foreign key.
    EXPECT_THROW(repo_->CreateUser({.company_id = NewId(), .email = UniqueEmail("x")}), ConstraintViolation);
}

// The sign-out mark is stored, read back, and never moves back.
TEST_P(RepositoryTest, TokenMarkIsKeptAndOnlyMovesForward) {
    Company a = NewCompany();
    User u = repo_->CreateUser({.company_id = a.id, .email = UniqueEmail("mark")});
    EXPECT_EQ(u.tokens_valid_after, 0);
    EXPECT_EQ(repo_->FindUserById(u.id)->tokens_valid_after, 0);
    auto moved = repo_->UpdateUser(a.id, u.id, {.tokens_valid_after = 5000});
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->tokens_valid_after, 5000);
    EXPECT_EQ(repo_->FindUserById(u.id)->tokens_valid_after, 5000);
    EXPECT_EQ(repo_->UpdateUser(a.id, u.id, {.tokens_valid_after = 4000})->tokens_valid_after, 5000);
    EXPECT_EQ(repo_->UpdateUser(a.id, u.id, {.name = "n"})->tokens_valid_after, 5000);
    EXPECT_EQ(repo_->FindUserByEmail(u.email)->tokens_valid_after, 5000);
    bool listed = false;
    for (const auto& x : repo_->ListAllUsers()) listed = listed || (x.id == u.id && x.tokens_valid_after == 5000);
    EXPECT_TRUE(listed);
}

TEST_P(RepositoryTest, FindsUsersByExternalIdWithinTheCompany) {
    Company a = NewCompany(), b = NewCompany();
    User u = repo_->CreateUser({.company_id = a.id, .email = UniqueEmail("ext"), .external_id = "sub-42"});
    ASSERT_TRUE(repo_->FindUserByExternalId(a.id, "sub-42"));
    EXPECT_EQ(repo_->FindUserByExternalId(a.id, "sub-42")->id, u.id);
    EXPECT_FALSE(repo_->FindUserByExternalId(b.id, "sub-42"));
    EXPECT_FALSE(repo_->FindUserByExternalId(a.id, ""));
}

// ------------------------------------------------------------------ sessions and access

TEST_P(RepositoryTest, SessionsLifecycle) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s1 = repo_->CreateSession({.company_id = a.id, .name = "one", .created_at = 1000});
    WaSession s2 = repo_->CreateSession({.company_id = a.id, .name = "two", .created_at = 2000});
    WaSession s3 = NewSession(b, "three");
    EXPECT_EQ(s1.status, SessionStatus::kInitializing);

    EXPECT_TRUE(repo_->FindSession(a.id, s1.id));
    EXPECT_FALSE(repo_->FindSession(b.id, s1.id));
    ASSERT_TRUE(repo_->FindSessionById(s3.id));
    EXPECT_EQ(repo_->FindSessionById(s3.id)->company_id, b.id);
    EXPECT_EQ(repo_->CountSessions(a.id), 2);
    auto listed = repo_->ListSessions(a.id);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, s1.id);
    EXPECT_EQ(listed[1].id, s2.id);

    auto updated = repo_->UpdateSession(s2.id, {.status = SessionStatus::kConnected,
                                                .phone_number = "79001234567",
                                                .display_name = "Shop",
                                                .jid = "79001234567:3@s.whatsapp.net",
                                                .connected_at = 1700000000000});
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->status, SessionStatus::kConnected);
    auto again = repo_->FindSession(a.id, s2.id);
    EXPECT_EQ(again->phone_number, "79001234567");
    EXPECT_EQ(again->display_name, "Shop");
    EXPECT_EQ(again->jid, "79001234567:3@s.whatsapp.net");
    EXPECT_EQ(again->connected_at, 1700000000000);
    EXPECT_EQ(again->name, "two");
    EXPECT_FALSE(repo_->UpdateSession(NewId(), {.name = "x"}));
    EXPECT_EQ(repo_->FindSession(a.id, s2.id)->status, SessionStatus::kConnected);

    repo_->UpdateSession(s3.id, {.status = SessionStatus::kReconnecting});
    auto resumable = repo_->ListSessionsByStatus({SessionStatus::kConnected, SessionStatus::kReconnecting});
    std::set<std::string> ids;
    for (const auto& s : resumable) ids.insert(s.id);
    EXPECT_TRUE(ids.count(s2.id));
    EXPECT_TRUE(ids.count(s3.id));
    EXPECT_FALSE(ids.count(s1.id));
    EXPECT_TRUE(repo_->ListSessionsByStatus({}).empty());
}

TEST_P(RepositoryTest, AccessGrantsStayInsideTheCompany) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a);
    WaSession s_b = NewSession(b);
    User m = repo_->CreateUser({.company_id = a.id, .email = UniqueEmail("m")});
    User m_b = repo_->CreateUser({.company_id = b.id, .email = UniqueEmail("mb")});

    Access granted = repo_->UpsertAccess({.company_id = a.id, .session_id = s.id, .user_id = m.id, .can_read = true});
    EXPECT_TRUE(granted.can_read);
    EXPECT_FALSE(granted.can_write);
    Access changed = repo_->UpsertAccess(
        {.company_id = a.id, .session_id = s.id, .user_id = m.id, .can_read = true, .can_write = true});
    EXPECT_TRUE(changed.can_write);
    EXPECT_EQ(changed.created_at, granted.created_at);

    auto found = repo_->FindAccess(a.id, s.id, m.id);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->can_write);
    EXPECT_FALSE(found->can_manage_chats);
    EXPECT_FALSE(repo_->FindAccess(b.id, s.id, m.id));
    EXPECT_EQ(repo_->ListAccessBySession(a.id, s.id).size(), 1u);
    EXPECT_EQ(repo_->ListAccessBySession(b.id, s.id).size(), 0u);
    EXPECT_EQ(repo_->ListAccessByUser(a.id, m.id).size(), 1u);
    EXPECT_EQ(repo_->ListAccessByUser(b.id, m.id).size(), 0u);
    auto all = repo_->ListAllAccess();
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const Access& x) { return x.user_id == m.id; }));

    // Grants never cross companies.
    EXPECT_THROW(repo_->UpsertAccess({.company_id = a.id, .session_id = s_b.id, .user_id = m.id, .can_read = true}),
                 ConstraintViolation);
    EXPECT_THROW(repo_->UpsertAccess({.company_id = a.id, .session_id = s.id, .user_id = m_b.id, .can_read = true}),
                 ConstraintViolation);

    EXPECT_FALSE(repo_->DeleteAccess(b.id, s.id, m.id));
    EXPECT_TRUE(repo_->DeleteAccess(a.id, s.id, m.id));
    EXPECT_FALSE(repo_->FindAccess(a.id, s.id, m.id));

    // Deleting a user drops the user's grants.
    repo_->UpsertAccess({.company_id = a.id, .session_id = s.id, .user_id = m.id, .can_read = true});
    ASSERT_TRUE(repo_->DeleteUser(a.id, m.id));
    EXPECT_TRUE(repo_->ListAccessBySession(a.id, s.id).empty());
}

TEST_P(RepositoryTest, DeleteSessionKeepsHistoryUnlessPurged) {
    Company a = NewCompany(), b = NewCompany();
    User m = repo_->CreateUser({.company_id = a.id, .email = UniqueEmail("m")});
    WaSession keep = NewSession(a, "keep");
    WaSession purge = NewSession(a, "purge");
    for (const WaSession* s : {&keep, &purge}) {
        repo_->UpsertAccess({.company_id = a.id, .session_id = s->id, .user_id = m.id, .can_read = true});
        repo_->PutCredential(s->id, "noise", "secret");
        Chat c = NewChat(*s, "79000000001@s.whatsapp.net");
        repo_->RecordMessage(IncomingMessage(c, "W1", 1000));
        repo_->AppendEvent({.company_id = a.id, .session_id = s->id, .name = "whatsapp:message"});
    }
    EXPECT_FALSE(repo_->DeleteSession(b.id, keep.id, true));
    ASSERT_TRUE(repo_->FindSession(a.id, keep.id));

    ASSERT_TRUE(repo_->DeleteSession(a.id, keep.id, false));
    EXPECT_FALSE(repo_->FindSession(a.id, keep.id));
    EXPECT_FALSE(repo_->GetCredential(keep.id, "noise"));
    EXPECT_FALSE(repo_->FindAccess(a.id, keep.id, m.id));
    auto kept_chat = repo_->FindChatByJid(a.id, keep.id, "79000000001@s.whatsapp.net");
    ASSERT_TRUE(kept_chat);
    EXPECT_TRUE(repo_->FindMessageByWaId(keep.id, "W1"));

    ASSERT_TRUE(repo_->DeleteSession(a.id, purge.id, true));
    EXPECT_FALSE(repo_->FindChatByJid(a.id, purge.id, "79000000001@s.whatsapp.net"));
    EXPECT_FALSE(repo_->FindMessageByWaId(purge.id, "W1"));
    EXPECT_FALSE(repo_->GetCredential(purge.id, "noise"));
    auto events = repo_->ListEvents(a.id, 0, 100);
    for (const auto& e : events) EXPECT_NE(e.session_id, purge.id);
    EXPECT_EQ(events.size(), 1u);
    EXPECT_FALSE(repo_->DeleteSession(a.id, purge.id, true));
}

// ------------------------------------------------------------------ chats

TEST_P(RepositoryTest, ChatsAreFoundOnlyInTheirCompanyAndSession) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    Chat c = NewChat(s, "79001112233@s.whatsapp.net", "111222333@lid");
    EXPECT_TRUE(IsWellFormedId(c.id));
    EXPECT_TRUE(repo_->FindChat(a.id, s.id, c.id));
    EXPECT_FALSE(repo_->FindChat(b.id, s.id, c.id));
    EXPECT_FALSE(repo_->FindChat(a.id, s2.id, c.id));
    EXPECT_EQ(repo_->FindChatByJid(a.id, s.id, "79001112233@s.whatsapp.net")->id, c.id);
    EXPECT_EQ(repo_->FindChatByJid(a.id, s.id, "111222333@lid")->id, c.id);
    EXPECT_FALSE(repo_->FindChatByJid(b.id, s.id, "79001112233@s.whatsapp.net"));
    EXPECT_FALSE(repo_->FindChatByJid(a.id, s2.id, "79001112233@s.whatsapp.net"));
    EXPECT_FALSE(repo_->FindChatByJid(a.id, s.id, ""));
    // Upserting again is the same chat.
    Chat same = repo_->UpsertChat({.company_id = a.id, .session_id = s.id, .jid = "79001112233@s.whatsapp.net",
                                   .name = "Ivan"});
    EXPECT_EQ(same.id, c.id);
    EXPECT_EQ(same.name, "Ivan");
    EXPECT_EQ(same.lid, "111222333@lid");
    // A chat in a session of another company is refused.
    WaSession s_b = NewSession(b);
    EXPECT_THROW(repo_->UpsertChat({.company_id = a.id, .session_id = s_b.id, .jid = "1@s.whatsapp.net"}),
                 ConstraintViolation);
}

TEST_P(RepositoryTest, LidAndPhoneNumberJidAreOneChat) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    // Seen first by LID only, later with the phone number: the same row, PN becomes canonical.
    Chat by_lid = NewChat(s, "555000111@lid");
    repo_->RecordMessage(IncomingMessage(by_lid, "L1", 1000));
    Chat merged = NewChat(s, "79005550111@s.whatsapp.net", "555000111@lid");
    EXPECT_EQ(merged.id, by_lid.id);
    EXPECT_EQ(merged.jid, "79005550111@s.whatsapp.net");
    EXPECT_EQ(merged.lid, "555000111@lid");
    EXPECT_EQ(repo_->FindChatByJid(a.id, s.id, "555000111@lid")->id, by_lid.id);

    // Two rows created apart (PN and LID) are folded into one when the alias becomes known.
    Chat pn = NewChat(s, "79007770000@s.whatsapp.net");
    Chat lid = NewChat(s, "777000@lid");
    ASSERT_NE(pn.id, lid.id);
    repo_->RecordMessage(IncomingMessage(pn, "P1", 2000));
    repo_->RecordMessage(IncomingMessage(lid, "P2", 3000, "newest"));
    Chat one = NewChat(s, "79007770000@s.whatsapp.net", "777000@lid");
    EXPECT_EQ(one.id, pn.id);
    EXPECT_EQ(one.lid, "777000@lid");
    EXPECT_EQ(one.unread_count, 2);
    EXPECT_EQ(one.last_message, "newest");
    EXPECT_EQ(one.last_message_at, 3000);
    EXPECT_FALSE(repo_->FindChat(a.id, s.id, lid.id));
    EXPECT_EQ(repo_->FindChatByJid(a.id, s.id, "777000@lid")->id, pn.id);
    auto messages = repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = pn.id});
    EXPECT_EQ(messages.total, 2);
    EXPECT_EQ(repo_->FindMessageByWaId(s.id, "P2")->chat_id, pn.id);
}

TEST_P(RepositoryTest, UpdateChatMarkReadAndLabels) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79001230000@s.whatsapp.net");
    repo_->RecordMessage(IncomingMessage(c, "U1", 1000));
    repo_->RecordMessage(IncomingMessage(c, "U2", 2000));
    EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->unread_count, 2);

    EXPECT_FALSE(repo_->UpdateChat(b.id, s.id, c.id, {.archived = true}));
    EXPECT_FALSE(repo_->MarkChatRead(b.id, s.id, c.id));
    EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->unread_count, 2);

    std::vector<std::string> labels = {"vip", "has \"quotes\"", "юникод", "a,b]"};
    auto updated = repo_->UpdateChat(a.id, s.id, c.id,
                                     {.name = "Client", .archived = true, .pinned = true, .muted = true,
                                      .assigned_to = std::string("user-1"), .labels = labels});
    ASSERT_TRUE(updated);
    auto read_back = repo_->FindChat(a.id, s.id, c.id);
    EXPECT_EQ(read_back->name, "Client");
    EXPECT_TRUE(read_back->archived);
    EXPECT_TRUE(read_back->pinned);
    EXPECT_TRUE(read_back->muted);
    EXPECT_EQ(read_back->assigned_to, "user-1");
    EXPECT_EQ(read_back->labels, labels);
    EXPECT_EQ(read_back->unread_count, 2);

    repo_->UpdateChat(a.id, s.id, c.id, {.archived = false, .assigned_to = std::string(""), .labels = std::vector<std::string>{}});
    read_back = repo_->FindChat(a.id, s.id, c.id);
    EXPECT_FALSE(read_back->archived);
    EXPECT_TRUE(read_back->pinned);
    EXPECT_EQ(read_back->assigned_to, "");
    EXPECT_TRUE(read_back->labels.empty());

    auto read = repo_->MarkChatRead(a.id, s.id, c.id);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->unread_count, 0);
    EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->unread_count, 0);
}

TEST_P(RepositoryTest, ListChatsOrdersByActivityAndFilters) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a);
    WaSession other = NewSession(b);
    NewChat(other, "79990000000@s.whatsapp.net");
    std::vector<Chat> chats;
    for (int i = 0; i < 6; ++i) {
        chats.push_back(NewChat(s, "7900000000" + std::to_string(i) + "@s.whatsapp.net"));
        // chats 0..5 get activity 1000, 2000, ... ; chat 3 and 4 share a time
        repo_->RecordMessage(IncomingMessage(chats[i], "M" + std::to_string(i), i == 4 ? 4000 : (i + 1) * 1000));
    }
    Chat silent = NewChat(s, "79111111111@s.whatsapp.net");  // no messages: last_message_at 0
    repo_->UpdateChat(a.id, s.id, chats[1].id, {.name = "Pizza 100% Shop", .archived = true});
    repo_->UpdateChat(a.id, s.id, chats[2].id, {.name = "pizza_place", .assigned_to = std::string("u1")});
    repo_->MarkChatRead(a.id, s.id, chats[5].id);

    auto all = repo_->ListChats({.company_id = a.id, .session_id = s.id});
    EXPECT_EQ(all.total, 7);
    ASSERT_EQ(all.items.size(), 7u);
    std::vector<std::string> order;
    for (const auto& c : all.items) order.push_back(c.id);
    std::string tie_hi = std::max(chats[3].id, chats[4].id), tie_lo = std::min(chats[3].id, chats[4].id);
    std::vector<std::string> expected = {chats[5].id, tie_hi, tie_lo, chats[2].id, chats[1].id, chats[0].id, silent.id};
    EXPECT_EQ(order, expected);

    auto page2 = repo_->ListChats({.company_id = a.id, .session_id = s.id, .page = 2, .limit = 3});
    EXPECT_EQ(page2.total, 7);
    ASSERT_EQ(page2.items.size(), 3u);
    // Past the end the page is empty and the total still exact (the unfiltered total otherwise
    // rides along with the page's rows).
    auto past = repo_->ListChats({.company_id = a.id, .session_id = s.id, .page = 4, .limit = 3});
    EXPECT_TRUE(past.items.empty());
    EXPECT_EQ(past.total, 7);
    EXPECT_EQ(page2.items[0].id, chats[2].id);

    auto archived = repo_->ListChats({.company_id = a.id, .session_id = s.id, .archived = true});
    ASSERT_EQ(archived.total, 1);
    EXPECT_EQ(archived.items[0].id, chats[1].id);
    EXPECT_EQ(repo_->ListChats({.company_id = a.id, .session_id = s.id, .archived = false}).total, 6);

    auto unread = repo_->ListChats({.company_id = a.id, .session_id = s.id, .unread = true});
    EXPECT_EQ(unread.total, 5);
    auto read = repo_->ListChats({.company_id = a.id, .session_id = s.id, .unread = false});
    EXPECT_EQ(read.total, 2);

    auto assigned = repo_->ListChats({.company_id = a.id, .session_id = s.id, .assigned_to = std::string("u1")});
    ASSERT_EQ(assigned.total, 1);
    EXPECT_EQ(assigned.items[0].id, chats[2].id);
    EXPECT_EQ(repo_->ListChats({.company_id = a.id, .session_id = s.id, .assigned_to = std::string("")}).total, 6);

    auto pizza = repo_->ListChats({.company_id = a.id, .session_id = s.id, .search = "PIZZA"});
    EXPECT_EQ(pizza.total, 2);
    // LIKE metacharacters in the search are literal.
    auto percent = repo_->ListChats({.company_id = a.id, .session_id = s.id, .search = "100%"});
    ASSERT_EQ(percent.total, 1);
    EXPECT_EQ(percent.items[0].id, chats[1].id);
    auto underscore = repo_->ListChats({.company_id = a.id, .session_id = s.id, .search = "a_1"});  // '_' would match the space of "Pizza 100%"
    EXPECT_EQ(underscore.total, 0);
    auto by_jid = repo_->ListChats({.company_id = a.id, .session_id = s.id, .search = "79000000003"});
    EXPECT_EQ(by_jid.total, 1);
    auto combined = repo_->ListChats(
        {.company_id = a.id, .session_id = s.id, .search = "pizza", .archived = false, .unread = true});
    ASSERT_EQ(combined.total, 1);
    EXPECT_EQ(combined.items[0].id, chats[2].id);

    // Another company's session shows nothing.
    EXPECT_EQ(repo_->ListChats({.company_id = a.id, .session_id = other.id}).total, 0);
    EXPECT_EQ(repo_->ListChats({.company_id = b.id, .session_id = s.id}).total, 0);
}

// ------------------------------------------------------------------ messages

TEST_P(RepositoryTest, SenderPhoneAndLidAreStoredAndListed) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79005556677@s.whatsapp.net", "100000000000077@lid");
    Message both = IncomingMessage(c, "ID1", 1000, "by pn");
    both.sender_jid = "79005556677@s.whatsapp.net";
    both.sender_phone = "79005556677";
    both.sender_lid = "100000000000077@lid";
    RecordedMessage r = repo_->RecordMessage(both);
    ASSERT_TRUE(r.inserted);
    Message lid_only = IncomingMessage(c, "ID2", 2000, "by lid");
    lid_only.sender_jid = "100000000000077@lid";
    lid_only.sender_lid = "100000000000077@lid";
    repo_->RecordMessage(lid_only);

    auto stored = repo_->FindMessage(a.id, s.id, r.message.id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->sender_phone, "79005556677");
    EXPECT_EQ(stored->sender_lid, "100000000000077@lid");
    EXPECT_EQ(repo_->FindMessageByWaId(s.id, "ID2")->sender_lid, "100000000000077@lid");
    EXPECT_EQ(repo_->FindMessageByWaId(s.id, "ID2")->sender_phone, "");
    // The listing reads the column too (and the chat's count after it).
    auto page = repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id});
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.total, 2);
    EXPECT_EQ(page.items[0].wa_message_id, "ID2");
    EXPECT_EQ(page.items[0].sender_lid, "100000000000077@lid");
    EXPECT_EQ(page.items[1].sender_lid, "100000000000077@lid");
    EXPECT_EQ(page.items[1].sender_phone, "79005556677");
    // A message without a known LID keeps it empty.
    Message plain = IncomingMessage(c, "ID3", 3000, "x");
    repo_->RecordMessage(plain);
    EXPECT_EQ(repo_->FindMessageByWaId(s.id, "ID3")->sender_lid, "");
}

TEST_P(RepositoryTest, RecordMessageUpdatesTheChatInOneStep) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79005556677@s.whatsapp.net");
    Message in = IncomingMessage(c, "IN1", 5000, "hello");
    in.sender_name = "Ivan";
    in.sender_phone = "79005556677";
    in.type = MessageType::kImage;
    in.media = MediaInfo{"image/jpeg", 1234, "pic.jpg", "/media/x"};
    in.quoted_message_id = "Q";
    RecordedMessage r = repo_->RecordMessage(in);
    EXPECT_TRUE(r.inserted);
    EXPECT_TRUE(IsWellFormedId(r.message.id));
    EXPECT_EQ(r.chat.unread_count, 1);
    EXPECT_EQ(r.chat.last_message, "hello");
    EXPECT_EQ(r.chat.last_message_at, 5000);

    auto stored = repo_->FindMessage(a.id, s.id, r.message.id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->wa_message_id, "IN1");
    EXPECT_EQ(stored->sender_name, "Ivan");
    EXPECT_EQ(stored->sender_phone, "79005556677");
    EXPECT_EQ(stored->type, MessageType::kImage);
    ASSERT_TRUE(stored->media);
    EXPECT_EQ(stored->media->mimetype, "image/jpeg");
    EXPECT_EQ(stored->media->size, 1234);
    EXPECT_EQ(stored->media->file_name, "pic.jpg");
    EXPECT_EQ(stored->media->url, "/media/x");
    EXPECT_EQ(stored->quoted_message_id, "Q");
    EXPECT_EQ(stored->timestamp, 5000);
    EXPECT_FALSE(stored->from_me);

    // Outgoing and history messages do not count as unread; an older message keeps the preview.
    Message out = IncomingMessage(c, "", 6000, "reply");
    out.from_me = true;
    out.status = MessageStatus::kPending;
    out.sent_by = "user-7";
    out.client_message_id = "client-1";
    r = repo_->RecordMessage(out);
    EXPECT_TRUE(r.inserted);
    EXPECT_EQ(r.chat.unread_count, 1);
    EXPECT_EQ(r.chat.last_message, "reply");
    EXPECT_EQ(repo_->FindMessageByClientId(s.id, "client-1")->sent_by, "user-7");
    Message old = IncomingMessage(c, "OLD", 10, "ancient");
    old.from_history = true;
    r = repo_->RecordMessage(old);
    EXPECT_TRUE(r.inserted);
    EXPECT_EQ(r.chat.unread_count, 1);
    EXPECT_EQ(r.chat.last_message, "reply");
    EXPECT_EQ(r.chat.last_message_at, 6000);
    EXPECT_TRUE(repo_->FindMessageByWaId(s.id, "OLD")->from_history);

    // Scoping: another company or session does not find it.
    Company b = NewCompany();
    EXPECT_FALSE(repo_->FindMessage(b.id, s.id, r.message.id));
    WaSession s2 = NewSession(a);
    EXPECT_FALSE(repo_->FindMessage(a.id, s2.id, r.message.id));
    EXPECT_FALSE(repo_->FindMessageByWaId(s2.id, "OLD"));
    EXPECT_FALSE(repo_->FindMessageByWaId(s.id, ""));
    EXPECT_FALSE(repo_->FindMessageByClientId(s.id, ""));

    // The chat must exist in the message's session.
    Message orphan = IncomingMessage(c, "ORPHAN", 1);
    orphan.chat_id = NewId();
    EXPECT_THROW(repo_->RecordMessage(orphan), ConstraintViolation);
    Message wrong_session = IncomingMessage(c, "WS", 1);
    wrong_session.session_id = s2.id;
    EXPECT_THROW(repo_->RecordMessage(wrong_session), ConstraintViolation);
}

TEST_P(RepositoryTest, DuplicateMessagesAreStoredOnce) {
    Company a = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    Chat c = NewChat(s, "79001110000@s.whatsapp.net");
    Chat c2 = NewChat(s2, "79001110000@s.whatsapp.net");
    RecordedMessage first = repo_->RecordMessage(IncomingMessage(c, "DUP", 1000, "first"));
    RecordedMessage second = repo_->RecordMessage(IncomingMessage(c, "DUP", 2000, "second"));
    EXPECT_TRUE(first.inserted);
    EXPECT_FALSE(second.inserted);
    EXPECT_EQ(second.message.id, first.message.id);
    EXPECT_EQ(second.message.body, "first");
    EXPECT_EQ(second.chat.unread_count, 1);
    EXPECT_EQ(second.chat.last_message, "first");
    // The same WhatsApp id in another session is another message.
    EXPECT_TRUE(repo_->RecordMessage(IncomingMessage(c2, "DUP", 1000)).inserted);

    Message send = IncomingMessage(c, "", 3000, "out");
    send.from_me = true;
    send.client_message_id = "idem-1";
    RecordedMessage sent = repo_->RecordMessage(send);
    send.body = "retry";
    RecordedMessage retried = repo_->RecordMessage(send);
    EXPECT_TRUE(sent.inserted);
    EXPECT_FALSE(retried.inserted);
    EXPECT_EQ(retried.message.id, sent.message.id);
    EXPECT_EQ(retried.message.body, "out");
    EXPECT_EQ(repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id}).total, 2);
}

TEST_P(RepositoryTest, ConcurrentDuplicateInsertsStoreOneRow) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    std::vector<Chat> chats = {NewChat(s, "79002220001@s.whatsapp.net"), NewChat(s, "79002220002@s.whatsapp.net")};
    constexpr int kThreads = 8;
    constexpr int kRounds = 10;
    for (int round = 0; round < kRounds; ++round) {
        std::string wa_id = "RACE-" + std::to_string(round);
        std::vector<RecordedMessage> results(kThreads);
        std::vector<std::string> errors(kThreads);
        std::atomic<int> ready{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                ++ready;
                while (ready.load() < kThreads) std::this_thread::yield();
                try {
                    // Half the threads claim the id for another chat of the session: still one row.
                    results[t] = repo_->RecordMessage(IncomingMessage(chats[t % 2], wa_id, 1000 + round));
                } catch (const std::exception& e) {
                    errors[t] = e.what();
                }
            });
        }
        for (auto& th : threads) th.join();
        int inserted = 0;
        std::set<std::string> ids;
        for (int t = 0; t < kThreads; ++t) {
            ASSERT_EQ(errors[t], "") << "thread " << t;
            inserted += results[t].inserted ? 1 : 0;
            ids.insert(results[t].message.id);
        }
        EXPECT_EQ(inserted, 1) << wa_id;
        EXPECT_EQ(ids.size(), 1u) << wa_id;
    }
    std::int64_t total = 0, unread = 0;
    for (const Chat& c : chats) {
        total += repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id}).total;
        unread += repo_->FindChat(a.id, s.id, c.id)->unread_count;
    }
    EXPECT_EQ(total, kRounds);
    EXPECT_EQ(unread, kRounds);
}

TEST_P(RepositoryTest, MessageStatusOnlyMovesForward) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79003330000@s.whatsapp.net");
    Message m = IncomingMessage(c, "", 1000);
    m.from_me = true;
    m.status = MessageStatus::kPending;
    std::string id = repo_->RecordMessage(m).message.id;

    EXPECT_FALSE(repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kPending));
    auto sent = repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kSent);
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->status, MessageStatus::kSent);
    EXPECT_FALSE(repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kSent));
    EXPECT_FALSE(repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kFailed));
    EXPECT_TRUE(repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kRead));
    EXPECT_FALSE(repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kDelivered));  // a late receipt is ignored
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, id)->status, MessageStatus::kRead);
    EXPECT_TRUE(repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kPlayed));
    EXPECT_FALSE(repo_->AdvanceMessageStatus(s.id, id, MessageStatus::kRead));
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, id)->status, MessageStatus::kPlayed);

    std::string other = repo_->RecordMessage(m).message.id;
    EXPECT_EQ(repo_->AdvanceMessageStatus(s.id, other, MessageStatus::kFailed)->status, MessageStatus::kFailed);
    EXPECT_FALSE(repo_->AdvanceMessageStatus(s.id, other, MessageStatus::kSent));
    // Another session does not reach it.
    WaSession s2 = NewSession(a);
    std::string third = repo_->RecordMessage(m).message.id;
    EXPECT_FALSE(repo_->AdvanceMessageStatus(s2.id, third, MessageStatus::kSent));
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, third)->status, MessageStatus::kPending);
}

TEST_P(RepositoryTest, SetMessageWaIdAssignsOnce) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79004440000@s.whatsapp.net");
    Message m = IncomingMessage(c, "", 1000);
    m.from_me = true;
    m.status = MessageStatus::kPending;
    std::string first = repo_->RecordMessage(m).message.id;
    std::string second = repo_->RecordMessage(m).message.id;
    auto set = repo_->SetMessageWaId(s.id, first, "3EB0ABC");
    ASSERT_TRUE(set);
    EXPECT_EQ(set->wa_message_id, "3EB0ABC");
    EXPECT_EQ(repo_->FindMessageByWaId(s.id, "3EB0ABC")->id, first);
    EXPECT_THROW(repo_->SetMessageWaId(s.id, second, "3EB0ABC"), UniqueViolation);
    EXPECT_FALSE(repo_->SetMessageWaId(s.id, NewId(), "X"));
    // A duplicate arriving later from WhatsApp (our own echo) is recognised.
    EXPECT_FALSE(repo_->RecordMessage(IncomingMessage(c, "3EB0ABC", 1000)).inserted);
}

TEST_P(RepositoryTest, KeysetCursorIsExactAcrossEqualTimestamps) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79005550000@s.whatsapp.net");
    Chat other = NewChat(s, "79005559999@s.whatsapp.net");
    repo_->RecordMessage(IncomingMessage(other, "OTHER", 5000));
    // 23 messages in runs of equal timestamps, inserted in shuffled order.
    std::vector<std::pair<std::int64_t, std::string>> expected;
    for (int i = 0; i < 23; ++i) {
        std::int64_t ts = 1000 * (1 + (i * 7 % 23) / 4);
        std::string id = repo_->RecordMessage(IncomingMessage(c, "K" + std::to_string(i), ts)).message.id;
        expected.emplace_back(ts, id);
    }
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) { return x > y; });

    for (int limit : {1, 4, 7, 50}) {
        std::vector<std::string> walked;
        std::string before;
        for (int guard = 0; guard < 100; ++guard) {
            auto page = repo_->ListMessages(
                {.company_id = a.id, .session_id = s.id, .chat_id = c.id, .limit = limit, .before = before});
            EXPECT_EQ(page.total, 23);
            if (page.items.empty()) break;
            for (const auto& m : page.items) walked.push_back(m.id);
            before = page.items.back().id;
        }
        ASSERT_EQ(walked.size(), expected.size()) << "limit " << limit;
        for (std::size_t i = 0; i < walked.size(); ++i) EXPECT_EQ(walked[i], expected[i].second) << i;

        std::vector<std::string> paged;
        for (int page_no = 1; page_no < 100; ++page_no) {
            auto page = repo_->ListMessages(
                {.company_id = a.id, .session_id = s.id, .chat_id = c.id, .page = page_no, .limit = limit});
            if (page.items.empty()) break;
            for (const auto& m : page.items) paged.push_back(m.id);
        }
        EXPECT_EQ(paged, walked) << "limit " << limit;
    }
    // A cursor from another chat, another company or an unknown id selects nothing.
    std::string foreign = repo_->FindMessageByWaId(s.id, "OTHER")->id;
    EXPECT_TRUE(repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id, .before = foreign})
                    .items.empty());
    EXPECT_TRUE(repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id, .before = NewId()})
                    .items.empty());
    Company b = NewCompany();
    auto hidden = repo_->ListMessages({.company_id = b.id, .session_id = s.id, .chat_id = c.id});
    EXPECT_EQ(hidden.total, 0);
    EXPECT_TRUE(hidden.items.empty());
}

// The page-number listing finds the page start from the index and then seeks; it must give
// exactly what ORDER BY ts DESC, id DESC LIMIT/OFFSET gives, including inside runs of equal
// timestamps that cross page boundaries.
TEST_P(RepositoryTest, PageNumbersEqualPlainOffsetAcrossEqualTimestamps) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79005550100@s.whatsapp.net");
    Chat other = NewChat(s, "79005550199@s.whatsapp.net");
    // 47 messages: a run of 20 with one timestamp, runs of 5, and a few singles; the other chat
    // gets messages at the same timestamps, interleaved.
    std::vector<std::pair<std::int64_t, std::string>> expected;
    for (int i = 0; i < 47; ++i) {
        const int k = i * 17 % 47;  // shuffled insertion order
        const std::int64_t ts = k < 20 ? 7000 : (k < 40 ? 2000 + 1000 * ((k - 20) / 5) : 100 * k);
        expected.emplace_back(ts, repo_->RecordMessage(IncomingMessage(c, "P" + std::to_string(k), ts)).message.id);
        if (i % 4 == 0) repo_->RecordMessage(IncomingMessage(other, "Q" + std::to_string(k), ts));
    }
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) { return x > y; });
    const int n = static_cast<int>(expected.size());

    auto* sql = dynamic_cast<SqlRepository*>(repo_.get());
    ASSERT_NE(sql, nullptr);
    auto plain_offset = [&](int limit, std::int64_t offset) {
        std::vector<std::string> ids;
        sql->database().Read([&](detail::Connection& conn) {
            detail::Rows rows = conn.Query(
                "SELECT id FROM wa_messages WHERE chat_id = $1 ORDER BY ts DESC, id DESC LIMIT $2 OFFSET $3",
                {c.id, std::int64_t{limit}, offset});
            for (std::size_t i = 0; i < rows.size(); ++i) ids.emplace_back(rows[i].Text(0));
        });
        return ids;
    };

    for (int limit : {1, 3, 7, 10, 20, 46, 47, 200}) {
        std::vector<std::string> all;
        const int pages = (n + limit - 1) / limit;
        for (int page_no = 1; page_no <= pages + 2; ++page_no) {
            auto listed = repo_->ListChatMessages(
                {.company_id = a.id, .session_id = s.id, .chat_id = c.id, .page = page_no, .limit = limit});
            EXPECT_TRUE(listed.chat_found);
            EXPECT_EQ(listed.page.total, n);
            std::vector<std::string> ids;
            for (const auto& m : listed.page.items) {
                EXPECT_EQ(m.chat_id, c.id);
                ids.push_back(m.id);
            }
            const std::int64_t offset = static_cast<std::int64_t>(page_no - 1) * limit;
            EXPECT_EQ(ids, plain_offset(limit, offset)) << "limit " << limit << " page " << page_no;
            const std::size_t want = page_no <= pages ? std::min(limit, n - (page_no - 1) * limit) : 0;
            EXPECT_EQ(ids.size(), want) << "limit " << limit << " page " << page_no;
            all.insert(all.end(), ids.begin(), ids.end());
        }
        // Consecutive pages neither overlap nor leave a gap: together they are the whole chat in order.
        ASSERT_EQ(all.size(), expected.size()) << "limit " << limit;
        for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], expected[i].second) << "limit " << limit << " #" << i;
    }
    // Page 0 and negative pages are the first page; a page far past the end is empty.
    auto first = repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id, .page = 1, .limit = 5});
    for (int page_no : {0, -3}) {
        auto p = repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id, .page = page_no, .limit = 5});
        ASSERT_EQ(p.items.size(), first.items.size());
        for (std::size_t i = 0; i < p.items.size(); ++i) EXPECT_EQ(p.items[i].id, first.items[i].id);
    }
    auto far = repo_->ListChatMessages(
        {.company_id = a.id, .session_id = s.id, .chat_id = c.id, .page = 2'000'000'000, .limit = 1000});
    EXPECT_TRUE(far.chat_found);
    EXPECT_TRUE(far.page.items.empty());
    EXPECT_EQ(far.page.total, n);
    // A chat without messages has no pages at all.
    Chat empty = NewChat(s, "79005550188@s.whatsapp.net");
    auto none = repo_->ListChatMessages({.company_id = a.id, .session_id = s.id, .chat_id = empty.id, .page = 1});
    EXPECT_TRUE(none.chat_found);
    EXPECT_TRUE(none.page.items.empty());
    EXPECT_EQ(none.page.total, 0);
}

// The `before` listing reads the chat, its count and the cursor in one statement; every case
// of the cursor keeps its meaning.
TEST_P(RepositoryTest, BeforeCursorCases) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a, "second");
    WaSession sb = NewSession(b);
    Chat c = NewChat(s, "79005550200@s.whatsapp.net");
    Chat other = NewChat(s, "79005550299@s.whatsapp.net");
    Chat in_s2 = NewChat(s2, "79005550200@s.whatsapp.net");
    Chat in_b = NewChat(sb, "79005550200@s.whatsapp.net");
    std::vector<std::pair<std::int64_t, std::string>> expected;
    for (int i = 0; i < 12; ++i) {
        const std::int64_t ts = 1000 * (1 + i / 4);  // runs of 4 equal timestamps
        expected.emplace_back(ts, repo_->RecordMessage(IncomingMessage(c, "C" + std::to_string(i), ts)).message.id);
    }
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) { return x > y; });
    const std::string other_id = repo_->RecordMessage(IncomingMessage(other, "O", 1500)).message.id;
    const std::string s2_id = repo_->RecordMessage(IncomingMessage(in_s2, "S2", 1500)).message.id;
    const std::string b_id = repo_->RecordMessage(IncomingMessage(in_b, "B", 1500)).message.id;

    auto list = [&](const std::string& before, int limit = 50) {
        return repo_->ListChatMessages(
            {.company_id = a.id, .session_id = s.id, .chat_id = c.id, .limit = limit, .before = before});
    };
    // Every message of the chat as cursor, inside and at the edges of equal-timestamp runs.
    for (std::size_t k = 0; k < expected.size(); ++k) {
        auto r = list(expected[k].second);
        EXPECT_TRUE(r.chat_found);
        EXPECT_TRUE(r.cursor_found);
        EXPECT_EQ(r.page.total, 12);
        ASSERT_EQ(r.page.items.size(), expected.size() - k - 1) << "cursor #" << k;
        for (std::size_t i = 0; i < r.page.items.size(); ++i) EXPECT_EQ(r.page.items[i].id, expected[k + 1 + i].second);
        auto two = list(expected[k].second, 2);
        EXPECT_EQ(two.page.items.size(), std::min<std::size_t>(2, expected.size() - k - 1));
    }
    // The oldest message: found, nothing older.
    auto oldest = list(expected.back().second);
    EXPECT_TRUE(oldest.cursor_found);
    EXPECT_TRUE(oldest.page.items.empty());
    EXPECT_EQ(oldest.page.total, 12);
    // Unknown ids, and messages of another session or company, are no cursor here.
    for (const std::string& unknown : {NewId(), s2_id, b_id, std::string("'; DROP TABLE wa_messages; --")}) {
        auto r = list(unknown);
        EXPECT_TRUE(r.chat_found) << unknown;
        EXPECT_FALSE(r.cursor_found) << unknown;
        EXPECT_TRUE(r.page.items.empty()) << unknown;
        EXPECT_EQ(r.page.total, 12) << unknown;
    }
    // Another chat's message of the same session: a cursor, but it selects nothing here.
    auto foreign = list(other_id);
    EXPECT_TRUE(foreign.chat_found);
    EXPECT_TRUE(foreign.cursor_found);
    EXPECT_TRUE(foreign.page.items.empty());
    EXPECT_EQ(foreign.page.total, 12);
    // A chat outside (company, session) is not found, whatever the cursor.
    auto hidden = repo_->ListChatMessages(
        {.company_id = b.id, .session_id = s.id, .chat_id = c.id, .before = expected[0].second});
    EXPECT_FALSE(hidden.chat_found);
    EXPECT_TRUE(hidden.page.items.empty());
    EXPECT_EQ(hidden.page.total, 0);
    auto missing_chat = repo_->ListChatMessages(
        {.company_id = a.id, .session_id = s.id, .chat_id = NewId(), .before = expected[0].second});
    EXPECT_FALSE(missing_chat.chat_found);
    EXPECT_TRUE(missing_chat.page.items.empty());
}

// ------------------------------------------------------------------ events, audit, stats

TEST_P(RepositoryTest, EventIdsIncreaseAndAreScoped) {
    Company a = NewCompany(), b = NewCompany();
    constexpr int kThreads = 4, kEach = 15;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                repo_->AppendEvent({.company_id = (i % 3 == 0) ? b.id : a.id, .session_id = "s" + std::to_string(t),
                                    .name = "whatsapp:message", .payload_json = "{\"i\":" + std::to_string(i) + "}"});
            }
        });
    }
    for (auto& th : threads) th.join();
    auto events = repo_->ListEvents(a.id, 0, 1000);
    ASSERT_EQ(events.size(), static_cast<std::size_t>(kThreads * 10));
    for (std::size_t i = 1; i < events.size(); ++i) EXPECT_GT(events[i].id, events[i - 1].id);
    for (const auto& e : events) {
        EXPECT_EQ(e.company_id, a.id);
        EXPECT_EQ(e.name, "whatsapp:message");
        EXPECT_GT(e.created_at, 0);
    }
    auto tail = repo_->ListEvents(a.id, events[9].id, 5);
    ASSERT_EQ(tail.size(), 5u);
    EXPECT_EQ(tail[0].id, events[10].id);
    EXPECT_EQ(repo_->ListEvents(b.id, 0, 1000).size(), static_cast<std::size_t>(kThreads * 5));
    Event appended = repo_->AppendEvent({.company_id = a.id, .name = "x"});
    EXPECT_GT(appended.id, events.back().id);
    EXPECT_EQ(appended.payload_json, "{}");
    EXPECT_TRUE(repo_->ListEvents(a.id, appended.id, 10).empty());
}

TEST_P(RepositoryTest, AuditIsNewestFirstAndScoped) {
    Company a = NewCompany(), b = NewCompany();
    for (int i = 0; i < 5; ++i) {
        repo_->AppendAudit({.company_id = a.id, .user_id = "u", .action = "session.create", .target_type = "session",
                            .target_id = "t" + std::to_string(i), .ip = "127.0.0.1"});
    }
    AuditEntry other = repo_->AppendAudit({.company_id = b.id, .action = "user.create"});
    EXPECT_GT(other.id, 0);
    EXPECT_EQ(other.details_json, "{}");
    auto page = repo_->ListAudit(a.id, 1, 2);
    EXPECT_EQ(page.total, 5);
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].target_id, "t4");
    EXPECT_EQ(page.items[1].target_id, "t3");
    EXPECT_EQ(page.items[0].ip, "127.0.0.1");
    auto last = repo_->ListAudit(a.id, 3, 2);
    ASSERT_EQ(last.items.size(), 1u);
    EXPECT_EQ(last.items[0].target_id, "t0");
    EXPECT_EQ(repo_->ListAudit(b.id, 1, 50).total, 1);
}

TEST_P(RepositoryTest, StatsCountPerUtcDayAndSession) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s1 = repo_->CreateSession({.company_id = a.id, .name = "first", .created_at = 1000});
    WaSession s2 = repo_->CreateSession({.company_id = a.id, .name = "second", .created_at = 2000});
    repo_->UpdateSession(s2.id, {.status = SessionStatus::kConnected});
    Chat c1 = NewChat(s1, "79006660001@s.whatsapp.net");
    Chat c2 = NewChat(s1, "79006660002@s.whatsapp.net");
    Chat c3 = NewChat(s2, "79006660003@s.whatsapp.net");
    Chat cb = NewChat(NewSession(b), "79006660004@s.whatsapp.net");
    const std::int64_t day1 = 1767225600000;  // 2026-01-01T00:00:00Z
    const std::int64_t kDay = 86400000;
    auto add = [&](const Chat& c, const std::string& wa, std::int64_t ts, bool from_me) {
        Message m = IncomingMessage(c, wa, ts);
        m.from_me = from_me;
        repo_->RecordMessage(m);
    };
    add(c1, "old", day1 - kDay, false);        // before `since`
    add(c1, "a1", day1, false);                // first ms of day 1
    add(c2, "a2", day1 + kDay - 1, true);      // last ms of day 1
    add(c3, "a3", day1 + kDay, false);         // first ms of day 2
    add(c3, "a4", day1 + kDay + 5, true);
    add(c3, "a5", day1 + 3 * kDay, false);     // day 4; day 3 has none
    add(cb, "b1", day1, false);                // other company

    CompanyStats st = repo_->Stats(a.id, day1);
    EXPECT_EQ(st.total_sessions, 2);
    EXPECT_EQ(st.active_sessions, 1);
    EXPECT_EQ(st.total_chats, 3);
    ASSERT_EQ(st.per_day.size(), 3u);
    EXPECT_EQ(st.per_day[0].day, "2026-01-01");
    EXPECT_EQ(st.per_day[0].incoming, 1);
    EXPECT_EQ(st.per_day[0].outgoing, 1);
    EXPECT_EQ(st.per_day[1].day, "2026-01-02");
    EXPECT_EQ(st.per_day[1].incoming, 1);
    EXPECT_EQ(st.per_day[1].outgoing, 1);
    EXPECT_EQ(st.per_day[2].day, "2026-01-04");
    EXPECT_EQ(st.per_day[2].incoming, 1);
    ASSERT_EQ(st.per_session.size(), 2u);
    EXPECT_EQ(st.per_session[0].session_id, s1.id);
    EXPECT_EQ(st.per_session[0].chats, 2);
    EXPECT_EQ(st.per_session[0].incoming, 1);
    EXPECT_EQ(st.per_session[0].outgoing, 1);
    EXPECT_EQ(st.per_session[1].chats, 1);
    EXPECT_EQ(st.per_session[1].incoming, 2);
    EXPECT_EQ(st.per_session[1].outgoing, 1);

    CompanyStats all = repo_->Stats(a.id, 0);
    ASSERT_EQ(all.per_day.size(), 4u);
    EXPECT_EQ(all.per_day[0].day, "2025-12-31");
    // A `since` inside a day counts that day from `since` on only.
    CompanyStats partial = repo_->Stats(a.id, day1 + 1);
    ASSERT_EQ(partial.per_day.size(), 3u);
    EXPECT_EQ(partial.per_day[0].day, "2026-01-01");
    EXPECT_EQ(partial.per_day[0].incoming, 0);
    EXPECT_EQ(partial.per_day[0].outgoing, 1);
    EXPECT_EQ(partial.per_session[0].incoming, 0);
    EXPECT_EQ(partial.per_session[0].outgoing, 1);
    CompanyStats late = repo_->Stats(a.id, day1 + kDay + 3);
    ASSERT_EQ(late.per_day.size(), 2u);
    EXPECT_EQ(late.per_day[0].day, "2026-01-02");
    EXPECT_EQ(late.per_day[0].incoming, 0);
    EXPECT_EQ(late.per_day[0].outgoing, 1);
    // Duplicates do not count twice; purging a session removes its counts.
    add(c3, "a5", day1 + 3 * kDay, false);
    EXPECT_EQ(repo_->Stats(a.id, day1).per_day[2].incoming, 1);
    ASSERT_TRUE(repo_->DeleteSession(a.id, s2.id, true));
    CompanyStats purged = repo_->Stats(a.id, day1);
    ASSERT_EQ(purged.per_day.size(), 1u);
    EXPECT_EQ(purged.per_day[0].day, "2026-01-01");
    EXPECT_EQ(purged.total_sessions, 1);

    CompanyStats none = repo_->Stats(NewId(), 0);
    EXPECT_EQ(none.total_sessions, 0);
    EXPECT_TRUE(none.per_day.empty());
}

// ------------------------------------------------------------------ credentials

TEST_P(RepositoryTest, CredentialsRoundTripBinaryValues) {
    Company a = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    std::string blob("\x00\x01\xff\xfe'\";--\x00tail", 14);
    EXPECT_FALSE(repo_->GetCredential(s.id, "identity"));
    repo_->PutCredential(s.id, "identity", blob);
    repo_->PutCredential(s.id, "noise", "n1");
    repo_->PutCredential(s2.id, "noise", "other");
    ASSERT_TRUE(repo_->GetCredential(s.id, "identity"));
    EXPECT_EQ(*repo_->GetCredential(s.id, "identity"), blob);
    repo_->PutCredential(s.id, "noise", "n2");
    EXPECT_EQ(*repo_->GetCredential(s.id, "noise"), "n2");
    repo_->PutCredential(s.id, "empty", "");
    ASSERT_TRUE(repo_->GetCredential(s.id, "empty"));
    EXPECT_EQ(*repo_->GetCredential(s.id, "empty"), "");
    repo_->DeleteCredential(s.id, "noise");
    EXPECT_FALSE(repo_->GetCredential(s.id, "noise"));
    EXPECT_TRUE(repo_->GetCredential(s.id, "identity"));
    repo_->DeleteCredentials(s.id);
    EXPECT_FALSE(repo_->GetCredential(s.id, "identity"));
    EXPECT_EQ(*repo_->GetCredential(s2.id, "noise"), "other");
    // Credentials belong to an existing session.
    EXPECT_THROW(repo_->PutCredential(NewId(), "k", "v"), ConstraintViolation);
}

// ------------------------------------------------------------------ units of work

// The receive pipeline's guarantee: the Signal state, the message and its event commit together
// or not at all.
TEST_P(RepositoryTest, ATransactionCommitsEverythingOrNothing) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    auto write_all = [&](Transaction& tx, const std::string& wa_id) {
        tx.PutCredential(s.id, "session/x/0", "ratchet-" + wa_id);
        Chat chat = tx.UpsertChat({.company_id = a.id, .session_id = s.id, .jid = "79001112233@s.whatsapp.net"});
        Message m;
        m.session_id = s.id;
        m.chat_id = chat.id;
        m.wa_message_id = wa_id;
        m.body = "hello " + wa_id;
        m.timestamp = 1000;
        RecordedMessage rec = tx.RecordMessage(m);
        EXPECT_TRUE(rec.inserted);
        tx.AppendEvent({.company_id = a.id, .session_id = s.id, .name = "whatsapp:message"});
    };
    EXPECT_THROW(repo_->Transact([&](Transaction& tx) {
        write_all(tx, "W1");
        throw std::runtime_error("the commit fails");
    }),
                 std::runtime_error);
    EXPECT_FALSE(repo_->GetCredential(s.id, "session/x/0"));
    EXPECT_FALSE(repo_->FindMessageByWaId(s.id, "W1"));
    EXPECT_FALSE(repo_->FindChatByJid(a.id, s.id, "79001112233@s.whatsapp.net"));
    EXPECT_TRUE(repo_->ListEvents(a.id, 0, 10).empty());

    repo_->Transact([&](Transaction& tx) { write_all(tx, "W2"); });
    EXPECT_EQ(*repo_->GetCredential(s.id, "session/x/0"), "ratchet-W2");
    auto stored = repo_->FindMessageByWaId(s.id, "W2");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->body, "hello W2");
    EXPECT_EQ(repo_->ListEvents(a.id, 0, 10).size(), 1u);
}

// Group commit: many concurrent units share transactions, yet each commits or fails on its own.
// One unit in eight throws after writing; its writes vanish, the others' stay, and each caller
// gets back exactly its own events, with ids that order them as the events API lists them.
TEST_P(RepositoryTest, ConcurrentUnitsCommitOrFailEachOnTheirOwn) {
    Company a = NewCompany();
    constexpr int kThreads = 8, kUnits = 40;
    std::vector<WaSession> sessions;
    for (int t = 0; t < kThreads; ++t) sessions.push_back(NewSession(a));
    std::atomic<int> failed{0};
    std::mutex mu;
    std::map<std::int64_t, std::string> returned;  // event id → "session/unit"
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const WaSession& s = sessions[static_cast<std::size_t>(t)];
            for (int i = 0; i < kUnits; ++i) {
                const std::string tag = s.id + "/" + std::to_string(i);
                const bool fail = (t * kUnits + i) % 8 == 3;
                try {
                    auto events = repo_->Transact([&](Transaction& tx) {
                        tx.PutCredential(s.id, "k/" + std::to_string(i), tag);
                        Chat chat = tx.UpsertChat({.company_id = a.id, .session_id = s.id,
                                                   .jid = "7900" + std::to_string(i % 5) + "@s.whatsapp.net"});
                        RecordedMessage rec = tx.RecordMessage(IncomingMessage(chat, "G" + tag, 1000 + i, tag));
                        EXPECT_TRUE(rec.inserted);
                        tx.AppendEvent({.company_id = a.id, .session_id = s.id, .name = "one", .payload_json = tag});
                        tx.AppendEvent({.company_id = a.id, .session_id = s.id, .name = "two", .payload_json = tag});
                        if (fail) throw std::runtime_error("unit " + tag + " fails");
                    });
                    EXPECT_FALSE(fail) << tag;
                    ASSERT_EQ(events.size(), 2u);
                    EXPECT_EQ(events[0].name, "one");
                    EXPECT_EQ(events[1].name, "two");
                    EXPECT_LT(events[0].id, events[1].id);
                    std::lock_guard lock(mu);
                    for (const Event& e : events) {
                        EXPECT_EQ(e.payload_json, tag);
                        returned[e.id] = tag;
                    }
                } catch (const std::runtime_error& e) {
                    EXPECT_TRUE(fail) << e.what();
                    failed.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failed.load(), kThreads * kUnits / 8);
    const std::vector<Event> listed = repo_->ListEvents(a.id, 0, 10000);
    ASSERT_EQ(listed.size(), returned.size());
    for (const Event& e : listed) EXPECT_EQ(returned[e.id], e.payload_json) << e.id;
    for (int t = 0; t < kThreads; ++t) {
        const WaSession& s = sessions[static_cast<std::size_t>(t)];
        for (int i = 0; i < kUnits; ++i) {
            const std::string tag = s.id + "/" + std::to_string(i);
            const bool fail = (t * kUnits + i) % 8 == 3;
            EXPECT_EQ(repo_->FindMessageByWaId(s.id, "G" + tag).has_value(), !fail) << tag;
            EXPECT_EQ(repo_->GetCredential(s.id, "k/" + std::to_string(i)).has_value(), !fail) << tag;
        }
    }
}

// Credentials and events are written in multi-row statements of up to 64 rows; a unit with
// more of either (and a key written twice, then deleted, then written again) stores each once.
TEST_P(RepositoryTest, AUnitWithManyCredentialsAndEventsStoresEachOnce) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    repo_->PutCredential(s.id, "gone", "before");
    auto events = repo_->Transact([&](Transaction& tx) {
        for (int i = 0; i < 100; ++i) tx.PutCredential(s.id, "k/" + std::to_string(i), "v" + std::to_string(i));
        tx.PutCredential(s.id, "k/7", "seven");
        tx.DeleteCredential(s.id, "k/8");
        tx.DeleteCredential(s.id, "gone");
        tx.DeleteCredential(s.id, "k/9");
        tx.PutCredential(s.id, "k/9", "nine");
        for (int i = 0; i < 71; ++i)
            tx.AppendEvent({.company_id = a.id, .session_id = s.id, .name = "e" + std::to_string(i)});
    });
    ASSERT_EQ(events.size(), 71u);
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].name, "e" + std::to_string(i));
        if (i) {
            EXPECT_GT(events[i].id, events[i - 1].id);
        }
    }
    const std::vector<Event> listed = repo_->ListEvents(a.id, 0, 1000);
    ASSERT_EQ(listed.size(), 71u);
    for (std::size_t i = 0; i < listed.size(); ++i) EXPECT_EQ(listed[i].id, events[i].id);
    EXPECT_EQ(*repo_->GetCredential(s.id, "k/0"), "v0");
    EXPECT_EQ(*repo_->GetCredential(s.id, "k/99"), "v99");
    EXPECT_EQ(*repo_->GetCredential(s.id, "k/7"), "seven");
    EXPECT_FALSE(repo_->GetCredential(s.id, "k/8"));
    EXPECT_FALSE(repo_->GetCredential(s.id, "gone"));
    EXPECT_EQ(*repo_->GetCredential(s.id, "k/9"), "nine");
}

TEST_P(RepositoryTest, UpdatesAMessagesContentAndTheChatPreviewFollows) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79001112244@s.whatsapp.net");
    Message older = repo_->RecordMessage(IncomingMessage(c, "E1", 1000, "older")).message;
    Message last = repo_->RecordMessage(IncomingMessage(c, "E2", 2000, "last")).message;
    Message edited = last;
    edited.body = "last, edited";
    edited.edited = true;
    repo_->Transact([&](Transaction& tx) {
        auto out = tx.UpdateMessageContent(edited);
        ASSERT_TRUE(out);
        EXPECT_EQ(out->message.body, "last, edited");
        EXPECT_TRUE(out->message.edited);
        EXPECT_EQ(out->message.wa_message_id, "E2");
        ASSERT_TRUE(out->chat) << "the last message: the chat's preview changed with it";
        EXPECT_EQ(out->chat->last_message, "last, edited");
    });
    EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->last_message, "last, edited");
    Message gone = older;
    gone.deleted = true;
    gone.body.clear();
    repo_->Transact([&](Transaction& tx) {
        auto out = tx.UpdateMessageContent(gone);
        ASSERT_TRUE(out);
        EXPECT_FALSE(out->chat) << "not the last message: the chat is as it was";
    });
    auto reread = repo_->FindMessage(a.id, s.id, older.id);
    ASSERT_TRUE(reread);
    EXPECT_TRUE(reread->deleted);
    EXPECT_EQ(reread->body, "");
    EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->last_message, "last, edited") << "not the last message: no change";
    Message last_gone = *repo_->FindMessage(a.id, s.id, last.id);
    last_gone.deleted = true;
    last_gone.body.clear();
    repo_->Transact([&](Transaction& tx) { ASSERT_TRUE(tx.UpdateMessageContent(last_gone)); });
    EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->last_message, "This message was deleted")
        << "a deleted message's text leaves the chat list too";
    Message missing = older;
    missing.id = NewId();
    repo_->Transact([&](Transaction& tx) { EXPECT_FALSE(tx.UpdateMessageContent(missing)); });
}

// ------------------------------------------------------------------ migrations

TEST_P(RepositoryTest, MigrationsAreIdempotentAndSafeAtOnce) {
    // Several openers migrating an empty database at the same moment, as processes starting
    // together would, each on its own connections.
    TestUrl fresh = AcquireFreshTestUrl(GetParam());
    ASSERT_TRUE(fresh.error.empty()) << fresh.error;
    std::vector<std::thread> threads;
    std::vector<std::string> errors(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            try {
                auto r = OpenRepository(fresh.url, true);
                if (!r->Ping()) errors[t] = "ping failed";
            } catch (const std::exception& e) {
                errors[t] = e.what();
            }
        });
    }
    for (auto& th : threads) th.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    const auto& migrations = GetParam() == Backend::kSqlite ? detail::SqliteMigrations() : detail::PostgresMigrations();
    {
        auto repo = OpenRepository(fresh.url, true);
        Company a = repo->CreateCompany({.name = "persisted"});
        auto* sql = dynamic_cast<SqlRepository*>(repo.get());
        ASSERT_NE(sql, nullptr);
        EXPECT_EQ(sql->database().SchemaVersion(), migrations.back().version);
        repo.reset();
        // Migrating again changes nothing; opening without migrating works on a migrated database.
        auto again = OpenRepository(fresh.url, true);
        EXPECT_EQ(again->FindCompany(a.id)->name, "persisted");
        auto plain = OpenRepository(fresh.url, false);
        EXPECT_TRUE(plain->FindCompany(a.id));
    }
    // A database opened without migrating has no schema: calls fail with a StoreError, not a crash.
    TestUrl empty = AcquireFreshTestUrl(GetParam());
    ASSERT_TRUE(empty.error.empty()) << empty.error;
    {
        auto bare = OpenRepository(empty.url, false);
        auto* sql = dynamic_cast<SqlRepository*>(bare.get());
        EXPECT_EQ(sql->database().SchemaVersion(), 0);
        EXPECT_THROW(bare->FindCompany(NewId()), StoreError);
    }
    ReleaseTestUrl(GetParam(), fresh.url);
    ReleaseTestUrl(GetParam(), empty.url);
}

// ------------------------------------------------------------------ hostile strings

TEST_P(RepositoryTest, SqlMetacharactersAreStoredVerbatim) {
    const std::vector<std::string> nasty = {
        "Robert'); DROP TABLE users;--", "\" OR 1=1 --", "$1 $2 ?1 ?", "100% _match_ \\ \\\\", "'; SELECT pg_sleep(5);--",
        "multi\nline\ttext\r\n", "emoji 😀 кириллица 中文"};
    Company a = NewCompany(nasty[0]);
    EXPECT_EQ(repo_->FindCompany(a.id)->name, nasty[0]);
    WaSession s = NewSession(a, nasty[1]);
    EXPECT_EQ(repo_->FindSession(a.id, s.id)->name, nasty[1]);
    for (std::size_t i = 0; i < nasty.size(); ++i) {
        User u = repo_->CreateUser(
            {.company_id = a.id, .email = "x" + std::to_string(i) + NewId() + "@e.com", .name = nasty[i]});
        EXPECT_EQ(repo_->FindUser(a.id, u.id)->name, nasty[i]);
        Chat c = NewChat(s, nasty[i] + "@s.whatsapp.net");
        EXPECT_EQ(repo_->FindChatByJid(a.id, s.id, nasty[i] + "@s.whatsapp.net")->id, c.id);
        RecordedMessage r = repo_->RecordMessage(IncomingMessage(c, nasty[i], 1000 + i, nasty[i]));
        ASSERT_TRUE(r.inserted);
        EXPECT_EQ(repo_->FindMessage(a.id, s.id, r.message.id)->body, nasty[i]);
        EXPECT_EQ(repo_->FindMessageByWaId(s.id, nasty[i])->id, r.message.id);
        repo_->UpdateChat(a.id, s.id, c.id, {.name = nasty[i], .labels = std::vector<std::string>{nasty[i]}});
        EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->name, nasty[i]);
        EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->labels, std::vector<std::string>{nasty[i]});
        EXPECT_EQ(repo_->ListChats({.company_id = a.id, .session_id = s.id, .search = nasty[i]}).total, 1) << nasty[i];
        repo_->PutCredential(s.id, nasty[i], nasty[i]);
        EXPECT_EQ(*repo_->GetCredential(s.id, nasty[i]), nasty[i]);
        repo_->AppendAudit({.company_id = a.id, .action = nasty[i], .details_json = nasty[i]});
    }
    EXPECT_EQ(repo_->ListUsers(a.id, std::nullopt).size(), nasty.size());
    EXPECT_EQ(repo_->ListAudit(a.id, 1, 50).items[0].action, nasty.back());
    EXPECT_FALSE(repo_->FindUserByEmail("' OR '1'='1"));
}

TEST_P(RepositoryTest, InvalidUtf8AndNulAreStoredVerbatimOrRejectedCleanly) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    Chat c = NewChat(s, "79007770001@s.whatsapp.net");
    const std::vector<std::string> bad = {std::string("bad \xff\xfe bytes"), std::string("cut \xe2\x82", 6),
                                          std::string("nul\0inside", 10)};
    int stored = 0, rejected = 0;
    for (std::size_t i = 0; i < bad.size(); ++i) {
        try {
            RecordedMessage r = repo_->RecordMessage(IncomingMessage(c, "BAD" + std::to_string(i), 1000, bad[i]));
            EXPECT_EQ(repo_->FindMessage(a.id, s.id, r.message.id)->body, bad[i]);
            ++stored;
        } catch (const ConnectionError& e) {
            ADD_FAILURE() << "bad text broke the connection: " << e.what();
        } catch (const StoreError&) {
            ++rejected;
            EXPECT_FALSE(repo_->FindMessageByWaId(s.id, "BAD" + std::to_string(i)));
        }
        try {
            repo_->UpdateChat(a.id, s.id, c.id, {.name = bad[i], .labels = std::vector<std::string>{bad[i]}});
            EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->name, bad[i]);
            EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->labels, std::vector<std::string>{bad[i]});
        } catch (const ConnectionError& e) {
            ADD_FAILURE() << "bad text broke the connection: " << e.what();
        } catch (const StoreError&) {
        }
    }
    EXPECT_EQ(stored + rejected, static_cast<int>(bad.size()));
    // The store is unharmed either way.
    EXPECT_TRUE(repo_->Ping());
    EXPECT_TRUE(repo_->RecordMessage(IncomingMessage(c, "GOOD", 2000, "fine")).inserted);
}

// ------------------------------------------------------------------ concurrency

TEST_P(RepositoryTest, ConcurrentWritersAndReaders) {
    Company a = NewCompany();
    WaSession s = NewSession(a);
    constexpr int kWriters = 6, kEach = 40;
    std::vector<Chat> chats;
    for (int t = 0; t < kWriters; ++t) chats.push_back(NewChat(s, "7901000000" + std::to_string(t) + "@s.whatsapp.net"));
    std::atomic<bool> done{false};
    std::vector<std::string> errors(kWriters + 2);
    std::vector<std::thread> threads;
    for (int t = 0; t < kWriters; ++t) {
        threads.emplace_back([&, t] {
            try {
                for (int i = 0; i < kEach; ++i) {
                    auto r = repo_->RecordMessage(
                        IncomingMessage(chats[t], "C" + std::to_string(t) + "-" + std::to_string(i), 1000 + i));
                    if (!r.inserted) errors[t] = "not inserted";
                    if (i % 10 == 0) repo_->AppendEvent({.company_id = a.id, .session_id = s.id, .name = "e"});
                    if (i % 13 == 0) NewChat(s, "shared@s.whatsapp.net");
                }
            } catch (const std::exception& e) {
                errors[t] = e.what();
            }
        });
    }
    for (int r = 0; r < 2; ++r) {
        threads.emplace_back([&, r] {
            try {
                while (!done.load()) {
                    repo_->ListChats({.company_id = a.id, .session_id = s.id});
                    repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = chats[r].id, .limit = 20});
                }
            } catch (const std::exception& e) {
                errors[kWriters + r] = e.what();
            }
        });
    }
    for (int t = 0; t < kWriters; ++t) threads[t].join();
    done = true;
    for (std::size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    for (const Chat& c : chats) {
        auto page = repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c.id, .limit = 1});
        EXPECT_EQ(page.total, kEach);
        EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->unread_count, kEach);
        EXPECT_EQ(repo_->FindChat(a.id, s.id, c.id)->last_message_at, 1000 + kEach - 1);
    }
    EXPECT_EQ(repo_->ListChats({.company_id = a.id, .session_id = s.id}).total, kWriters + 1);
}

// ------------------------------------------------------------------ listing totals (V004 counts)

TEST_P(RepositoryTest, ListingTotalsStayExactThroughEveryChange) {
    Company a = NewCompany(), b = NewCompany();
    WaSession s = NewSession(a), other = NewSession(a);
    auto chats_total = [&](const WaSession& session) {
        return repo_->ListChats({.company_id = session.company_id, .session_id = session.id}).total;
    };
    auto messages_total = [&](const Chat& chat) {
        return repo_->ListMessages({.company_id = a.id, .session_id = chat.session_id, .chat_id = chat.id}).total;
    };
    EXPECT_EQ(chats_total(s), 0);

    Chat c1 = NewChat(s, "79001000001@s.whatsapp.net");
    Chat c2 = NewChat(s, "79001000002@s.whatsapp.net");
    Chat lid = NewChat(s, "4242@lid");
    NewChat(other, "79001000001@s.whatsapp.net");
    NewChat(s, "79001000001@s.whatsapp.net");  // the same chat again: no new row
    EXPECT_EQ(chats_total(s), 3);
    EXPECT_EQ(chats_total(other), 1);
    EXPECT_EQ(repo_->ListChats({.company_id = b.id, .session_id = s.id}).total, 0);

    for (int i = 0; i < 5; ++i) repo_->RecordMessage(IncomingMessage(c1, "A" + std::to_string(i), 1000 + i));
    repo_->RecordMessage(IncomingMessage(c1, "A0", 5000));  // duplicate: not counted
    repo_->RecordMessage(IncomingMessage(c2, "B0", 2000));
    repo_->RecordMessage(IncomingMessage(lid, "L0", 3000));
    repo_->RecordMessage(IncomingMessage(lid, "L1", 3001));
    EXPECT_EQ(messages_total(c1), 5);
    EXPECT_EQ(messages_total(c2), 1);
    EXPECT_EQ(messages_total(lid), 2);

    // Folding the LID chat into c2 moves its messages and drops its row.
    Chat merged = NewChat(s, "79001000002@s.whatsapp.net", "4242@lid");
    EXPECT_EQ(merged.id, c2.id);
    EXPECT_EQ(messages_total(c2), 3);
    EXPECT_EQ(messages_total(lid), 0);
    EXPECT_EQ(chats_total(s), 2);
    EXPECT_EQ(repo_->ListMessages({.company_id = a.id, .session_id = s.id, .chat_id = c2.id, .limit = 200}).items.size(),
              3u);

    // ListChatMessages tells a missing chat and an unknown cursor apart from an empty page.
    auto found = repo_->ListChatMessages({.company_id = a.id, .session_id = s.id, .chat_id = c1.id, .limit = 2});
    EXPECT_TRUE(found.chat_found);
    EXPECT_TRUE(found.cursor_found);
    EXPECT_EQ(found.page.total, 5);
    ASSERT_EQ(found.page.items.size(), 2u);
    auto next = repo_->ListChatMessages(
        {.company_id = a.id, .session_id = s.id, .chat_id = c1.id, .limit = 10, .before = found.page.items[1].id});
    EXPECT_TRUE(next.cursor_found);
    EXPECT_EQ(next.page.items.size(), 3u);
    EXPECT_FALSE(repo_->ListChatMessages({.company_id = b.id, .session_id = s.id, .chat_id = c1.id}).chat_found);
    EXPECT_FALSE(repo_->ListChatMessages({.company_id = a.id, .session_id = other.id, .chat_id = c1.id}).chat_found);
    EXPECT_FALSE(repo_->ListChatMessages({.company_id = a.id, .session_id = s.id, .chat_id = lid.id}).chat_found);
    auto unknown = repo_->ListChatMessages(
        {.company_id = a.id, .session_id = s.id, .chat_id = c1.id, .before = NewId()});
    EXPECT_TRUE(unknown.chat_found);
    EXPECT_FALSE(unknown.cursor_found);
    EXPECT_TRUE(unknown.page.items.empty());
    EXPECT_EQ(unknown.page.total, 5);
    auto b0 = repo_->FindMessageByWaId(s.id, "B0");
    ASSERT_TRUE(b0);
    auto elsewhere = repo_->ListChatMessages(  // a cursor of another chat of the session selects nothing
        {.company_id = a.id, .session_id = s.id, .chat_id = c1.id, .before = b0->id});
    EXPECT_TRUE(elsewhere.cursor_found);
    EXPECT_TRUE(elsewhere.page.items.empty());

    // Purging the session removes its chats and messages from the counts.
    ASSERT_TRUE(repo_->DeleteSession(a.id, s.id, true));
    EXPECT_EQ(chats_total(s), 0);
    EXPECT_EQ(chats_total(other), 1);
    Chat again = NewChat(other, "79001000009@s.whatsapp.net");
    repo_->RecordMessage(IncomingMessage(again, "Z0", 9000));
    EXPECT_EQ(chats_total(other), 2);
    EXPECT_EQ(messages_total(again), 1);
}

}  // namespace wadesk::store::testing

// ------------------------------------------------------------------ send path (V006)

namespace wadesk::store::testing {

TEST_P(RepositoryTest, MessageMediaFieldsRoundTripAndUpdate) {
    Company a = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    Chat c = NewChat(s, "79005550001@s.whatsapp.net");
    Message m = IncomingMessage(c, "", 1000);
    m.type = MessageType::kVoice;
    m.media = MediaInfo{"audio/ogg", 5000, "", "", "", domain::MediaStatus::kPending, 7, 0, 0, R"({"k":"v"})"};
    const Message stored = repo_->RecordMessage(m).message;
    auto found = repo_->FindMessage(a.id, s.id, stored.id);
    ASSERT_TRUE(found && found->media);
    EXPECT_EQ(found->media->status, domain::MediaStatus::kPending);
    EXPECT_EQ(found->media->duration, 7);
    EXPECT_EQ(found->media->ref, R"({"k":"v"})");
    EXPECT_EQ(found->media->sha256, "");

    MediaInfo ready = *found->media;
    ready.sha256 = std::string(64, 'a');
    ready.status = domain::MediaStatus::kReady;
    ready.size = 4999;
    EXPECT_FALSE(repo_->UpdateMessageMedia(s2.id, stored.id, ready)) << "another session does not reach it";
    auto updated = repo_->UpdateMessageMedia(s.id, stored.id, ready);
    ASSERT_TRUE(updated && updated->media);
    EXPECT_EQ(updated->media->status, domain::MediaStatus::kReady);
    EXPECT_EQ(updated->media->sha256, std::string(64, 'a'));
    EXPECT_EQ(updated->media->size, 4999);
    EXPECT_EQ(updated->media->mimetype, "audio/ogg") << "the other media fields are kept";
    EXPECT_EQ(updated->media->duration, 7);
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, stored.id)->media->status, domain::MediaStatus::kReady);

    Message text = IncomingMessage(c, "", 2000);
    const std::string text_id = repo_->RecordMessage(text).message.id;
    EXPECT_FALSE(repo_->UpdateMessageMedia(s.id, text_id, ready)) << "a message without media has no file";
}

TEST_P(RepositoryTest, FailedMessagesKeepTheirReason) {
    Company a = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    Chat c = NewChat(s, "79005550000@s.whatsapp.net");
    Message m = IncomingMessage(c, "", 1000);
    m.from_me = true;
    m.status = MessageStatus::kPending;
    const std::string pending = repo_->RecordMessage(m).message.id;
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, pending)->failure_reason, "");
    EXPECT_FALSE(repo_->FailMessage(s2.id, pending, "no_devices")) << "another session does not reach it";
    auto failed = repo_->FailMessage(s.id, pending, "no_devices");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, MessageStatus::kFailed);
    EXPECT_EQ(failed->failure_reason, "no_devices");
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, pending)->failure_reason, "no_devices");
    EXPECT_FALSE(repo_->FailMessage(s.id, pending, "again")) << "failed once";
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, pending)->failure_reason, "no_devices");
    // A message the server accepted can still be refused by an error ack; a delivered one cannot.
    const std::string sent = repo_->RecordMessage(m).message.id;
    repo_->AdvanceMessageStatus(s.id, sent, MessageStatus::kSent);
    EXPECT_EQ(repo_->FailMessage(s.id, sent, "server_error_479")->failure_reason, "server_error_479");
    const std::string delivered = repo_->RecordMessage(m).message.id;
    repo_->AdvanceMessageStatus(s.id, delivered, MessageStatus::kDelivered);
    EXPECT_FALSE(repo_->FailMessage(s.id, delivered, "late"));
    EXPECT_EQ(repo_->FindMessage(a.id, s.id, delivered)->status, MessageStatus::kDelivered);
    // The reason is part of what RecordMessage stores.
    Message with_reason = m;
    with_reason.status = MessageStatus::kFailed;
    with_reason.failure_reason = "usync_failed";
    EXPECT_EQ(repo_->RecordMessage(with_reason).message.failure_reason, "usync_failed");
}

TEST_P(RepositoryTest, PendingOutgoingAreListedOldestFirstPerSession) {
    Company a = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    Chat c = NewChat(s, "79005551111@s.whatsapp.net");
    Chat c2 = NewChat(s2, "79005551111@s.whatsapp.net");
    auto outgoing = [&](const Chat& chat, std::int64_t ts, const std::string& status) {
        Message m = IncomingMessage(chat, "", ts);
        m.from_me = true;
        m.status = *domain::ParseMessageStatus(status);
        return repo_->RecordMessage(m).message.id;
    };
    const std::string late = outgoing(c, 3000, "pending");
    const std::string early = outgoing(c, 1000, "pending");
    outgoing(c, 2000, "sent");
    outgoing(c, 1500, "failed");
    outgoing(c2, 500, "pending");
    Message incoming = IncomingMessage(c, "IN1", 100);
    incoming.status = MessageStatus::kPending;  // an incoming row is never re-sent, whatever its status
    repo_->RecordMessage(incoming);
    auto pending = repo_->ListPendingOutgoing(s.id, 10);
    ASSERT_EQ(pending.size(), 2u);
    EXPECT_EQ(pending[0].id, early);
    EXPECT_EQ(pending[1].id, late);
    EXPECT_EQ(repo_->ListPendingOutgoing(s.id, 1).size(), 1u);
    repo_->AdvanceMessageStatus(s.id, early, MessageStatus::kSent);
    ASSERT_EQ(repo_->ListPendingOutgoing(s.id, 10).size(), 1u);
    EXPECT_EQ(repo_->ListPendingOutgoing(s.id, 10)[0].id, late);
}

TEST_P(RepositoryTest, RecentIncomingAreTheChatsNewestReceivedMessages) {
    Company a = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    Chat c = NewChat(s, "79005552222@s.whatsapp.net");
    Chat other = NewChat(s, "79005553333@s.whatsapp.net");
    repo_->RecordMessage(IncomingMessage(c, "A", 1000));
    repo_->RecordMessage(IncomingMessage(c, "B", 2000));
    repo_->RecordMessage(IncomingMessage(c, "C", 3000));
    repo_->RecordMessage(IncomingMessage(other, "D", 4000));
    Message mine = IncomingMessage(c, "MINE", 5000);
    mine.from_me = true;
    repo_->RecordMessage(mine);
    Message history = IncomingMessage(c, "OLD", 6000);
    history.from_history = true;
    repo_->RecordMessage(history);
    repo_->RecordMessage(IncomingMessage(c, "", 7000));  // no WhatsApp id: nothing to name
    auto recent = repo_->ListRecentIncoming(s.id, c.id, 2);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[0].wa_message_id, "C");
    EXPECT_EQ(recent[1].wa_message_id, "B");
    EXPECT_EQ(repo_->ListRecentIncoming(s.id, c.id, 10).size(), 3u);
    EXPECT_TRUE(repo_->ListRecentIncoming(s2.id, c.id, 10).empty()) << "the chat of another session";
}

TEST_P(RepositoryTest, CredentialsArePrunedByPrefixAndAge) {
    Company a = NewCompany();
    WaSession s = NewSession(a), s2 = NewSession(a);
    repo_->PutCredential(s.id, "sent/3EB0A", "a");
    repo_->PutCredential(s.id, "sent/3EB0A/retries/1@s.whatsapp.net", "1");
    repo_->PutCredential(s.id, "sentXB", "not under the prefix");
    repo_->PutCredential(s.id, "sent0", "just past the prefix's range");
    repo_->PutCredential(s.id, "sen", "just before it");
    repo_->PutCredential(s.id, "creds", "kept");
    repo_->PutCredential(s2.id, "sent/3EB0C", "other session");
    EXPECT_EQ(repo_->PruneCredentials(s.id, "sent/", NowMs() - 60'000), 0) << "younger than the cut";
    EXPECT_EQ(repo_->PruneCredentials(s.id, "sent/", NowMs() + 60'000), 2);
    EXPECT_FALSE(repo_->GetCredential(s.id, "sent/3EB0A"));
    EXPECT_FALSE(repo_->GetCredential(s.id, "sent/3EB0A/retries/1@s.whatsapp.net"));
    EXPECT_TRUE(repo_->GetCredential(s.id, "sentXB"));
    EXPECT_TRUE(repo_->GetCredential(s.id, "sent0"));
    EXPECT_TRUE(repo_->GetCredential(s.id, "sen"));
    EXPECT_TRUE(repo_->GetCredential(s.id, "creds"));
    EXPECT_TRUE(repo_->GetCredential(s2.id, "sent/3EB0C"));
    // The prefix is literal (no pattern): "sent_" does not match "sentXB", "%" matches nothing.
    EXPECT_EQ(repo_->PruneCredentials(s.id, "sent_", NowMs() + 60'000), 0);
    EXPECT_EQ(repo_->PruneCredentials(s.id, "%", NowMs() + 60'000), 0);
    EXPECT_TRUE(repo_->GetCredential(s.id, "sentXB"));
}

}  // namespace wadesk::store::testing
