#include "service/memory_access_view.h"

#include <gtest/gtest.h>

namespace wadesk::service {
namespace {

domain::User User(std::string id, std::string company, domain::Role role, bool disabled = false) {
    domain::User u;
    u.id = std::move(id);
    u.company_id = std::move(company);
    u.role = role;
    u.disabled = disabled;
    return u;
}

auth::Principal As(const domain::User& u) { return auth::Principal{u.id, u.company_id, u.role, ""}; }

class MemoryAccessViewTest : public ::testing::Test {
protected:
    void SetUp() override {
        domain::WaSession s1, s2;
        s1.id = "s1";
        s1.company_id = "c1";
        s2.id = "s2";
        s2.company_id = "c2";
        domain::Access g;
        g.session_id = "s1";
        g.user_id = "m1";
        g.can_read = true;
        view.Load({admin1, manager1, manager2, admin2}, {s1, s2}, {g});
    }
    domain::User admin1 = User("a1", "c1", domain::Role::kAdmin);
    domain::User manager1 = User("m1", "c1", domain::Role::kManager);
    domain::User manager2 = User("m2", "c1", domain::Role::kManager);
    domain::User admin2 = User("a2", "c2", domain::Role::kAdmin);
    MemoryAccessView view;
};

TEST_F(MemoryAccessViewTest, AdminsSeeAllOfTheirCompanyOnly) {
    EXPECT_TRUE(view.CanRead(As(admin1), "s1"));
    EXPECT_TRUE(view.CanWrite(As(admin1), "s1"));
    EXPECT_FALSE(view.CanRead(As(admin1), "s2"));
    EXPECT_FALSE(view.CanRead(As(admin2), "s1"));
    EXPECT_FALSE(view.CanRead(As(admin1), "unknown"));
}

TEST_F(MemoryAccessViewTest, ManagersFollowTheirGrantFlags) {
    EXPECT_TRUE(view.CanRead(As(manager1), "s1"));
    EXPECT_FALSE(view.CanWrite(As(manager1), "s1"));
    EXPECT_FALSE(view.CanManageChats(As(manager1), "s1"));
    EXPECT_FALSE(view.CanRead(As(manager2), "s1"));
    domain::Access g;
    g.session_id = "s1";
    g.user_id = "m1";
    g.can_read = g.can_write = g.can_manage_chats = true;
    view.PutGrant(g);
    EXPECT_TRUE(view.CanWrite(As(manager1), "s1"));
    view.RemoveGrant("s1", "m1");
    EXPECT_FALSE(view.CanRead(As(manager1), "s1"));
}

TEST_F(MemoryAccessViewTest, DisablingOrDeletingTakesEffectAtOnce) {
    auto disabled = manager1;
    disabled.disabled = true;
    view.PutUser(disabled);
    EXPECT_FALSE(view.IsActive("m1"));
    EXPECT_FALSE(view.CanRead(As(manager1), "s1"));
    view.PutUser(manager1);
    EXPECT_TRUE(view.CanRead(As(manager1), "s1"));
    view.RemoveUser("m1");
    view.PutUser(manager1);  // re-created: the old grant is gone
    EXPECT_FALSE(view.CanRead(As(manager1), "s1"));
}

TEST_F(MemoryAccessViewTest, TheViewsRoleWinsOverAStalePrincipal) {
    auto demoted = admin1;
    demoted.role = domain::Role::kManager;
    view.PutUser(demoted);
    EXPECT_FALSE(view.CanRead(As(admin1), "s1"));  // principal still says admin
}

TEST_F(MemoryAccessViewTest, ReadableSessionsAndSessionRemoval) {
    EXPECT_EQ(view.ReadableSessions(As(manager1)), std::vector<std::string>{"s1"});
    EXPECT_TRUE(view.ReadableSessions(As(manager2)).empty());
    view.RemoveSession("s1");
    EXPECT_FALSE(view.CanRead(As(admin1), "s1"));
    view.PutSession("s1", "c1");
    EXPECT_FALSE(view.CanRead(As(manager1), "s1"));  // grants went with the session
}

}  // namespace
}  // namespace wadesk::service
