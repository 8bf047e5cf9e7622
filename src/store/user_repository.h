#pragma once
// Users (admins and managers) and the tokens signed out one by one.
// Part of store::Repository (repository.h), under its contract: blocking (call from the database
// pool), thread-safe, company-scoped (another company's row is "not found"), failures thrown as
// store/errors.h.
#include "store/common.h"

namespace wadesk::store {

struct UserPatch {
    std::optional<std::string> name;
    std::optional<std::string> email;
    std::optional<std::string> password_hash;
    std::optional<bool> disabled;
    std::optional<std::int64_t> tokens_valid_after;  // a mark never moves back: the later one is kept
};

class UserRepository {
public:
    virtual ~UserRepository() = default;

    virtual User CreateUser(const User& user) = 0;  // throws UniqueViolation on a taken email
    virtual std::optional<User> FindUserById(std::string_view id) = 0;  // for authentication only
    // By the stored bytes: REQUIRES `email` in auth::NormaliseEmail's spelling, as stored.
    virtual std::optional<User> FindUserByEmail(std::string_view email) = 0;
    virtual std::optional<User> FindUserByExternalId(std::string_view company_id, std::string_view external_id) = 0;
    virtual std::optional<User> FindUser(std::string_view company_id, std::string_view id) = 0;
    virtual std::vector<User> ListUsers(std::string_view company_id, std::optional<Role> role) = 0;
    virtual std::optional<User> UpdateUser(std::string_view company_id, std::string_view id, const UserPatch& patch) = 0;
    virtual bool DeleteUser(std::string_view company_id, std::string_view id) = 0;  // also drops its grants
    // Every user of every company: loads the authenticator's in-memory user table at start.
    virtual std::vector<User> ListAllUsers() = 0;

    // Tokens signed out one by one (sql_revoked_tokens.cpp).
    // Records the token (again: nothing changes) and prunes the rows whose expiry has passed.
    virtual void RevokeToken(const RevokedToken& token) = 0;
    // The tokens signed out that have not expired at `now_ms`: what the authenticator loads.
    virtual std::vector<RevokedToken> ListRevokedTokens(std::int64_t now_ms) = 0;
};

}  // namespace wadesk::store
