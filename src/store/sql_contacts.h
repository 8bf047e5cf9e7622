#pragma once
// The contact rows (wa_contacts, V011) over one driver connection: what Repository::UpsertContact,
// FindContact and ListContacts do, written once for both backends. The repository runs these
// inside its transactions (sql_repository.cpp, sql_chats.cpp) and keeps the chats' contact_name
// with them.
#include <optional>
#include <string>
#include <string_view>

#include "store/detail/sql.h"
#include "domain/model.h"
#include "store/repository.h"

namespace wadesk::store::detail {

struct ContactWrite {
    Contact contact;               // the row after the change
    bool changed = false;          // a row was inserted, updated or folded
    bool display_changed = false;  // ContactDisplayName or the contact's identities changed
};

// UpsertContact's contact half (see Repository::UpsertContact), in the caller's write
// transaction. `lock` is the dialect's row-lock suffix. Throws ConstraintViolation for an empty
// jid or a session outside the company.
ContactWrite WriteContact(Connection& conn, const std::string& lock, const Contact& contact);

// The contact of `jid` (matched against jid and lid) in the session.
std::optional<Contact> SelectContact(Connection& conn, std::string_view company_id, std::string_view session_id,
                                     std::string_view jid);

// The display name of the contact a 1:1 chat with identities `jid` / `lid` belongs to; "" when
// none is known.
std::string ContactNameOfChat(Connection& conn, std::string_view company_id, std::string_view session_id,
                              std::string_view jid, std::string_view lid);

// ListContacts with the page's limit and offset already clamped.
Page<Contact> SelectContacts(Connection& conn, const ContactQuery& query, int limit, std::int64_t offset);

}  // namespace wadesk::store::detail
