#include "realtime/recipient_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "service/memory_access_view.h"

namespace wadesk::realtime {
namespace {

struct FakeSocket {
    std::string name;
};
using Index = RecipientIndex<FakeSocket>;

domain::User MakeUser(std::string id, std::string company, domain::Role role, bool disabled = false) {
    domain::User u;
    u.id = std::move(id);
    u.company_id = std::move(company);
    u.role = role;
    u.disabled = disabled;
    return u;
}

auth::Principal As(const domain::User& u) { return auth::Principal{u.id, u.company_id, u.role, ""}; }

domain::Access Grant(std::string session, std::string user, bool read) {
    domain::Access a;
    a.session_id = std::move(session);
    a.user_id = std::move(user);
    a.can_read = read;
    return a;
}

domain::Event Ev(std::string company, std::string session, std::string name = "whatsapp:message") {
    domain::Event e;
    e.id = 1;
    e.company_id = std::move(company);
    e.session_id = std::move(session);
    e.name = std::move(name);
    return e;
}

std::set<std::string> Names(const Index::Recipients& r) {
    std::set<std::string> out;
    for (const auto& g : *r.deliver)
        for (const auto& s : g->subs) out.insert(s->name);
    return out;
}

std::set<std::string> InactiveUsers(const Index::Recipients& r) {
    std::set<std::string> out;
    for (const auto& g : r.inactive) out.insert(g->principal.user_id);
    return out;
}

class RecipientIndexTest : public ::testing::Test {
protected:
    void SetUp() override {
        domain::WaSession s1, s2, s3;
        s1.id = "s1";
        s1.company_id = "c1";
        s2.id = "s2";
        s2.company_id = "c1";
        s3.id = "s3";
        s3.company_id = "c2";
        users = {MakeUser("a1", "c1", domain::Role::kAdmin), MakeUser("m1", "c1", domain::Role::kManager),
                 MakeUser("m2", "c1", domain::Role::kManager), MakeUser("x1", "c2", domain::Role::kAdmin)};
        view.Load(users, {s1, s2, s3}, {Grant("s1", "m1", true), Grant("s2", "m2", true), Grant("s2", "m1", false)});
        for (const auto& [user, sock] : std::vector<std::pair<int, std::string>>{
                 {0, "a1-A"}, {0, "a1-B"}, {1, "m1-A"}, {1, "m1-B"}, {2, "m2-A"}, {3, "x1-A"}}) {
            auto s = std::make_shared<FakeSocket>(FakeSocket{sock});
            sockets[sock] = s;
            index.Add(As(users[user]), s);
        }
    }

    std::vector<domain::User> users;
    service::MemoryAccessView view;
    Index index;
    std::map<std::string, std::shared_ptr<FakeSocket>> sockets;
};

TEST_F(RecipientIndexTest, AdminsGetEverythingManagersOnlyReadableSessionsOtherCompanyNothing) {
    EXPECT_EQ(index.Count(), 6u);
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s1"))), (std::set<std::string>{"a1-A", "a1-B", "m1-A", "m1-B"}));
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s2"))), (std::set<std::string>{"a1-A", "a1-B", "m2-A"}));
    EXPECT_EQ(Names(index.Resolve(view, Ev("c2", "s3"))), (std::set<std::string>{"x1-A"}));
    EXPECT_TRUE(Names(index.Resolve(view, Ev("c9", "s1"))).empty());
    // A session of another company named in an event of c1 reaches c1's admins only.
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s3"))), (std::set<std::string>{"a1-A", "a1-B"}));
}

TEST_F(RecipientIndexTest, QrGoesToAdminsOnly) {
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s1", "whatsapp:qr"))), (std::set<std::string>{"a1-A", "a1-B"}));
}

TEST_F(RecipientIndexTest, GrantAndRevokeApplyToTheVeryNextEvent) {
    ASSERT_EQ(Names(index.Resolve(view, Ev("c1", "s2"))), (std::set<std::string>{"a1-A", "a1-B", "m2-A"}));
    view.PutGrant(Grant("s2", "m1", true));
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s2"))),
              (std::set<std::string>{"a1-A", "a1-B", "m1-A", "m1-B", "m2-A"}));
    view.RemoveGrant("s2", "m2");
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s2"))), (std::set<std::string>{"a1-A", "a1-B", "m1-A", "m1-B"}));
    view.PutGrant(Grant("s2", "m1", false));
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s2"))), (std::set<std::string>{"a1-A", "a1-B"}));
}

TEST_F(RecipientIndexTest, DisabledUsersAreReportedInactiveAndGetNothing) {
    ASSERT_TRUE(index.Resolve(view, Ev("c1", "s1")).inactive.empty());
    view.PutUser(MakeUser("a1", "c1", domain::Role::kAdmin, true));
    view.PutUser(MakeUser("m1", "c1", domain::Role::kManager, true));
    auto r = index.Resolve(view, Ev("c1", "s1"));
    EXPECT_TRUE(Names(r).empty());
    EXPECT_EQ(InactiveUsers(r), (std::set<std::string>{"a1", "m1"}));
}

TEST_F(RecipientIndexTest, AddAndRemoveChangeTheNextResolution) {
    ASSERT_EQ(Names(index.Resolve(view, Ev("c1", "s1"))), (std::set<std::string>{"a1-A", "a1-B", "m1-A", "m1-B"}));
    EXPECT_TRUE(index.Remove("c1", "m1", sockets["m1-A"].get()));
    EXPECT_FALSE(index.Remove("c1", "m1", sockets["m1-A"].get()));
    EXPECT_FALSE(index.Remove("c1", "m2", sockets["m1-B"].get()));  // wrong user: not there
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s1"))), (std::set<std::string>{"a1-A", "a1-B", "m1-B"}));
    auto extra = std::make_shared<FakeSocket>(FakeSocket{"m1-C"});
    index.Add(As(users[1]), extra);
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s1"))), (std::set<std::string>{"a1-A", "a1-B", "m1-B", "m1-C"}));
    EXPECT_TRUE(index.Remove("c2", "x1", sockets["x1-A"].get()));
    EXPECT_TRUE(Names(index.Resolve(view, Ev("c2", "s3"))).empty());
    EXPECT_EQ(index.Count(), 5u);
    index.Clear();
    EXPECT_EQ(index.Count(), 0u);
    EXPECT_TRUE(Names(index.Resolve(view, Ev("c1", "s1"))).empty());
}

TEST_F(RecipientIndexTest, SocketsOfOneUserWithDifferentRolesAreRoutedByTheirOwnRole) {
    // m2's older socket still carries an admin principal (role changed between connects).
    auto old_admin = std::make_shared<FakeSocket>(FakeSocket{"m2-old-admin"});
    index.Add(auth::Principal{"m2", "c1", domain::Role::kAdmin, ""}, old_admin);
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s1", "whatsapp:qr"))),
              (std::set<std::string>{"a1-A", "a1-B", "m2-old-admin"}));
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s1"))),
              (std::set<std::string>{"a1-A", "a1-B", "m1-A", "m1-B", "m2-old-admin"}));
    EXPECT_TRUE(index.Remove("c1", "m2", old_admin.get()));
    EXPECT_TRUE(index.Remove("c1", "m2", sockets["m2-A"].get()));
    EXPECT_EQ(Names(index.Resolve(view, Ev("c1", "s2"))), (std::set<std::string>{"a1-A", "a1-B"}));
}

// Counts the checks made: routing asks per user, never per socket, and a versioned view is
// asked again only after a change.
class CountingAccess : public service::AccessView {
public:
    explicit CountingAccess(std::uint64_t version) : version_(version) {}
    mutable int can_read = 0, is_active = 0;
    std::uint64_t version_;
    bool CanRead(const auth::Principal&, std::string_view) const override {
        ++can_read;
        return true;
    }
    bool CanWrite(const auth::Principal&, std::string_view) const override { return false; }
    bool CanManageChats(const auth::Principal&, std::string_view) const override { return false; }
    bool IsActive(std::string_view) const override {
        ++is_active;
        return true;
    }
    std::uint64_t Version() const override { return version_; }
};

TEST_F(RecipientIndexTest, ChecksArePerUserAndCachedWhileTheViewIsUnchanged) {
    CountingAccess unversioned(0);
    index.Resolve(unversioned, Ev("c1", "s1"));
    index.Resolve(unversioned, Ev("c1", "s1"));
    EXPECT_EQ(unversioned.is_active, 6);  // 3 users of c1, twice: per user, never per socket
    EXPECT_EQ(unversioned.can_read, 4);   // the 2 managers, twice; admins need none

    CountingAccess versioned(5);
    index.Resolve(versioned, Ev("c1", "s1"));
    index.Resolve(versioned, Ev("c1", "s1"));
    index.Resolve(versioned, Ev("c1", "s1", "whatsapp:qr"));
    EXPECT_EQ(versioned.can_read, 2);
    EXPECT_EQ(versioned.is_active, 6);  // s1 once, the qr route once
    versioned.version_ = 6;
    index.Resolve(versioned, Ev("c1", "s1"));
    EXPECT_EQ(versioned.can_read, 4);
    index.Add(As(users[2]), std::make_shared<FakeSocket>(FakeSocket{"m2-B"}));  // new socket: re-route
    index.Resolve(versioned, Ev("c1", "s1"));
    EXPECT_EQ(versioned.can_read, 6);
}

}  // namespace
}  // namespace wadesk::realtime
