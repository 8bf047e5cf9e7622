#pragma once
// Receipts of outgoing messages, one row per recipient (sql_receipts.cpp).
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

class ReceiptRepository {
public:
    virtual ~ReceiptRepository() = default;

    // Keeps `receipt` (message_id, company_id, session_id, jid, phone, lid, status delivered|read|
    // played, at) unless the recipient's row holds that status or a better one already. Returns
    // true when the row was written. REQUIRES: the message exists.
    virtual bool RecordReceipt(const MessageReceipt& receipt) = 0;
    // The recipients of message `message_id` of the company, best status first (then the time it
    // was reached, then jid), each with its name (the contact's name, else its push name, else
    // its name in the group); empty when there is none or no such message.
    virtual std::vector<MessageReceipt> ListReceipts(std::string_view company_id, std::string_view message_id) = 0;
};

}  // namespace wadesk::store
