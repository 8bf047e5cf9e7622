// Groups in the service (wa-protocol §18): what WhatsApp tells of a group — its whole state after
// login or a query, or one change from a w:gp2 notification — updates the group chat (isGroup,
// name = subject) and its participant list in one transaction with a `system` message for each
// change ("Bob added Carol", deduplicated by the notification id) and the whatsapp:group_updated
// event; GroupParticipants lists the members for the REST API.
#include <boost/json.hpp>

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "service/chat_ref.h"
#include "service/group_service.h"
#include "service/inbound_adapter.h"
#include "service/views.h"
#include "store/errors.h"

namespace wadesk::service {
namespace json = boost::json;

namespace {

bool SamePerson(const domain::GroupParticipant& a, const domain::GroupParticipant& b) {
    return a.jid == b.jid || (!a.lid.empty() && a.lid == b.lid) || (!a.phone.empty() && a.phone == b.phone);
}

// The name a system line shows: the push name, else the number, else the JID.
std::string Display(const domain::GroupParticipant& p, const domain::WaSession& s) {
    if (!s.phone_number.empty() && p.phone == s.phone_number) return "You";
    if (!p.name.empty()) return p.name;
    if (!p.phone.empty()) return "+" + p.phone;
    return p.jid;
}

std::string JoinNames(const std::vector<domain::GroupParticipant>& people, const domain::WaSession& s) {
    std::string out;
    for (std::size_t i = 0; i < people.size(); ++i) {
        if (i > 0) out += i + 1 == people.size() ? " and " : ", ";
        out += Display(people[i], s);
    }
    return out;
}

// The participant list after `change`, from the list before it. Names already known are kept.
std::vector<domain::GroupParticipant> Apply(std::vector<domain::GroupParticipant> list, const GroupChange& change) {
    auto find = [&](const domain::GroupParticipant& p) {
        return std::find_if(list.begin(), list.end(), [&](const auto& q) { return SamePerson(p, q); });
    };
    if (change.action == "metadata" || change.action == "create") {
        std::vector<domain::GroupParticipant> now = change.participants;
        for (auto& p : now) {
            if (auto it = find(p); it != list.end() && p.name.empty()) p.name = it->name;
        }
        return now;
    }
    for (const auto& p : change.participants) {
        auto it = find(p);
        if (change.action == "add") {
            if (it == list.end()) list.push_back(domain::GroupParticipant{p.jid, p.phone, p.lid, p.name, "none"});
        } else if (change.action == "remove" || change.action == "leave") {
            if (it != list.end()) list.erase(it);
        } else if (change.action == "promote" || change.action == "demote") {
            if (it != list.end() && it->admin != "superadmin") it->admin = change.action == "promote" ? "admin" : "none";
        }
    }
    return list;
}

// The system line of a change; empty for the whole state.
std::string SystemText(const GroupChange& c, const std::vector<domain::GroupParticipant>& named,
                       const domain::WaSession& s) {
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

// A participant as the API names it (a number or a user JID) as a JID; throws on anything else.
std::string ParticipantJid(const std::string& raw) {
    if (auto digits = NormalizePhone(raw)) return *digits + "@s.whatsapp.net";
    auto ref = ParseChatRef(raw);
    if (ref && ref->kind == ChatRef::Kind::kJid &&
        (ref->value.ends_with("@s.whatsapp.net") || ref->value.ends_with("@lid")))
        return ref->value;
    throw ServiceError(ErrorCode::kInvalidParticipant,
                       "participant '" + raw + "' is neither an international number nor a user JID");
}

std::string ParticipantStatus(int code) {
    switch (code) {
        case 0: return "ok";
        case 409: return "already_participant";
        case 404: return "not_participant";
        case 403: return "invite_required";
        default: return "refused_" + std::to_string(code);
    }
}

}  // namespace

GroupAnswer ServiceContext::RunGroupRequest(const domain::WaSession& s, const GroupRequest& request) {
    auto r = engine_.ManageGroup(s.id, request);
    if (r) return *r;
    const std::string& code = r.error().code;
    if (code == "wa_401") throw ServiceError(ErrorCode::kNotGroupAdmin, "only group admins can do this");
    if (code == "wa_403")
        throw ServiceError(ErrorCode::kNotGroupParticipant, "this account is not a member of the group");
    if (code == "wa_404") throw ServiceError(ErrorCode::kGroupNotFound, "WhatsApp knows no such group");
    if (code.starts_with("wa_"))
        throw ServiceError(ErrorCode::kRejectedByWhatsapp,
                           "WhatsApp refused the request (" + code.substr(3) + " " + r.error().message + ")");
    // session_not_connected, engine_timeout and engine_unavailable are kUnavailable by their code.
    throw ServiceError(r.error(), FailureKind::kUnprocessable);
}

void InboundAdapter::OnGroupChange(const std::string& session_id, const GroupChange& change) {
    const std::optional<domain::WaSession> s = ReceivingSession(session_id);
    if (!s || change.group_jid.empty()) return;
    bool held_nothing = false;  // the group had no participants stored before this change
    const std::vector<domain::Event> events = repo_.Transact([&](store::Transaction& tx) {
        domain::Chat c;
        c.company_id = s->company_id;
        c.session_id = s->id;
        c.jid = change.group_jid;
        c.name = change.subject;  // kept when empty
        c.is_group = true;
        const domain::Chat chat = tx.UpsertChat(c);
        const std::vector<domain::GroupParticipant> before = tx.ListGroupParticipants(chat);
        held_nothing = before.empty();
        std::vector<domain::GroupParticipant> after = Apply(before, change);
        // The actor's push name (the notification's `notify`) names that member from now on.
        if (!change.by.name.empty()) {
            for (auto& p : after)
                if (SamePerson(p, change.by)) p.name = change.by.name;
        }
        const bool members_changed = after != before;
        if (members_changed) tx.ReplaceGroupParticipants(chat, after);

        // The people a line names, with the names the list knows.
        std::vector<domain::GroupParticipant> named;
        for (const auto& p : change.participants) {
            domain::GroupParticipant n = p;
            if (n.name.empty() && SamePerson(n, change.by)) n.name = change.by.name;  // "Bob left"
            const std::vector<domain::GroupParticipant>* lists[] = {&before, &after};
            for (const auto* list : lists) {
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
            line.type = domain::MessageType::kSystem;
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
    for (const domain::Event& e : events) bus_.Publish(e);
    // A change in a group we hold no state of: its whole state is asked for (group_metadata.cpp).
    if ((change.action == "metadata" || change.action == "create") && !change.participants.empty())
        NoteGroupMetadata(s->id, change.group_jid);
    else if (held_nothing)
        EnsureGroupMetadata(*s, change.group_jid, /*known_unknown=*/true);
}

domain::Chat GroupService::CreateGroup(const Actor& actor, const std::string& session_id, const std::string& subject,
                                       const std::vector<std::string>& participants) {
    domain::WaSession s = VisibleSession(actor, session_id);
    if (!access_.CanManageChats(actor.who, s.id))
        throw ServiceError(ErrorCode::kForbidden, "creating groups needs canManageChats");
    if (subject.empty() || subject.size() > 100)
        throw ServiceError(ErrorCode::kInvalidField, "field 'subject' must be 1 to 100 bytes");
    GroupRequest request{"create", "", subject, {}};
    for (const auto& p : participants) request.participants.push_back(ParticipantJid(p));
    const GroupAnswer answer = RunGroupRequest(s, request);
    if (answer.group_jid.empty())
        throw ServiceError(ErrorCode::kRejectedByWhatsapp, "WhatsApp named no group");
    domain::Chat c;
    c.company_id = s.company_id;
    c.session_id = s.id;
    c.jid = answer.group_jid;
    c.name = subject;
    c.is_group = true;
    const domain::Chat chat = repo_.UpsertChat(c);
    WriteAudit(&actor, s.company_id, "group.create", "chat", chat.id, {{"subject", subject}});
    return chat;
}

std::vector<std::pair<std::string, std::string>> GroupService::ChangeGroupParticipants(
    const Actor& actor, const std::string& session_id, const std::string& chat_ref, const std::string& action,
    const std::vector<std::string>& participants) {
    domain::WaSession s = VisibleSession(actor, session_id);
    const domain::Chat chat = RequireChat(actor, s.id, chat_ref);
    if (!access_.CanManageChats(actor.who, s.id))
        throw ServiceError(ErrorCode::kForbidden, "managing groups needs canManageChats");
    if (!chat.is_group) throw ServiceError(ErrorCode::kNotAGroup, "this chat is not a group");
    if (action != "add" && action != "remove" && action != "promote" && action != "demote")
        throw ServiceError(ErrorCode::kInvalidField, "field 'action' must be add, remove, promote or demote");
    if (participants.empty() || participants.size() > 256)
        throw ServiceError(ErrorCode::kInvalidField, "field 'participants' must list 1 to 256 members");
    GroupRequest request{action, chat.jid, "", {}};
    for (const auto& p : participants) request.participants.push_back(ParticipantJid(p));
    const GroupAnswer answer = RunGroupRequest(s, request);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [jid, code] : answer.participants) out.emplace_back(jid, ParticipantStatus(code));
    WriteAudit(&actor, s.company_id, "group.participants", "chat", chat.id, {{"action", action}});
    return out;
}

void GroupService::LeaveGroup(const Actor& actor, const std::string& session_id, const std::string& chat_ref) {
    domain::WaSession s = VisibleSession(actor, session_id);
    const domain::Chat chat = RequireChat(actor, s.id, chat_ref);
    if (!access_.CanManageChats(actor.who, s.id))
        throw ServiceError(ErrorCode::kForbidden, "leaving groups needs canManageChats");
    if (!chat.is_group) throw ServiceError(ErrorCode::kNotAGroup, "this chat is not a group");
    RunGroupRequest(s, GroupRequest{"leave", chat.jid, "", {}});
    WriteAudit(&actor, s.company_id, "group.leave", "chat", chat.id, {});
}

std::vector<domain::GroupParticipant> GroupService::GroupParticipants(const Actor& actor, const std::string& session_id,
                                                                      const std::string& chat_ref) {
    const domain::Chat chat = GetChat(actor, session_id, chat_ref);
    if (!chat.is_group) throw ServiceError(ErrorCode::kNotAGroup, "this chat is not a group");
    return repo_.ListGroupParticipants(chat.company_id, chat.id);
}

}  // namespace wadesk::service
