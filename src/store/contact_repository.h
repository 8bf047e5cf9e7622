#pragma once
// Contacts of a session.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

struct ContactQuery {
    std::string company_id;
    std::string session_id;
    int page = 1;                            // 1-based
    int limit = 50;                          // 1..200, validated by the caller
    std::string search;                      // substring of name, push name, jid, lid or phone; case-insensitive
};

// What UpsertContact did.
struct UpsertedContact {
    Contact contact;            // the row after the change
    bool changed = false;       // false: the contact was stored exactly so already
    std::vector<Chat> chats;    // the chats whose contact_name changed with it, after the change
};

class ContactRepository {
public:
    virtual ~ContactRepository() = default;

    // Finds the contact of `jid` (or of `lid` when given and known) in the session, creating it
    // when missing; a PN JID and its LID alias are one contact (a LID-only row gains the PN JID,
    // which becomes canonical; two rows that turn out to be one are folded). Non-empty name and
    // push_name replace the stored ones; empty ones keep them. phone follows the PN JID. The 1:1
    // chats of the contact get its display name as contact_name.
    virtual UpsertedContact UpsertContact(const Contact& contact) = 0;
    virtual std::optional<Contact> FindContact(std::string_view company_id, std::string_view session_id,
                                               std::string_view jid) = 0;  // matches jid or lid
    // Named contacts first (by name, else push name, case-insensitive), then the rest, by jid.
    virtual Page<Contact> ListContacts(const ContactQuery& query) = 0;
};

}  // namespace wadesk::store
