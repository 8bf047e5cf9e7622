#pragma once
// Engine credentials: opaque, already-encrypted blobs keyed by (session, key).
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

class CredentialRepository {
public:
    virtual ~CredentialRepository() = default;

    virtual std::optional<std::string> GetCredential(std::string_view session_id, std::string_view key) = 0;
    virtual void PutCredential(std::string_view session_id, std::string_view key, std::string_view value) = 0;
    virtual void DeleteCredential(std::string_view session_id, std::string_view key) = 0;
    virtual void DeleteCredentials(std::string_view session_id) = 0;
    // Deletes the session's credentials whose key starts with `key_prefix` and that were last
    // written before `before_ms`; returns how many.
    virtual std::int64_t PruneCredentials(std::string_view session_id, std::string_view key_prefix,
                                          std::int64_t before_ms) = 0;
    // The keys of the session's credentials that start with `key_prefix`, in key order.
    virtual std::vector<std::string> ListCredentialKeys(std::string_view session_id, std::string_view key_prefix) = 0;
};

}  // namespace wadesk::store
