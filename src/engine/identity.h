#pragma once
// The two identities of a WhatsApp contact (wa-protocol §13) as the service stores them.
//
// A contact has a phone-number JID (`<digits>@s.whatsapp.net`) and a LID (`<digits>@lid`); the
// client reports each message in the domain the stanza used plus, when its LidMap knows it, the
// other one (IncomingMessage::chat_alt / sender_alt). FillIdentities turns that into the
// service's fields so that both domains land in one chat:
//   chat_jid      the PN user JID when known (canonical), else the JID as seen (a LID, a group)
//   chat_lid      the LID alias of a PN chat when known, else empty (a chat known only by its LID
//                 has the LID as chat_jid, as the store keeps it)
//   sender_jid    the sender's PN user JID when known, else its user JID as seen
//   sender_phone  the PN digits when known, else empty
//   sender_lid    the sender's LID user JID when known, else empty
// Devices are dropped (a chat and a sender are users). Malformed JIDs are kept as given.
#include "service/engine.h"
#include "whatsapp/client/connection.h"

namespace wadesk::engine {

void FillIdentities(const wa::IncomingMessage& message, service::IncomingMessage& out);

// A person (a group member, an actor) from a JID and its alternate in the other domain: jid = the
// PN user JID when known, else the JID as seen; phone; lid.
domain::GroupParticipant PersonOf(const std::string& jid, const std::string& alternate);

}  // namespace wadesk::engine
