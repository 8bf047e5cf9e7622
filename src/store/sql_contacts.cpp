#include "store/sql_contacts.h"

#include "core/clock.h"
#include "core/ids.h"
#include "store/errors.h"

namespace wadesk::store::detail {

namespace {

const std::string kContactCols = "id, company_id, session_id, jid, lid, phone, name, push_name, created_at, updated_at";
const std::string kInsertContact =
    "INSERT INTO wa_contacts (" + kContactCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const std::string kUpdateContact =
    "UPDATE wa_contacts SET jid = $2, lid = $3, phone = $4, name = $5, push_name = $6, updated_at = $7 WHERE id = $1";
const std::string kDeleteContact = "DELETE FROM wa_contacts WHERE id = $1";
const std::string kSelectContactByJid =
    "SELECT " + kContactCols + " FROM wa_contacts WHERE company_id = $1 AND session_id = $2 AND jid = $3";
const std::string kSelectContactByLid =
    "SELECT " + kContactCols + " FROM wa_contacts WHERE company_id = $1 AND session_id = $2 AND lid = $3 AND lid <> ''";
const std::string kSessionOfCompany = "SELECT 1 FROM wa_sessions WHERE company_id = $1 AND id = $2";
// The display name: the phone's name for the contact, else its push name.
const std::string kDisplayName = "CASE WHEN name <> '' THEN name ELSE push_name END";
const std::string kContactOrder = " ORDER BY (name = '' AND push_name = ''), lower(" + kDisplayName + "), jid";
const std::string kContactNameOfChat =
    "SELECT " + kDisplayName +
    " FROM wa_contacts WHERE company_id = $1 AND session_id = $2 AND (jid = $3 OR jid = $4 OR "
    "(lid <> '' AND (lid = $3 OR lid = $4))) ORDER BY jid LIMIT 1";

Contact ReadContact(const Row& r) {
    Contact c;
    c.id = r.Text(0);
    c.company_id = r.Text(1);
    c.session_id = r.Text(2);
    c.jid = r.Text(3);
    c.lid = r.Text(4);
    c.phone = r.Text(5);
    c.name = r.Text(6);
    c.push_name = r.Text(7);
    c.created_at = r.Int(8);
    c.updated_at = r.Int(9);
    return c;
}

std::optional<Contact> FirstContact(const Rows& rows) {
    if (rows.empty()) return std::nullopt;
    return ReadContact(rows[0]);
}

bool IsLidJid(std::string_view jid) { return jid.ends_with("@lid"); }

// The digits of a phone-number user JID ("<digits>[:device]@s.whatsapp.net"); "" otherwise.
std::string PhoneOf(std::string_view jid) {
    constexpr std::string_view kPnServer = "@s.whatsapp.net";
    if (!jid.ends_with(kPnServer)) return {};
    std::string_view user = jid.substr(0, jid.size() - kPnServer.size());
    user = user.substr(0, user.find(':'));
    return std::string(user);
}

// By jid, else by lid, with `text` as the key.
std::optional<Contact> FindLocked(Connection& conn, const std::string& lock, const Contact& scope,
                                  const std::string& text) {
    const Params params{scope.company_id, scope.session_id, text};
    if (auto c = FirstContact(conn.Query(kSelectContactByJid + lock, params))) return c;
    return FirstContact(conn.Query(kSelectContactByLid + lock, params));
}

}  // namespace

ContactWrite WriteContact(Connection& conn, const std::string& lock, const Contact& contact) {
    if (contact.jid.empty()) throw ConstraintViolation("store: a contact needs a jid");
    ContactWrite out;
    std::optional<Contact> by_jid = FindLocked(conn, lock, contact, contact.jid);
    std::optional<Contact> by_lid;
    if (!contact.lid.empty() && contact.lid != contact.jid) by_lid = FindLocked(conn, lock, contact, contact.lid);
    const std::int64_t now = NowMs();
    if (!by_jid && !by_lid) {
        if (conn.Query(kSessionOfCompany, {contact.company_id, contact.session_id}).empty())
            throw ConstraintViolation("store: contact names a session outside its company");
        Contact c = contact;
        if (c.id.empty()) c.id = NewId();
        if (IsLidJid(c.jid) && c.lid.empty()) c.lid = c.jid;
        if (c.lid == c.jid && !IsLidJid(c.jid)) c.lid.clear();
        c.phone = PhoneOf(c.jid);
        c.created_at = now;
        c.updated_at = now;
        conn.Exec(kInsertContact, {c.id, c.company_id, c.session_id, c.jid, c.lid, c.phone, c.name, c.push_name,
                                   c.created_at, c.updated_at});
        out.contact = std::move(c);
        out.changed = true;
        out.display_changed = true;
        return out;
    }
    Contact keep = by_jid ? *by_jid : *by_lid;
    const Contact found = keep;
    const bool fold = by_jid && by_lid && by_jid->id != by_lid->id;
    if (fold) {
        // Two rows turned out to be one contact: the row of the phone-number JID stays.
        Contact other = *by_lid;
        if (IsLidJid(keep.jid) && !IsLidJid(other.jid)) std::swap(keep, other);
        conn.Exec(kDeleteContact, {other.id});
        if (keep.name.empty()) keep.name = other.name;
        if (keep.push_name.empty()) keep.push_name = other.push_name;
        if (keep.lid.empty()) keep.lid = other.lid;
    }
    // The phone-number JID is canonical; a LID seen first becomes the alias.
    if (IsLidJid(keep.jid) && !IsLidJid(contact.jid)) {
        if (keep.lid.empty()) keep.lid = keep.jid;
        keep.jid = contact.jid;
    }
    if (!contact.lid.empty() && contact.lid != keep.jid) keep.lid = contact.lid;
    if (IsLidJid(keep.jid) && keep.lid.empty()) keep.lid = keep.jid;
    if (!contact.name.empty()) keep.name = contact.name;
    if (!contact.push_name.empty()) keep.push_name = contact.push_name;
    keep.phone = PhoneOf(keep.jid);
    const bool same = !fold && keep.jid == found.jid && keep.lid == found.lid && keep.phone == found.phone &&
                      keep.name == found.name && keep.push_name == found.push_name;
    if (same) {
        out.contact = std::move(keep);
        return out;
    }
    keep.updated_at = now;
    conn.Exec(kUpdateContact, {keep.id, keep.jid, keep.lid, keep.phone, keep.name, keep.push_name, keep.updated_at});
    out.changed = true;
    out.display_changed = fold || keep.jid != found.jid || keep.lid != found.lid ||
                          ContactDisplayName(keep) != ContactDisplayName(found);
    out.contact = std::move(keep);
    return out;
}

std::optional<Contact> SelectContact(Connection& conn, std::string_view company_id, std::string_view session_id,
                                     std::string_view jid) {
    if (jid.empty()) return std::nullopt;
    Contact scope;
    scope.company_id = company_id;
    scope.session_id = session_id;
    return FindLocked(conn, "", scope, std::string(jid));
}

std::string ContactNameOfChat(Connection& conn, std::string_view company_id, std::string_view session_id,
                              std::string_view jid, std::string_view lid) {
    const Rows rows = conn.Query(kContactNameOfChat, {std::string(company_id), std::string(session_id),
                                                      std::string(jid), std::string(lid.empty() ? jid : lid)});
    return rows.empty() ? std::string() : std::string(rows[0].Text(0));
}

Page<Contact> SelectContacts(Connection& conn, const ContactQuery& query, int limit, std::int64_t offset) {
    std::string where = " FROM wa_contacts WHERE company_id = $1 AND session_id = $2";
    Params params{query.company_id, query.session_id};
    if (!query.search.empty()) {
        // query.search is the LIKE pattern, escaped with '\' and lower-cased by the caller.
        where +=
            " AND (lower(name) LIKE $3 ESCAPE '\\' OR lower(push_name) LIKE $3 ESCAPE '\\' OR jid LIKE $3 ESCAPE '\\' "
            "OR lid LIKE $3 ESCAPE '\\' OR phone LIKE $3 ESCAPE '\\')";
        params.emplace_back(query.search);
    }
    Params page_params = params;
    page_params.emplace_back(std::int64_t{limit});
    page_params.emplace_back(offset);
    const std::string page_sql = "SELECT " + kContactCols + where + kContactOrder + " LIMIT $" +
                                 std::to_string(params.size() + 1) + " OFFSET $" + std::to_string(params.size() + 2);
    Page<Contact> out;
    const Rows rows = conn.Query(page_sql, page_params);
    for (std::size_t i = 0; i < rows.size(); ++i) out.items.push_back(ReadContact(rows[i]));
    out.total = conn.Query("SELECT COUNT(*)" + where, params)[0].Int(0);
    return out;
}

}  // namespace wadesk::store::detail
