#pragma once
// Access grants: one row per session x user.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

class AccessRepository {
public:
    virtual ~AccessRepository() = default;

    virtual Access UpsertAccess(const Access& access) = 0;
    virtual bool DeleteAccess(std::string_view company_id, std::string_view session_id, std::string_view user_id) = 0;
    virtual std::optional<Access> FindAccess(std::string_view company_id, std::string_view session_id,
                                             std::string_view user_id) = 0;
    virtual std::vector<Access> ListAccessBySession(std::string_view company_id, std::string_view session_id) = 0;
    virtual std::vector<Access> ListAccessByUser(std::string_view company_id, std::string_view user_id) = 0;
    virtual std::vector<Access> ListAllAccess() = 0;  // every grant: loads the in-memory permission view
};

}  // namespace wadesk::store
