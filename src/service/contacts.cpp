// Contacts: who the session's account knows, from push names, history sync and PN<->LID pairs
// (issue 12). The store keeps the rows and the 1:1 chats' contact names; this file reads them for
// the API and records them from the receive and history paths.
#include "service/chat_service.h"
#include "service/errors.h"
#include "service/inbound_adapter.h"
#include "service/views.h"

namespace wadesk::service {

store::Page<domain::Contact> ChatService::ListContacts(const Actor& actor, const std::string& session_id,
                                                       const ContactFilter& f) {
    ReadableSession(actor, session_id);
    store::ContactQuery q;
    q.company_id = actor.who.company_id;
    q.session_id = session_id;
    q.page = f.page;
    q.limit = f.limit;
    q.search = f.search;
    return repo_.ListContacts(q);
}

void InboundAdapter::RecordContact(store::Transaction& tx, const domain::WaSession& s, domain::Contact contact) {
    contact.company_id = s.company_id;
    contact.session_id = s.id;
    const store::UpsertedContact done = tx.UpsertContact(contact);
    for (const domain::Chat& chat : done.chats)
        tx.AppendEvent(MakeEvent(s.company_id, s.id, "whatsapp:chat_updated",
                                 {{"sessionId", s.id}, {"chatId", chat.id}, {"chat", ChatView(chat)}}));
}

std::optional<domain::Contact> InboundAdapter::SenderContact(const IncomingMessage& in) {
    if (in.from_me) return std::nullopt;
    const std::string pn = in.sender_phone.empty() ? std::string() : in.sender_phone + "@s.whatsapp.net";
    const bool paired = !pn.empty() && !in.sender_lid.empty();
    if (in.sender_name.empty() && !paired) return std::nullopt;
    domain::Contact c;
    c.jid = !pn.empty() ? pn : !in.sender_lid.empty() ? in.sender_lid : in.sender_jid;
    c.lid = in.sender_lid;
    c.push_name = in.sender_name;
    if (c.jid.empty()) return std::nullopt;
    return c;
}

}  // namespace wadesk::service
