#pragma once
// One typed exception hierarchy shared by the SQLite and PostgreSQL backends.
#include <stdexcept>
#include <string>

namespace wadesk::store {

class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A unique constraint refused the write (duplicate email, duplicate message id, ...).
class UniqueViolation : public StoreError {
public:
    using StoreError::StoreError;
};

// The transaction lost a race with another one (PostgreSQL: deadlock 40P01, serialization failure
// 40001) and was rolled back; the same work may succeed when run again.
class TransientConflict : public StoreError {
public:
    using StoreError::StoreError;
};

// A foreign key or check constraint refused the write.
class ConstraintViolation : public StoreError {
public:
    using StoreError::StoreError;
};

// The database could not be reached or the connection broke.
class ConnectionError : public StoreError {
public:
    using StoreError::StoreError;
};

}  // namespace wadesk::store
