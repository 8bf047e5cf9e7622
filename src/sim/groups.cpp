// Groups on the server side (wa-protocol §18): the w:g2 IQs (create, query, participating, add /
// remove / promote / demote, subject, leave), the w:gp2 notifications to every device of every
// member (queued for offline devices like any stanza), the fan-out of group messages (each device
// gets its own pairwise <enc> from <participants> plus the one skmsg) and group receipts.
//
// Groups are LID-addressed, as new WhatsApp groups are: members, creator, subject owner and
// senders are named by LID (devices as `<lid>:<device>@lid`), with the PN beside them
// (`phone_number`, `creator_pn`, `s_o_pn`, `participant_pn`). Every JID a client sends is resolved
// through both domains.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "sim/server.h"
#include "whatsapp/binary/jid.h"

namespace wadesk::sim {
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {

constexpr std::size_t kMaxSubjectBytes = 100;

std::string GroupJid(const Group& g) { return g.id + "@" + std::string(wa::kServerGroup); }
std::string LidJid(const Account& a, std::uint16_t device = 0) { return wa::Jid::Lid(a.lid, device).ToString(); }
std::string PnJid(const Account& a) { return wa::Jid::User(a.phone).ToString(); }

bool IsAdminRank(const std::string& rank) { return rank == "admin" || rank == "superadmin"; }

Node ParticipantNode(const Account& a, const std::string& rank) {
    Attrs attrs{{"jid", LidJid(a)}, {"phone_number", PnJid(a)}};
    if (!rank.empty()) attrs.Add("type", rank);
    return Node("participant", std::move(attrs));
}

std::string NewNotificationId() { return ToHex(RandomBytes(8)); }

}  // namespace

Group* SimServer::FindGroup(std::string_view jid) {
    std::string id(jid);
    if (auto parsed = wa::ParseJid(jid); parsed && parsed->IsGroup()) id = parsed->user;
    auto it = state_.groups.find(id);
    return it == state_.groups.end() ? nullptr : &it->second;
}

void SimServer::PersistGroups() {
    if (state_dir_.empty()) return;
    if (auto r = SaveGroups(state_dir_, state_); !r) spdlog::error("[sim] cannot save groups: {}", r.error().message);
}

Node SimServer::GroupMetadata(const Group& g) {
    Attrs attrs{{"id", g.id}, {"subject", g.subject}, {"s_t", std::to_string(g.subject_time)}};
    if (const Account* owner = MutableAccount(g.subject_owner)) {
        attrs.Add("s_o", LidJid(*owner));
        attrs.Add("s_o_pn", PnJid(*owner));
    }
    attrs.Add("creation", std::to_string(g.creation));
    if (const Account* creator = MutableAccount(g.creator)) {
        attrs.Add("creator", LidJid(*creator));
        attrs.Add("creator_pn", PnJid(*creator));
    }
    attrs.Add("addressing_mode", "lid");
    attrs.Add("size", std::to_string(g.members.size()));
    NodeList participants;
    for (const auto& [phone, rank] : g.members) {
        if (const Account* a = MutableAccount(phone)) participants.push_back(ParticipantNode(*a, rank));
    }
    return Node("group", std::move(attrs), std::move(participants));
}

void SimServer::NotifyGroup(const Group& g, const DeviceKey& actor, Node change, const std::vector<std::string>& also) {
    const Account* by = MutableAccount(actor.first);
    if (!by) return;
    Attrs attrs{{"from", GroupJid(g)},
                {"type", "w:gp2"},
                {"id", NewNotificationId()},
                {"t", std::to_string(now())},
                {"participant", LidJid(*by, actor.second)},
                {"participant_pn", PnJid(*by)},
                {"addressing_mode", "lid"},
                {"notify", by->name}};
    std::set<std::string> phones(also.begin(), also.end());
    for (const auto& [phone, _] : g.members) phones.insert(phone);
    const Node notification("notification", std::move(attrs), NodeList{std::move(change)});
    for (const auto& phone : phones) {
        const Account* a = MutableAccount(phone);
        if (!a) continue;
        Deliver({phone, 0}, notification);
        for (const auto& [device, _] : a->devices) Deliver({phone, device}, notification);
    }
}

void SimServer::RotatePhoneSenderKeys(const Group& g) {
    const std::string gid = GroupJid(g);
    for (const auto& [phone, _] : g.members) {
        Account* a = MutableAccount(phone);
        PhoneParty* party = a ? Party(*a) : nullptr;
        if (!party) continue;
        party->signal->DeleteSenderKey(gid, PeerAddress{a->lid + "_1", 0});
        party->sender_key_holders.erase(gid);
        Persist(*a);
    }
}

void SimConnection::HandleGroupIq(const Node& iq) {
    auto answer = server_.GroupIq({phone_, device_}, iq);
    if (answer.code != 0) return SendIqError(iq, answer.code, answer.text);
    Node out("iq", Attrs{{"from", std::string(iq.AttrOr("to", "@g.us"))},
                         {"type", "result"},
                         {"id", std::string(iq.AttrOr("id", ""))}});
    if (!answer.children.empty()) out.content = std::move(answer.children);
    Send(out);
}

SimServer::GroupIqAnswer SimServer::GroupIq(const DeviceKey& actor, const Node& iq) {
    Account* me = MutableAccount(actor.first);
    if (!me) return {403, "forbidden", {}};
    const std::string type(iq.AttrOr("type", ""));
    const auto kids = iq.Children();
    if (kids.empty()) return {400, "bad-request", {}};
    const Node& op = kids.front();
    auto account_for = [&](std::string_view text) -> Account* {
        auto jid = wa::ParseJid(text);
        if (!jid || !(jid->IsPnUser() || jid->IsLid())) return nullptr;
        return AccountForUser(jid->user, jid->IsLid());
    };

    const auto to = wa::ParseJid(iq.AttrOr("to", ""));
    if (!to || !to->IsGroup()) return {400, "bad-request", {}};
    if (to->user.empty()) {
        // `@g.us`: create, participating, leave.
        if (op.tag == "create" && type == "set") {
            const std::string subject(op.AttrOr("subject", ""));
            if (subject.empty()) return {400, "bad-request", {}};
            if (subject.size() > kMaxSubjectBytes) return {406, "not-acceptable", {}};
            Group g;
            do {
                g.id = "120363";
                for (auto b : RandomBytes(12)) g.id += static_cast<char>('0' + b % 10);
            } while (state_.groups.count(g.id));
            g.subject = subject;
            g.subject_time = g.creation = now();
            g.subject_owner = g.creator = me->phone;
            g.members[me->phone] = "superadmin";
            for (const Node* p : op.Children("participant")) {
                if (Account* a = account_for(p->AttrOr("jid", "")); a && a != me) g.members[a->phone] = "";
            }
            const std::string id = g.id;
            auto& stored = state_.groups[id] = std::move(g);
            PersistGroups();
            spdlog::info("[sim] {} created group {} ({} members)", me->phone, id, stored.members.size());
            Attrs create_attrs{{"type", "new"}};
            if (auto key = op.GetAttr("key")) create_attrs.Add("key", std::string(*key));
            // The control API may create a group silently (`notify: false`, device 0 only): its
            // members' devices learn of it only from what is sent in it, as when the notification
            // was lost.
            if (actor.second != 0 || op.AttrOr("sim_notify", "1") != "0")
                NotifyGroup(stored, actor, Node("create", std::move(create_attrs), NodeList{GroupMetadata(stored)}));
            return {0, "", {GroupMetadata(stored)}};
        }
        if (op.tag == "participating" && type == "get") {
            NodeList groups;
            for (const auto& [id, g] : state_.groups) {
                if (g.members.count(me->phone)) groups.push_back(GroupMetadata(g));
            }
            return {0, "", {Node("groups", Attrs{}, std::move(groups))}};
        }
        if (op.tag == "leave" && type == "set") {
            NodeList left;
            for (const Node* gn : op.Children("group")) {
                Group* g = FindGroup(gn->AttrOr("id", ""));
                if (!g || !g->members.count(me->phone)) continue;
                // The notification goes to the members before the change, so the leaver hears of it.
                std::vector<std::string> before{me->phone};
                g->members.erase(me->phone);
                NotifyGroup(*g, actor, Node("remove", Attrs{}, NodeList{ParticipantNode(*me, "")}), before);
                RotatePhoneSenderKeys(*g);
                left.emplace_back("group", Attrs{{"id", GroupJid(*g)}});
            }
            PersistGroups();
            return {0, "", {Node("leave", Attrs{}, std::move(left))}};
        }
        return {501, "feature-not-implemented", {}};
    }

    Group* g = FindGroup(to->user);
    if (!g) return {404, "item-not-found", {}};
    auto my_rank = g->members.find(me->phone);
    if (my_rank == g->members.end()) return {403, "forbidden", {}};

    if (op.tag == "query" && type == "get") return {0, "", {GroupMetadata(*g)}};
    if (op.tag == "subject" && type == "set") {
        const std::string subject(op.ContentString().value_or(""));
        if (subject.empty()) return {400, "bad-request", {}};
        if (subject.size() > kMaxSubjectBytes) return {406, "not-acceptable", {}};
        g->subject = subject;
        g->subject_time = now();
        g->subject_owner = me->phone;
        PersistGroups();
        NotifyGroup(*g, actor,
                    Node("subject", Attrs{{"subject", subject},
                                          {"s_t", std::to_string(g->subject_time)},
                                          {"s_o", LidJid(*me, actor.second)},
                                          {"s_o_pn", PnJid(*me)}}));
        return {};
    }
    const bool membership = op.tag == "add" || op.tag == "remove" || op.tag == "promote" || op.tag == "demote";
    if (membership && type == "set") {
        if (!IsAdminRank(my_rank->second)) return {401, "not-authorized", {}};
        NodeList answers;
        NodeList changed;
        std::vector<std::string> removed;
        for (const Node* p : op.Children("participant")) {
            const std::string jid(p->AttrOr("jid", ""));
            Account* a = account_for(jid);
            auto member = a ? g->members.find(a->phone) : g->members.end();
            const bool is_member = member != g->members.end();
            int error = 0;
            if (!a) {
                error = 404;
            } else if (op.tag == "add") {
                if (is_member) {
                    error = 409;
                } else {
                    g->members[a->phone] = "";
                }
            } else if (!is_member) {
                error = 404;
            } else if (member->second == "superadmin" && a != me) {
                error = 406;  // the creator keeps its rank and its place
            } else if (op.tag == "remove") {
                g->members.erase(member);
                removed.push_back(a->phone);
            } else {
                member->second = op.tag == "promote" ? (member->second == "superadmin" ? "superadmin" : "admin") : "";
            }
            Attrs attrs{{"jid", jid}};
            if (error) attrs.Add("error", std::to_string(error));
            answers.emplace_back("participant", std::move(attrs));
            if (!error) changed.push_back(ParticipantNode(*a, op.tag == "promote" ? "admin" : ""));
        }
        PersistGroups();
        if (!changed.empty()) {
            // `add` reaches the members after the change (the added included), `remove` the members
            // before it (the removed included).
            NotifyGroup(*g, actor, Node(op.tag, Attrs{}, std::move(changed)), removed);
            if (!removed.empty()) RotatePhoneSenderKeys(*g);
        }
        return {0, "", {Node(op.tag, Attrs{}, std::move(answers))}};
    }
    return {501, "feature-not-implemented", {}};
}

int SimServer::GroupSendRefusal(const DeviceKey& sender, std::string_view group_jid) {
    const Group* g = FindGroup(group_jid);
    if (!g) return 404;
    return g->members.count(sender.first) ? 0 : 403;
}

void SimServer::RouteGroupMessage(const DeviceKey& sender_key, const Node& message) {
    const auto& [sender_phone, sender_device] = sender_key;
    Account* me = MutableAccount(sender_phone);
    Group* g = FindGroup(message.AttrOr("to", ""));
    if (!me || !g) return;
    const std::string gid = GroupJid(*g);
    const std::string id(message.AttrOr("id", ""));

    RememberSent(id, SentMessage{sender_key, gid});

    // The pairwise <enc>s (the SKDM, or a resend's body) by target device.
    std::map<DeviceKey, std::vector<const Node*>> pairwise;
    if (const Node* participants = message.Child("participants")) {
        for (const Node* t : participants->Children("to")) {
            auto jid = wa::ParseJid(t->AttrOr("jid", ""));
            Account* a = jid && (jid->IsPnUser() || jid->IsLid()) ? AccountForUser(jid->user, jid->IsLid()) : nullptr;
            if (!a || !g->members.count(a->phone) || (jid->device != 0 && !a->devices.count(jid->device))) continue;
            if (a->phone == sender_phone && jid->device == sender_device) continue;  // never back to the sender
            for (const Node* e : t->Children("enc")) pairwise[{a->phone, jid->device}].push_back(e);
        }
    }
    const std::vector<const Node*> shared = message.Children("enc");  // the skmsg (a resend: the pairwise enc)
    const Node* reporting = message.Child("reporting");
    const Node* device_identity = message.Child("device-identity");

    std::vector<DeviceKey> targets;
    if (auto only = message.GetAttr("participant")) {
        // A resend after a retry receipt: that one device.
        auto jid = wa::ParseJid(*only);
        Account* a = jid && (jid->IsPnUser() || jid->IsLid()) ? AccountForUser(jid->user, jid->IsLid()) : nullptr;
        if (a && g->members.count(a->phone) && (jid->device == 0 || a->devices.count(jid->device))) {
            targets.emplace_back(a->phone, jid->device);
        }
    } else {
        for (const auto& [phone, _] : g->members) {
            const Account* a = MutableAccount(phone);
            if (!a) continue;
            targets.emplace_back(phone, 0);
            for (const auto& [device, __] : a->devices) targets.emplace_back(phone, device);
        }
    }
    const auto now_text = std::to_string(now());
    std::size_t routed = 0;
    for (const auto& target : targets) {
        if (target == sender_key) continue;
        NodeList children;
        bool pkmsg = false;
        if (auto it = pairwise.find(target); it != pairwise.end()) {
            for (const Node* e : it->second) {
                children.push_back(*e);
                pkmsg |= e->AttrOr("type", "") == "pkmsg";
            }
        }
        if (reporting) children.push_back(*reporting);
        for (const Node* e : shared) {
            children.push_back(*e);
            pkmsg |= e->AttrOr("type", "") == "pkmsg";
        }
        if (children.empty()) continue;
        if (pkmsg && device_identity) children.push_back(*device_identity);
        Deliver(target, Node("message",
                             Attrs{{"from", gid},
                                   {"participant", LidJid(*me, sender_device)},
                                   {"participant_pn", PnJid(*me)},
                                   {"addressing_mode", "lid"},
                                   {"id", id},
                                   {"t", now_text},
                                   {"type", std::string(message.AttrOr("type", "text"))},
                                   {"notify", me->name}},
                             std::move(children)));
        ++routed;
    }
    spdlog::debug("[sim] group message {} from {}:{} to {} routed to {} device(s)", id, sender_phone, sender_device, gid,
                  routed);
}

void SimServer::RouteGroupReceipt(const DeviceKey& from_key, const Node& receipt) {
    const auto& [from_phone, from_device] = from_key;
    Account* me = MutableAccount(from_phone);
    Group* g = FindGroup(receipt.AttrOr("to", ""));
    if (!me || !g) return;
    const std::string gid = GroupJid(*g);
    const std::string id(receipt.AttrOr("id", ""));
    const std::string type(receipt.AttrOr("type", ""));
    Attrs attrs{{"from", gid}, {"participant", LidJid(*me, from_device)}, {"id", id}, {"t", std::to_string(now())}};
    if (!type.empty()) attrs.Add("type", type);

    if (type == "retry") {
        // Only to the device named in `participant` (§8.1), else the one that sent the message.
        auto to = wa::ParseJid(receipt.AttrOr("participant", ""));
        Account* target = to && (to->IsPnUser() || to->IsLid()) ? AccountForUser(to->user, to->IsLid()) : nullptr;
        std::optional<DeviceKey> dest;
        if (target && (to->device == 0 || target->devices.count(to->device))) dest = DeviceKey{target->phone, to->device};
        if (!dest) {
            auto it = sent_.find(id);
            if (it == sent_.end()) return;
            dest = it->second.sender;
        }
        const auto kids = receipt.Children();
        Deliver(*dest, Node("receipt", std::move(attrs), NodeList(kids.begin(), kids.end())));
        return;
    }
    for (const auto& msg_id : ReceiptIds(receipt)) {
        auto it = sent_.find(msg_id);
        if (it == sent_.end()) continue;
        const std::string sender_phone = it->second.sender.first;
        const Account* sender = MutableAccount(sender_phone);
        if (!sender || sender_phone == from_phone) continue;  // an own device's copy: goes nowhere
        Attrs one = attrs;
        one.Set("id", msg_id);
        Deliver({sender_phone, 0}, Node("receipt", one));
        for (const auto& [device, _] : sender->devices) Deliver({sender_phone, device}, Node("receipt", one));
    }
}

}  // namespace wadesk::sim
