// Receipts per recipient (docs/api.md "Receipts"): what each member of a group (or the contact
// of a 1:1 chat) did with an outgoing message — one row per recipient, not per device, with the
// best status its devices reported and when — and the message's own status, which the first
// recipient's device to have it makes "delivered" and the first reader makes "read".
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "service/errors.h"
#include "service/inbound_adapter.h"
#include "service/message_service.h"

namespace wadesk::service {

void InboundAdapter::OnRecipientReceipt(const std::string& session_id, const RecipientReceipt& receipt) {
    if (receipt.who.jid.empty()) {
        for (const auto& id : receipt.wa_message_ids) OnMessageStatus(session_id, id, receipt.status);
        return;
    }
    for (const auto& wa_id : receipt.wa_message_ids) {
        auto m = repo_.FindMessageByWaId(session_id, wa_id);
        if (!m) continue;
        if (m->from_me) {
            domain::MessageReceipt row;
            row.message_id = m->id;
            row.company_id = m->company_id;
            row.session_id = session_id;
            row.jid = receipt.who.jid;
            row.phone = receipt.who.phone;
            row.lid = receipt.who.lid;
            row.status = receipt.status;
            row.at = receipt.at_ms;
            repo_.RecordReceipt(row);
        }
        OnMessageStatus(session_id, wa_id, receipt.status);
    }
}

std::vector<domain::MessageReceipt> MessageService::MessageReceipts(const Actor& actor, const std::string& session_id,
                                                                    const std::string& message_id) {
    ReadableSession(actor, session_id);
    if (!IsWellFormedId(message_id)) throw ServiceError(ErrorCode::kNotFound, "message not found");
    auto m = repo_.FindMessage(actor.who.company_id, session_id, message_id);
    if (!m) throw ServiceError(ErrorCode::kNotFound, "message not found");
    return repo_.ListReceipts(actor.who.company_id, m->id);
}

}  // namespace wadesk::service
