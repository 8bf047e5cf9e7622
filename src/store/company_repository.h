#pragma once
// Companies: the tenants.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

class CompanyRepository {
public:
    virtual ~CompanyRepository() = default;

    virtual Company CreateCompany(const Company& company) = 0;  // id/created_at filled if empty
    virtual std::optional<Company> FindCompany(std::string_view id) = 0;
    // Number of companies: `serve` prints first-login instructions when there is none.
    virtual std::int64_t CountCompanies() = 0;
};

}  // namespace wadesk::store
