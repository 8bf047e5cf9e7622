// The SQL repository's events, audit, statistics, credentials and health.
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

// ---------------------------------------------------------------- events and audit

Event SqlRepository::AppendEvent(const Event& event) {
    return Transact([&](Transaction& tx) { tx.AppendEvent(event); }).at(0);
}

std::vector<Event> SqlRepository::ListEvents(std::string_view company_id, std::int64_t after_id, int limit) {
    std::vector<Event> out;
    db_->Read([&](Connection& conn) {
        out = All<Event>(conn.Query(kListEvents, {S(company_id), after_id, std::int64_t{ClampLimit(limit)}}), ReadEvent);
    });
    return out;
}

AuditEntry SqlRepository::AppendAudit(const AuditEntry& entry) {
    AuditEntry a = entry;
    if (a.details_json.empty()) a.details_json = "{}";
    if (a.created_at == 0) a.created_at = NowMs();
    db_->Write([&](Connection& conn) {
        a.id = conn.Query(kInsertAudit, {a.company_id, a.user_id, a.action, a.target_type, a.target_id,
                                         a.details_json, a.ip, a.created_at})[0]
                   .Int(0);
    });
    return a;
}

Page<AuditEntry> SqlRepository::ListAudit(std::string_view company_id, int page, int limit) {
    limit = ClampLimit(limit);
    Page<AuditEntry> out;
    db_->Read([&](Connection& conn) {
        out.total = conn.Query(kCountAudit, {S(company_id)})[0].Int(0);
        out.items = All<AuditEntry>(
            conn.Query(kListAudit, {S(company_id), std::int64_t{limit}, OffsetOf(page, limit)}), ReadAudit);
    });
    return out;
}

// ---------------------------------------------------------------- statistics

CompanyStats SqlRepository::Stats(std::string_view company_id, std::int64_t since_ms) {
    CompanyStats out;
    db_->Read([&](Connection& conn) {
        Rows sessions = conn.Query(kStatsSessions, {S(company_id)});
        std::map<std::string, std::size_t, std::less<>> index;
        for (std::size_t i = 0; i < sessions.size(); ++i) {
            SessionStats s;
            s.session_id = sessions[i].Text(0);
            if (sessions[i].Text(1) == Name(SessionStatus::kConnected)) ++out.active_sessions;
            index[s.session_id] = out.per_session.size();
            out.per_session.push_back(std::move(s));
        }
        out.total_sessions = static_cast<std::int64_t>(out.per_session.size());
        Rows chats = conn.Query(kStatsChats, {S(company_id)});
        for (std::size_t i = 0; i < chats.size(); ++i) {
            auto it = index.find(chats[i].Text(0));
            if (it == index.end()) continue;  // history kept from a deleted session
            out.per_session[it->second].chats = chats[i].Int(1);
            out.total_chats += chats[i].Int(1);
        }
        std::map<std::int64_t, DailyCount> days;
        auto add = [&](std::int64_t day, std::string_view session_id, std::int64_t incoming, std::int64_t outgoing) {
            days[day].incoming += incoming;
            days[day].outgoing += outgoing;
            auto it = index.find(session_id);
            if (it == index.end()) return;
            out.per_session[it->second].incoming += incoming;
            out.per_session[it->second].outgoing += outgoing;
        };
        std::int64_t first_full_day = std::numeric_limits<std::int64_t>::min();
        if (since_ms > 0) {
            first_full_day = since_ms / kMsPerDay;
            if (since_ms % kMsPerDay != 0) {
                ++first_full_day;
                Rows partial = conn.Query(kStatsMessagesBetween, {S(company_id), since_ms, first_full_day * kMsPerDay});
                for (std::size_t i = 0; i < partial.size(); ++i) {
                    const bool outgoing = partial[i].Bool(1);
                    const std::int64_t count = partial[i].Int(2);
                    add(since_ms / kMsPerDay, partial[i].Text(0), outgoing ? 0 : count, outgoing ? count : 0);
                }
            }
        }
        Rows counts = conn.Query(kStatsDailyCounts, {S(company_id), first_full_day});
        for (std::size_t i = 0; i < counts.size(); ++i) {
            add(counts[i].Int(0), counts[i].Text(1), counts[i].Int(2), counts[i].Int(3));
        }
        for (auto it = days.begin(); it != days.end();) {
            it = (it->second.incoming == 0 && it->second.outgoing == 0) ? days.erase(it) : std::next(it);
        }
        for (auto& [day, counts] : days) {
            counts.day = DayString(day);
            out.per_day.push_back(counts);
        }
    });
    return out;
}

// ---------------------------------------------------------------- credentials, health

std::optional<std::string> SqlRepository::GetCredential(std::string_view session_id, std::string_view key) {
    std::optional<std::string> out;
    db_->Read([&](Connection& conn) {
        Rows rows = conn.Query(kSelectCredential, {S(session_id), S(key)});
        if (!rows.empty()) out = rows[0].Text(0);
    });
    return out;
}

void SqlRepository::PutCredential(std::string_view session_id, std::string_view key, std::string_view value) {
    Transact([&](Transaction& tx) { tx.PutCredential(session_id, key, value); });
}

void SqlRepository::DeleteCredential(std::string_view session_id, std::string_view key) {
    Transact([&](Transaction& tx) { tx.DeleteCredential(session_id, key); });
}

std::int64_t SqlRepository::PruneCredentials(std::string_view session_id, std::string_view key_prefix,
                                             std::int64_t before_ms) {
    std::int64_t n = 0;
    db_->Write([&](Connection& conn) {
        if (key_prefix.empty() || static_cast<unsigned char>(key_prefix.back()) == 0xFF)
            throw ConstraintViolation("store: a credential prefix must be non-empty and end below 0xFF");
        std::string end(key_prefix);
        end.back() = static_cast<char>(end.back() + 1);
        n = conn.Exec(kPruneCredentials, {S(session_id), S(key_prefix), end, before_ms});
    });
    return n;
}

std::vector<std::string> SqlRepository::ListCredentialKeys(std::string_view session_id, std::string_view key_prefix) {
    if (key_prefix.empty() || static_cast<unsigned char>(key_prefix.back()) == 0xFF)
        throw ConstraintViolation("store: a credential prefix must be non-empty and end below 0xFF");
    std::string upper(key_prefix);
    upper.back() = static_cast<char>(upper.back() + 1);
    std::vector<std::string> keys;
    db_->Read([&](Connection& conn) {
        keys.clear();
        const Rows rows = conn.Query(kListCredentialKeys, {S(session_id), S(key_prefix), upper});
        for (std::size_t i = 0; i < rows.size(); ++i) keys.emplace_back(rows[i].Text(0));
    });
    return keys;
}

void SqlRepository::DeleteCredentials(std::string_view session_id) {
    db_->Write([&](Connection& conn) { conn.Exec(kDeleteSessionCredentials, {S(session_id)}); });
}

bool SqlRepository::Ping() {
    try {
        bool ok = false;
        db_->Read([&](Connection& conn) { ok = conn.Query(kPing, {})[0].Int(0) == 1; });
        return ok;
    } catch (const StoreError&) {
        return false;
    }
}

// ---------------------------------------------------------------- API additions

std::vector<User> SqlRepository::ListAllUsers() {
    std::vector<User> out;
    db_->Read([&](Connection& conn) { out = All<User>(conn.Query(kListAllUsers, {}), ReadUser); });
    return out;
}

std::int64_t SqlRepository::CountCompanies() {
    std::int64_t count = 0;
    db_->Read([&](Connection& conn) { count = conn.Query(kCountCompanies, {})[0].Int(0); });
    return count;
}

}  // namespace wadesk::store
