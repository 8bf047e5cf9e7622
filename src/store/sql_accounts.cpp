// The SQL repository's companies, users, WhatsApp sessions and access grants.
#include "store/sql_repository.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <map>

#include "core/clock.h"
#include "core/ids.h"
#include "store/errors.h"
#include "store/sql_contacts.h"
#include "store/sql_statements.h"

namespace wadesk::store {

using namespace detail;  // the statements and row decoders (sql_statements.h), the driver types

// ---------------------------------------------------------------- companies

Company SqlRepository::CreateCompany(const Company& company) {
    Company c = company;
    if (c.id.empty()) c.id = NewId();
    if (c.created_at == 0) c.created_at = NowMs();
    db_->Write([&](Connection& conn) {
        conn.Exec(kInsertCompany, {c.id, c.name, std::int64_t{c.max_sessions}, c.created_at});
    });
    return c;
}

std::optional<Company> SqlRepository::FindCompany(std::string_view id) {
    std::optional<Company> out;
    db_->Read([&](Connection& conn) { out = First<Company>(conn.Query(kSelectCompany, {S(id)}), ReadCompany); });
    return out;
}

// ---------------------------------------------------------------- users

User SqlRepository::CreateUser(const User& user) {
    User u = user;
    if (u.id.empty()) u.id = NewId();
    if (u.created_at == 0) u.created_at = NowMs();
    if (u.updated_at == 0) u.updated_at = u.created_at;
    db_->Write([&](Connection& conn) {
        conn.Exec(kInsertUser, {u.id, u.company_id, u.email, u.name, std::string(RoleName(u.role)), u.password_hash,
                                u.external_id, u.disabled, u.created_at, u.updated_at, u.tokens_valid_after});
    });
    return u;
}

std::optional<User> SqlRepository::FindUserById(std::string_view id) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) { out = First<User>(conn.Query(kSelectUserById, {S(id)}), ReadUser); });
    return out;
}

std::optional<User> SqlRepository::FindUserByEmail(std::string_view email) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) { out = First<User>(conn.Query(kSelectUserByEmail, {S(email)}), ReadUser); });
    return out;
}

std::optional<User> SqlRepository::FindUserByExternalId(std::string_view company_id, std::string_view external_id) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) {
        out = First<User>(conn.Query(kSelectUserByExternalId, {S(company_id), S(external_id)}), ReadUser);
    });
    return out;
}

std::optional<User> SqlRepository::FindUser(std::string_view company_id, std::string_view id) {
    std::optional<User> out;
    db_->Read([&](Connection& conn) { out = First<User>(conn.Query(kSelectUser, {S(company_id), S(id)}), ReadUser); });
    return out;
}

std::vector<User> SqlRepository::ListUsers(std::string_view company_id, std::optional<Role> role) {
    std::vector<User> out;
    db_->Read([&](Connection& conn) {
        out = role ? All<User>(conn.Query(kListUsersByRole, {S(company_id), std::string(RoleName(*role))}), ReadUser)
                   : All<User>(conn.Query(kListUsers, {S(company_id)}), ReadUser);
    });
    return out;
}

std::optional<User> SqlRepository::UpdateUser(std::string_view company_id, std::string_view id,
                                              const UserPatch& patch) {
    std::optional<User> out;
    db_->Write([&](Connection& conn) {
        out = First<User>(conn.Query(kSelectUser + db_->dialect().for_update, {S(company_id), S(id)}), ReadUser);
        if (!out) return;
        User& u = *out;
        if (patch.name) u.name = *patch.name;
        if (patch.email) u.email = *patch.email;
        if (patch.password_hash) u.password_hash = *patch.password_hash;
        if (patch.disabled) u.disabled = *patch.disabled;
        if (patch.tokens_valid_after) u.tokens_valid_after = std::max(u.tokens_valid_after, *patch.tokens_valid_after);
        u.updated_at = NowMs();
        conn.Exec(kUpdateUser,
                  {u.company_id, u.id, u.name, u.email, u.password_hash, u.disabled, u.updated_at, u.tokens_valid_after});
    });
    return out;
}

bool SqlRepository::DeleteUser(std::string_view company_id, std::string_view id) {
    bool deleted = false;
    db_->Write([&](Connection& conn) {
        conn.Exec(kDeleteUserAccess, {S(company_id), S(id)});
        deleted = conn.Exec(kDeleteUser, {S(company_id), S(id)}) > 0;
    });
    return deleted;
}

// ---------------------------------------------------------------- sessions

WaSession SqlRepository::CreateSession(const WaSession& session) {
    WaSession s = session;
    if (s.id.empty()) s.id = NewId();
    if (s.created_at == 0) s.created_at = NowMs();
    if (s.updated_at == 0) s.updated_at = s.created_at;
    db_->Write([&](Connection& conn) {
        conn.Exec(kInsertSession, {s.id, s.company_id, s.name, S(Name(s.status)), s.status_reason, s.phone_number,
                                   s.display_name, s.jid, s.created_at, s.updated_at, s.connected_at,
                                   s.history_sync});
    });
    return s;
}

std::optional<WaSession> SqlRepository::FindSession(std::string_view company_id, std::string_view id) {
    std::optional<WaSession> out;
    db_->Read([&](Connection& conn) {
        out = First<WaSession>(conn.Query(kSelectSession, {S(company_id), S(id)}), ReadSession);
    });
    return out;
}

std::optional<WaSession> SqlRepository::FindSessionById(std::string_view id) {
    std::optional<WaSession> out;
    db_->Read([&](Connection& conn) { out = First<WaSession>(conn.Query(kSelectSessionById, {S(id)}), ReadSession); });
    return out;
}

std::vector<WaSession> SqlRepository::ListSessions(std::string_view company_id) {
    std::vector<WaSession> out;
    db_->Read([&](Connection& conn) { out = All<WaSession>(conn.Query(kListSessions, {S(company_id)}), ReadSession); });
    return out;
}

std::vector<WaSession> SqlRepository::ListSessionsByStatus(const std::vector<SessionStatus>& statuses) {
    std::vector<WaSession> out;
    if (statuses.empty()) return out;
    std::string sql = "SELECT " + kSessionCols + " FROM wa_sessions WHERE status IN (";
    Params params;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        sql += (i ? ", $" : "$") + std::to_string(i + 1);
        params.emplace_back(S(Name(statuses[i])));
    }
    sql += ") ORDER BY created_at, id";
    db_->Read([&](Connection& conn) { out = All<WaSession>(conn.Query(sql, params), ReadSession); });
    return out;
}

std::int64_t SqlRepository::CountSessions(std::string_view company_id) {
    std::int64_t count = 0;
    db_->Read([&](Connection& conn) { count = conn.Query(kCountSessions, {S(company_id)})[0].Int(0); });
    return count;
}

std::optional<WaSession> SqlRepository::UpdateSession(std::string_view id, const SessionPatch& patch) {
    std::optional<WaSession> out;
    db_->Write([&](Connection& conn) {
        out = First<WaSession>(conn.Query(kSelectSessionById + db_->dialect().for_update, {S(id)}), ReadSession);
        if (!out) return;
        WaSession& s = *out;
        if (patch.name) s.name = *patch.name;
        if (patch.status) s.status = *patch.status;
        if (patch.status_reason) s.status_reason = *patch.status_reason;
        if (patch.phone_number) s.phone_number = *patch.phone_number;
        if (patch.display_name) s.display_name = *patch.display_name;
        if (patch.jid) s.jid = *patch.jid;
        if (patch.connected_at) s.connected_at = *patch.connected_at;
        if (patch.history_sync) s.history_sync = *patch.history_sync;
        s.updated_at = NowMs();
        conn.Exec(kUpdateSession, {s.id, s.name, S(Name(s.status)), s.status_reason, s.phone_number, s.display_name, s.jid,
                                   s.connected_at, s.updated_at, s.history_sync});
    });
    return out;
}

bool SqlRepository::DeleteSession(std::string_view company_id, std::string_view id, bool purge) {
    bool deleted = false;
    db_->Write([&](Connection& conn) {
        if (conn.Query(kSessionInCompany, {S(company_id), S(id)}).empty()) return;
        conn.Exec(kDeleteSessionCredentials, {S(id)});
        conn.Exec(kDeleteSessionAccess, {S(company_id), S(id)});
        if (purge) {
            conn.Exec(kPurgeSessionOutbox, {S(id)});
            conn.Exec(kPurgeSessionMessages, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionChats, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionContacts, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionEvents, {S(company_id), S(id)});
            conn.Exec(kPurgeSessionCounts, {S(company_id), S(id)});
        }
        deleted = conn.Exec(kDeleteSession, {S(company_id), S(id)}) > 0;
    });
    return deleted;
}

// ---------------------------------------------------------------- access

Access SqlRepository::UpsertAccess(const Access& access) {
    Access a = access;
    const std::int64_t now = NowMs();
    if (a.created_at == 0) a.created_at = now;
    a.updated_at = now;
    Access out;
    db_->Write([&](Connection& conn) {
        // Both ends must belong to the grant's company: a grant never crosses companies.
        if (conn.Query(kSessionInCompany, {a.company_id, a.session_id}).empty()) {
            throw ConstraintViolation("store: access grant names a session outside its company");
        }
        if (conn.Query(kUserInCompany, {a.company_id, a.user_id}).empty()) {
            throw ConstraintViolation("store: access grant names a user outside its company");
        }
        out = ReadAccess(conn.Query(kUpsertAccess, {a.company_id, a.session_id, a.user_id, a.can_read, a.can_write,
                                                    a.can_manage_chats, a.created_at, a.updated_at})[0]);
    });
    return out;
}

bool SqlRepository::DeleteAccess(std::string_view company_id, std::string_view session_id,
                                 std::string_view user_id) {
    bool deleted = false;
    db_->Write([&](Connection& conn) {
        deleted = conn.Exec(kDeleteAccess, {S(company_id), S(session_id), S(user_id)}) > 0;
    });
    return deleted;
}

std::optional<Access> SqlRepository::FindAccess(std::string_view company_id, std::string_view session_id,
                                                std::string_view user_id) {
    std::optional<Access> out;
    db_->Read([&](Connection& conn) {
        out = First<Access>(conn.Query(kSelectAccess, {S(company_id), S(session_id), S(user_id)}), ReadAccess);
    });
    return out;
}

std::vector<Access> SqlRepository::ListAccessBySession(std::string_view company_id, std::string_view session_id) {
    std::vector<Access> out;
    db_->Read([&](Connection& conn) {
        out = All<Access>(conn.Query(kListAccessBySession, {S(company_id), S(session_id)}), ReadAccess);
    });
    return out;
}

std::vector<Access> SqlRepository::ListAccessByUser(std::string_view company_id, std::string_view user_id) {
    std::vector<Access> out;
    db_->Read([&](Connection& conn) {
        out = All<Access>(conn.Query(kListAccessByUser, {S(company_id), S(user_id)}), ReadAccess);
    });
    return out;
}

std::vector<Access> SqlRepository::ListAllAccess() {
    std::vector<Access> out;
    db_->Read([&](Connection& conn) { out = All<Access>(conn.Query(kListAllAccess, {}), ReadAccess); });
    return out;
}

}  // namespace wadesk::store
