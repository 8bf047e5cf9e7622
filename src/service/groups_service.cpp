// Groups in the service (wa-protocol §18): what WhatsApp tells of a group — its whole state after
// login or a query, or one change from a w:gp2 notification — updates the group chat (isGroup,
// name = subject) and its participant list in one transaction with a `system` message for each
// change ("Bob added Carol", deduplicated by the notification id) and the whatsapp:group_updated
// event; GroupParticipants lists the members for the REST API.
#include <boost/json.hpp>

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "service/views.h"
#include "service/wadesk_service.h"
#include "store/errors.h"

namespace wadesk::service {
namespace json = boost::json;

namespace {

bool SamePerson(const store::GroupParticipant& a, const store::GroupParticipant& b) {
    return a.jid == b.jid || (!a.lid.empty() && a.lid == b.lid) || (!a.phone.empty() && a.phone == b.phone);
}

// The name a system line shows: the push name, else the number, else the JID.
std::string Display(const store::GroupParticipant& p, const store::WaSession& s) {
    if (!s.phone_number.empty() && p.phone == s.phone_number) return "You";
    if (!p.name.empty()) return p.name;
    if (!p.phone.empty()) return "+" + p.phone;
    return p.jid;
}

std::string JoinNames(const std::vector<store::GroupParticipant>& people, const store::WaSession& s) {
    std::string out;
    for (std::size_t i = 0; i < people.size(); ++i) {
        if (i > 0) out += i + 1 == people.size() ? " and " : ", ";
        out += Display(people[i], s);
    }
    return out;
}

// The participant list after `change`, from the list before it. Names already known are kept.
std::vector<store::GroupParticipant> Apply(std::vector<store::GroupParticipant> list, const GroupChange& change) {
    auto find = [&](const store::GroupParticipant& p) {
        return std::find_if(list.begin(), list.end(), [&](const auto& q) { return SamePerson(p, q); });
    };
    if (change.action == "metadata" || change.action == "create") {
        std::vector<store::GroupParticipant> now = change.participants;
        for (auto& p : now) {
            if (auto it = find(p); it != list.end() && p.name.empty()) p.name = it->name;
        }
        return now;
    }
    for (const auto& p : change.participants) {
        auto it = find(p);
        if (change.action == "add") {
            if (it == list.end()) list.push_back(store::GroupParticipant{p.jid, p.phone, p.lid, p.name, "none"});
        } else if (change.action == "remove" || change.action == "leave") {
            if (it != list.end()) list.erase(it);
        } else if (change.action == "promote" || change.action == "demote") {
            if (it != list.end() && it->admin != "superadmin") it->admin = change.action == "promote" ? "admin" : "none";
        }
    }
    return list;
}

// The system line of a change; empty for the whole state.
std::string SystemText(const GroupChange& c, const std::vector<store::GroupParticipant>& named,
                       const store::WaSession& s) {
    const std::string by = c.by.jid.empty() ? std::string("Someone") : Display(c.by, s);
    const std::string who = JoinNames(named, s);
    if (c.action == "create") return by + " created group \"" + c.subject + "\"";
    if (c.action == "add") return by + " added " + who;
    if (c.action == "remove") return by + " removed " + who;
    if (c.action == "leave") return who + " left";
    if (c.action == "promote") return by + " made " + who + " an admin";
    if (c.action == "demote") return by + " dismissed " + who + " as admin";
    if (c.action == "subject") return by + " changed the subject to \"" + c.subject + "\"";
    return {};
}

}  // namespace

void WadeskService::OnGroupChange(const std::string& session_id, const GroupChange& change) {
    const std::optional<store::WaSession> s = ReceivingSession(session_id);
    if (!s || change.group_jid.empty()) return;
    const std::vector<store::Event> events = repo_.Transact([&](store::Transaction& tx) {
        store::Chat c;
        c.company_id = s->company_id;
        c.session_id = s->id;
        c.jid = change.group_jid;
        c.name = change.subject;  // kept when empty
        c.is_group = true;
        const store::Chat chat = tx.UpsertChat(c);
        const std::vector<store::GroupParticipant> before = tx.ListGroupParticipants(chat);
        const std::vector<store::GroupParticipant> after = Apply(before, change);
        const bool members_changed = after != before;
        if (members_changed) tx.ReplaceGroupParticipants(chat, after);

        // The people a line names, with the names the list knows.
        std::vector<store::GroupParticipant> named;
        for (const auto& p : change.participants) {
            store::GroupParticipant n = p;
            for (const auto* list : {&before, &after}) {
                auto it = std::find_if(list->begin(), list->end(), [&](const auto& q) { return SamePerson(p, q); });
                if (it != list->end() && n.name.empty()) n.name = it->name;
            }
            named.push_back(std::move(n));
        }
        const std::string text = SystemText(change, named, *s);
        bool recorded = false;
        if (!text.empty() && !change.id.empty()) {
            IncomingMessage line;
            line.chat_jid = change.group_jid;
            line.is_group = true;
            line.wa_message_id = "gp2-" + change.id;
            line.from_me = !s->phone_number.empty() && change.by.phone == s->phone_number;
            line.sender_jid = change.by.jid;
            line.sender_phone = change.by.phone;
            line.sender_lid = change.by.lid;
            line.sender_name = change.by.name;
            line.type = "system";
            line.body = text;
            line.timestamp_ms = change.timestamp_ms;
            // A notification delivered again finds its line stored: nothing is announced twice.
            recorded = !tx.FindMessageByWaId(s->id, line.wa_message_id).has_value();
            if (recorded) RecordIncoming(tx, *s, line);
        }
        if (change.action == "metadata" && !members_changed) return;
        if (change.action != "metadata" && !recorded && !members_changed) return;
        json::array participants;
        for (const auto& p : change.action == "metadata" || change.action == "create" ? after : named)
            participants.push_back(GroupParticipantView(p));
        json::object payload{{"sessionId", s->id},
                             {"chatId", chat.id},
                             {"action", change.action},
                             {"participants", std::move(participants)},
                             {"by", change.by.jid.empty() ? json::value(nullptr) : json::value(GroupParticipantView(change.by))}};
        if (!change.subject.empty()) payload["subject"] = change.subject;
        tx.AppendEvent(MakeEvent(s->company_id, s->id, "whatsapp:group_updated", payload));
    });
    for (const store::Event& e : events) bus_.Publish(e);
}

std::vector<store::GroupParticipant> WadeskService::GroupParticipants(const Actor& actor, const std::string& session_id,
                                                                      const std::string& chat_ref) {
    const store::Chat chat = GetChat(actor, session_id, chat_ref);
    if (!chat.is_group) throw ServiceError(FailureKind::kNotFound, "not_a_group", "this chat is not a group");
    return repo_.ListGroupParticipants(chat.company_id, chat.id);
}

}  // namespace wadesk::service
