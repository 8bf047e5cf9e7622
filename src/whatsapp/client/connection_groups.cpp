// Group metadata (wa-protocol §18.1, §18.2): w:gp2 notifications become GroupEvents, and after
// every login the groups the account belongs to are fetched (`participating`) and reported as
// "metadata" events, so a change missed while offline is caught up.
#include "core/log.h"
#include "whatsapp/client/connection_impl.h"

namespace wadesk::wa {

using namespace detail;

namespace {

std::string UserOf(std::string_view jid) {
    auto parsed = ParseJid(jid);
    return parsed ? parsed->ToNonAd().ToString() : std::string(jid);
}

std::vector<GroupMember> MembersOf(const Node& parent) {
    std::vector<GroupMember> out;
    for (const Node* p : parent.Children("participant")) {
        GroupMember m;
        m.jid = UserOf(p->AttrOr("jid", ""));
        m.alt = UserOf(p->AttrOr("phone_number", p->AttrOr("lid", "")));
        m.rank = std::string(p->AttrOr("type", ""));
        if (!m.jid.empty()) out.push_back(std::move(m));
    }
    return out;
}

// A <group> of w:g2 metadata (query, participating, a create notification).
GroupEvent MetadataEvent(const Node& group) {
    GroupEvent e;
    std::string id(group.AttrOr("id", ""));
    e.group = id.find('@') == std::string::npos ? id + "@g.us" : id;
    e.action = "metadata";
    e.subject = std::string(group.AttrOr("subject", ""));
    e.timestamp = group.GetAttrInt("creation").value_or(0);
    e.by = UserOf(group.AttrOr("creator", ""));
    e.by_alt = UserOf(group.AttrOr("creator_pn", ""));
    e.members = MembersOf(group);
    return e;
}

}  // namespace

void Connection::Impl::HandleGroupNotification(const Node& node) {
    const auto kids = node.Children();
    if (kids.empty()) return;
    const Node& change = kids.front();
    GroupEvent e;
    e.id = std::string(node.AttrOr("id", ""));
    e.group = std::string(node.AttrOr("from", ""));
    e.by = UserOf(node.AttrOr("participant", ""));
    e.by_alt = UserOf(node.AttrOr("participant_pn", node.AttrOr("participant_lid", "")));
    e.by_name = std::string(node.AttrOr("notify", ""));
    e.timestamp = node.GetAttrInt("t").value_or(0);
    if (change.tag == "create") {
        const Node* group = change.Child("group");
        if (!group) return;
        GroupEvent meta = MetadataEvent(*group);
        meta.id = e.id;
        meta.action = "create";
        meta.by = e.by.empty() ? meta.by : e.by;
        meta.by_alt = e.by_alt.empty() ? meta.by_alt : e.by_alt;
        meta.by_name = e.by_name;
        meta.timestamp = e.timestamp ? e.timestamp : meta.timestamp;
        return events.OnGroup(meta);
    }
    if (change.tag == "add" || change.tag == "remove" || change.tag == "promote" || change.tag == "demote" ||
        change.tag == "leave") {
        e.action = std::string(change.tag);
        e.members = MembersOf(change);
        // A remove of the actor itself is a leave (as WhatsApp clients show it).
        if (e.action == "remove" && e.members.size() == 1 &&
            (e.members[0].jid == e.by || (!e.by_alt.empty() && e.members[0].alt == e.by_alt))) {
            e.action = "leave";
        }
        return events.OnGroup(e);
    }
    if (change.tag == "subject") {
        e.action = "subject";
        e.subject = std::string(change.AttrOr("subject", ""));
        return events.OnGroup(e);
    }
    spdlog::debug("wa: group notification {} not handled", change.tag);
}

void Connection::Impl::FetchGroups() {
    SendIq(Node("iq", {{"xmlns", "w:g2"}, {"type", "get"}, {"to", "@g.us"}},
                NodeList{Node("participating", {}, NodeList{Node("participants"), Node("description")})}),
           [this](const Node* r) {
               if (!r || r->AttrOr("type", "") != "result") {
                   spdlog::warn("wa: the groups of this account could not be fetched");
                   return;
               }
               const Node* groups = r->Child("groups");
               if (!groups) return;
               for (const Node* g : groups->Children("group")) {
                   LearnMemberLids(*g);
                   events.OnGroup(MetadataEvent(*g));
               }
           });
}

// A LID-addressed group names each member by LID with its phone number: the pair is learned
// (§13 source 5), so receipts and messages naming the LID resolve to the member's number.
void Connection::Impl::LearnMemberLids(const Node& group) {
    for (const Node* p : group.Children("participant")) {
        auto lid = ParseJid(p->AttrOr("jid", ""));
        auto pn = ParseJid(p->AttrOr("phone_number", ""));
        if (lid && pn && lid->IsLid() && pn->IsPnUser()) signal.lid_map().Learn(pn->user, lid->user);
    }
}

// One group the account is in but holds no state of (the service asks when a message or change
// names it): its metadata, as after login.
void Connection::Impl::QueryGroup(const std::string& group_jid) {
    if (phase != Phase::kConnected) return;
    auto jid = ParseJid(group_jid);
    if (!jid || !jid->IsGroup()) return;
    SendIq(Node("iq", {{"xmlns", "w:g2"}, {"type", "get"}, {"to", group_jid}},
                NodeList{Node("query", {{"request", "interactive"}})}),
           [this, group_jid](const Node* r) {
               const Node* group = r && r->AttrOr("type", "") == "result" ? r->Child("group") : nullptr;
               if (!group) {
                   spdlog::warn("wa: the metadata of {} could not be fetched", group_jid);
                   return;
               }
               LearnMemberLids(*group);
               events.OnGroup(MetadataEvent(*group));
           });
}

void Connection::Impl::ManageGroup(const GroupAction& a, std::function<void(Result<GroupActionResult>)> done) {
    if (phase != Phase::kConnected) return done(MakeError("not_connected", "session is not connected"));
    NodeList people;
    for (const auto& p : a.participants) people.push_back(Node("participant", {{"jid", p}}));
    Node op("");
    std::string to = a.group;
    if (a.action == "create") {
        if (a.subject.empty()) return done(MakeError("bad_request", "a group needs a subject"));
        op = Node("create", {{"subject", a.subject}, {"key", NewMessageId()}}, std::move(people));
        to = "@g.us";
    } else if (a.action == "add" || a.action == "remove" || a.action == "promote" || a.action == "demote") {
        if (people.empty()) return done(MakeError("bad_request", "no participants"));
        op = Node(a.action, {}, std::move(people));
    } else if (a.action == "subject") {
        op = Node("subject", {}, Bytes(a.subject.begin(), a.subject.end()));
    } else if (a.action == "leave") {
        op = Node("leave", {}, NodeList{Node("group", {{"id", a.group}})});
        to = "@g.us";
    } else {
        return done(MakeError("bad_request", "unknown group action " + a.action));
    }
    if (to.empty()) return done(MakeError("bad_request", "no group"));
    const std::string action = a.action;
    SendIq(Node("iq", {{"xmlns", "w:g2"}, {"type", "set"}, {"to", to}}, NodeList{std::move(op)}),
           [action, done = std::move(done)](const Node* r) {
               if (!r) return done(MakeError("iq_timeout", "WhatsApp did not answer"));
               if (r->AttrOr("type", "") != "result") {
                   const Node* e = r->Child("error");
                   const std::string code(e ? e->AttrOr("code", "500") : "500");
                   return done(MakeError("wa_" + code, std::string(e ? e->AttrOr("text", "") : "")));
               }
               GroupActionResult out;
               if (const Node* g = r->Child("group")) {
                   std::string id(g->AttrOr("id", ""));
                   out.group = id.find('@') == std::string::npos ? id + "@g.us" : id;
               }
               if (const Node* list = r->Child(action)) {
                   for (const Node* p : list->Children("participant")) {
                       const int code = static_cast<int>(ParseInt(p->AttrOr("error", "0")).value_or(500));
                       out.participants.emplace_back(std::string(p->AttrOr("jid", "")), code);
                   }
               }
               done(std::move(out));
           });
}

}  // namespace wadesk::wa
