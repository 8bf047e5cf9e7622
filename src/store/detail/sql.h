#pragma once
// The seam between the one SQL repository and its two drivers (SQLite, PostgreSQL).
//
// SQL text uses PostgreSQL placeholders $1..$n; the SQLite driver binds them as ?1..?n, so one
// statement text serves both. Values travel as Param; rows come back as text columns with a
// normalized spelling: booleans "1"/"0", integers in decimal, blobs as raw bytes, NULL as nullopt.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wadesk::store::detail {

// Raw bytes (BLOB / BYTEA); a plain std::string is text.
struct Blob {
    std::string bytes;
};

using Param = std::variant<std::nullptr_t, std::int64_t, bool, std::string, Blob>;
using Params = std::vector<Param>;

class Row {
public:
    explicit Row(const std::vector<std::optional<std::string>>& columns) : columns_(&columns) {}
    bool IsNull(std::size_t i) const { return !(*columns_)[i].has_value(); }
    const std::string& Text(std::size_t i) const;  // "" for NULL
    std::int64_t Int(std::size_t i) const;         // 0 for NULL; throws StoreError on non-numbers
    bool Bool(std::size_t i) const;

private:
    const std::vector<std::optional<std::string>>* columns_;
};

struct Rows {
    std::vector<std::vector<std::optional<std::string>>> data;

    bool empty() const { return data.empty(); }
    std::size_t size() const { return data.size(); }
    Row operator[](std::size_t i) const { return Row(data[i]); }
};

// One database connection. Not thread-safe: a Database hands it to one caller at a time.
// Every method throws the StoreError hierarchy of store/errors.h.
class Connection {
public:
    virtual ~Connection() = default;
    // Runs one statement (prepared once per connection and cached) and returns its rows.
    virtual Rows Query(const std::string& sql, const Params& params) = 0;
    // Runs one statement and returns the number of rows it changed.
    virtual std::int64_t Exec(const std::string& sql, const Params& params) = 0;
    // Runs several statements without parameters (migrations, transaction control).
    virtual void ExecScript(const std::string& sql) = 0;
};

// What the SQL text of the two backends differs in.
struct Dialect {
    std::string begin_write;       // starts a write transaction
    std::string for_update;        // row-lock suffix for SELECT inside a write ("" when writes are serialized)
    std::string serialize_events;  // statement that orders concurrent event appends ("" when writes are serialized)
};

class Database {
public:
    virtual ~Database() = default;
    virtual const Dialect& dialect() const = 0;
    // Runs fn on a read connection (autocommit).
    virtual void Read(const std::function<void(Connection&)>& fn) = 0;
    // Runs fn in one write transaction: committed when fn returns, rolled back when it throws
    // (the exception then propagates). REQUIRES: fn does not call Read/Write itself.
    virtual void Write(const std::function<void(Connection&)>& fn) = 0;
    // Applies the pending embedded migrations; safe when several processes start at once.
    virtual void Migrate() = 0;
    // Highest applied migration version, 0 for none.
    virtual int SchemaVersion() = 0;
};

}  // namespace wadesk::store::detail
