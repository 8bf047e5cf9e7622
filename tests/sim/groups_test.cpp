// Groups in the emulator without sockets: phones create a group through the control API, send to
// it with sender keys (SKDM pairwise, then a bare skmsg), decrypt each other's texts, manage members
// (admin checks, per-participant answers, a new sender key after a removal) and the group and the
// phones' sender keys survive a restart through the saved state. Bulk accounts with emulated
// companions, and groups created without a notification.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>

#include "sim/control.h"
#include "sim/server.h"
#include "sim_client.h"

namespace wadesk::sim {
namespace {
namespace json = boost::json;

constexpr char kBob[] = "15550002222";
constexpr char kCarol[] = "15550003333";

class GroupsTest : public SimTest {
protected:
    GroupsTest() {
        bob = server.CreateAccount(kBob, "Bob").value();
        carol = server.CreateAccount(kCarol, "Carol").value();
    }
    json::object Call(std::string_view method, const std::string& target, const std::string& body, int want) {
        auto r = HandleControl(server, method, target, body);
        EXPECT_EQ(r.status, want) << target << ": " << r.body;
        return json::parse(r.body).as_object();
    }
    std::vector<InboxEntry> GroupInbox(const char* phone, const std::string& gid) {
        std::vector<InboxEntry> out;
        for (auto& e : server.PhoneInbox(phone).value())
            if (e.chat == gid) out.push_back(e);
        return out;
    }
    const Account* bob = nullptr;
    const Account* carol = nullptr;
};

TEST_F(GroupsTest, PhonesCreateSendDecryptAndManageMembers) {
    auto created = Call("POST", std::string("/accounts/") + kPhone + "/groups",
                        std::string(R"({"subject":"Order 42","participants":[")") + kBob + "\"]}", 201);
    const std::string gid(created["id"].as_string());
    EXPECT_EQ(created["subject"], "Order 42");
    ASSERT_EQ(created["participants"].as_array().size(), 2u);

    auto first = server.PhoneGroupSend(kPhone, gid, "first");
    ASSERT_TRUE(first.has_value()) << first.error().message;
    EXPECT_EQ(first->devices, std::vector<std::string>{bob->lid + "@lid"});  // the SKDM to Bob's phone
    auto second = server.PhoneGroupSend(kPhone, gid, "second");
    ASSERT_TRUE(second.has_value());
    EXPECT_TRUE(second->devices.empty());  // Bob holds the key: a bare skmsg
    auto at_bob = GroupInbox(kBob, gid);
    ASSERT_EQ(at_bob.size(), 2u);
    EXPECT_EQ(at_bob[0].text, "first");
    EXPECT_EQ(at_bob[1].text, "second");
    EXPECT_EQ(at_bob[1].from, account->lid + "@lid");
    // Bob's delivery receipts reach Alice's phone naming Bob's phone as participant.
    auto receipts = server.PhoneReceipts(kPhone).value();
    ASSERT_EQ(receipts.size(), 2u);
    EXPECT_EQ(receipts[0].from, bob->lid + "@lid");

    // Bob is no admin: 401 from WhatsApp, 403 here. Alice adds Carol; Bob again is refused 409.
    auto refused = Call("POST", "/accounts/" + std::string(kBob) + "/groups/" + gid + "/participants",
                        std::string(R"({"action":"add","participants":[")") + kCarol + "\"]}", 403);
    EXPECT_EQ(refused["error"].as_object()["code"], "not-authorized");
    auto added = Call("POST", "/accounts/" + std::string(kPhone) + "/groups/" + gid + "/participants",
                      std::string(R"({"action":"add","participants":[")") + kCarol + "\",\"" + kBob + "\"]}", 200);
    EXPECT_EQ(json::serialize(added["participants"]),
              std::string(R"([{"jid":")") + kCarol + R"(@s.whatsapp.net"},{"jid":")" + kBob +
                  R"(@s.whatsapp.net","error":"409"}])");
    auto third = server.PhoneGroupSend(kPhone, gid, "third");
    EXPECT_EQ(third->devices, std::vector<std::string>{carol->lid + "@lid"});  // only the newcomer
    EXPECT_EQ(GroupInbox(kCarol, gid).size(), 1u);

    // Carol's reply: Bob and Alice decrypt it with the key she distributed.
    ASSERT_TRUE(server.PhoneGroupSend(kCarol, gid, "hello all").has_value());
    EXPECT_EQ(GroupInbox(kBob, gid).back().text, "hello all");
    EXPECT_EQ(GroupInbox(kPhone, gid).back().from, carol->lid + "@lid");

    // Removing Bob renews Alice's key: the next text's key goes to Carol only, Bob gets nothing.
    Call("POST", "/accounts/" + std::string(kPhone) + "/groups/" + gid + "/participants",
         std::string(R"({"action":"remove","participants":[")") + kBob + "\"]}", 200);
    auto fourth = server.PhoneGroupSend(kPhone, gid, "fourth");
    EXPECT_EQ(fourth->devices, std::vector<std::string>{carol->lid + "@lid"});
    EXPECT_EQ(GroupInbox(kBob, gid).size(), 4u);  // first, second, third, hello all: not fourth
    EXPECT_EQ(GroupInbox(kCarol, gid).back().text, "fourth");
    EXPECT_EQ(server.PhoneGroupSend(kBob, gid, "x").error().code, "not_participant");
    Call("GET", "/accounts/" + std::string(kBob) + "/groups/" + gid, "", 403);
    Call("GET", "/accounts/" + std::string(kPhone) + "/groups/120363000000000001@g.us", "", 404);

    // Subject; a restarted sim keeps the group and the phones' sender keys.
    Call("PUT", "/accounts/" + std::string(kCarol) + "/groups/" + gid + "/subject", R"js({"subject":"Order 42 (paid)"})js",
         200);
    SimServer restarted(StateFromJson(StateToJson(server.state())).value());
    ASSERT_TRUE(restarted.PhoneGroupSend(kPhone, gid, "after restart").has_value());
    auto carol_inbox = restarted.PhoneInbox(kCarol).value();
    ASSERT_EQ(carol_inbox.size(), 1u);
    EXPECT_EQ(carol_inbox[0].text, "after restart");
}

TEST(SimGroupsState, GroupsRoundTripThroughTheStateDirectory) {
    const auto dir = std::filesystem::temp_directory_path() / ("wadesk-sim-groups-" + ToHex(RandomBytes(6)));
    SimState s = LoadOrCreateState(dir.string(), 1000).value();
    Group g;
    g.id = "120363000000000042";
    g.subject = "Dealers";
    g.subject_time = g.creation = 1700000000;
    g.subject_owner = g.creator = "15550001111";
    g.members = {{"15550001111", "superadmin"}, {"15550002222", "admin"}, {"15550003333", ""}};
    s.groups[g.id] = g;
    ASSERT_TRUE(SaveGroups(dir.string(), s).has_value());
    auto loaded = LoadOrCreateState(dir.string(), 1000).value();
    ASSERT_EQ(loaded.groups.size(), 1u);
    const Group& back = loaded.groups.at(g.id);
    EXPECT_EQ(back.subject, "Dealers");
    EXPECT_EQ(back.members, g.members);
    EXPECT_EQ(back.creation, 1700000000);
    std::filesystem::remove_all(dir);
}

// POST /accounts/bulk: numbered accounts with emulated companions that usync-style listings and
// group sends reach; a taken number creates nothing.
TEST_F(GroupsTest, BulkAccountsHaveCompanionsAndAGroupSendReachesThem) {
    auto made = Call("POST", "/accounts/bulk", R"({"first":"15570000001","count":3,"companions":2,"name":"Member"})", 201);
    const auto& accounts = made["accounts"].as_array();
    ASSERT_EQ(accounts.size(), 3u);
    EXPECT_EQ(accounts[2].as_object().at("phone"), "15570000003");
    EXPECT_EQ(accounts[0].as_object().at("devices").as_int64(), 3);
    const Account* third = server.FindAccount("15570000003");
    ASSERT_NE(third, nullptr);
    EXPECT_EQ(third->name, "Member 3");
    ASSERT_EQ(third->devices.size(), 2u);
    EXPECT_EQ(third->devices.at(2).key_index, 2u);
    EXPECT_EQ(third->devices.at(1).prekeys.size(), 5u);
    EXPECT_EQ(third->devices.at(1).signed_prekey.signature.size(), 64u);
    // Overlapping numbers: refused as a whole.
    Call("POST", "/accounts/bulk", R"({"first":"15570000003","count":2})", 409);
    EXPECT_EQ(server.FindAccount("15570000004"), nullptr);
    Call("POST", "/accounts/bulk", R"({"first":"15570000100","count":0})", 400);
    Call("POST", "/accounts/bulk", R"({"first":"15570000100","count":1,"companions":11})", 400);

    // A group with them: the first send's sender key goes to every device of every member.
    auto created = Call("POST", std::string("/accounts/") + kPhone + "/groups",
                        R"({"subject":"Big","participants":["15570000001","15570000002","15570000003"]})", 201);
    auto sent = server.PhoneGroupSend(kPhone, std::string(created["id"].as_string()), "hello all");
    ASSERT_TRUE(sent.has_value()) << sent.error().message;
    EXPECT_EQ(sent->devices.size(), 9u);
}

// A group created with notify:false sends no create notification: the members' connected
// companions hear nothing until something is sent in it.
TEST_F(GroupsTest, AGroupCreatedWithoutNotificationIsStillAGroup) {
    auto created = Call("POST", std::string("/accounts/") + kPhone + "/groups",
                        std::string(R"({"subject":"Quiet","participants":[")") + kBob + R"("],"notify":false})", 201);
    EXPECT_EQ(created["subject"], "Quiet");
    Call("POST", std::string("/accounts/") + kPhone + "/groups",
         std::string(R"({"subject":"Bad","participants":[")") + kBob + R"("],"notify":"no"})", 400);
    auto sent = server.PhoneGroupSend(kPhone, std::string(created["id"].as_string()), "psst");
    ASSERT_TRUE(sent.has_value());
    ASSERT_EQ(GroupInbox(kBob, std::string(created["id"].as_string())).size(), 1u);
}

}  // namespace
}  // namespace wadesk::sim
