#pragma once
// Statistics of a company's messages.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

struct DailyCount {
    std::string day;   // "YYYY-MM-DD", UTC
    std::int64_t incoming = 0;
    std::int64_t outgoing = 0;
};

struct SessionStats {
    std::string session_id;
    std::int64_t chats = 0;
    std::int64_t incoming = 0;
    std::int64_t outgoing = 0;
};

struct CompanyStats {
    std::int64_t total_sessions = 0;
    std::int64_t active_sessions = 0;        // status connected
    std::int64_t total_chats = 0;
    std::vector<DailyCount> per_day;         // days with at least one message, oldest first
    std::vector<SessionStats> per_session;
};

class StatsRepository {
public:
    virtual ~StatsRepository() = default;

    virtual CompanyStats Stats(std::string_view company_id, std::int64_t since_ms) = 0;
};

}  // namespace wadesk::store
