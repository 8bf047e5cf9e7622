#pragma once
// Events (durable, for replay) and the audit log.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

class EventRepository {
public:
    virtual ~EventRepository() = default;

    virtual Event AppendEvent(const Event& event) = 0;  // assigns id and created_at
    // Events of the company with id > after_id, oldest first, at most `limit`.
    virtual std::vector<Event> ListEvents(std::string_view company_id, std::int64_t after_id, int limit) = 0;

    // The audit log.
    virtual AuditEntry AppendAudit(const AuditEntry& entry) = 0;
    virtual Page<AuditEntry> ListAudit(std::string_view company_id, int page, int limit) = 0;  // newest first
};

}  // namespace wadesk::store
