#pragma once
// The seam between the one SQL repository and its two drivers (SQLite, PostgreSQL).
//
// SQL text uses PostgreSQL placeholders $1..$n; the SQLite driver binds them as ?1..?n, so one
// statement text serves both. Values travel as Param; rows come back as text columns with a
// normalized spelling: booleans "1"/"0", integers in decimal, blobs as raw bytes, NULL as nullopt.
#include <cstdint>
#include <functional>
#include <memory>
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

class Rows;

// One row of a Rows; valid while its Rows lives. Text views point into the Rows.
class Row {
public:
    Row(const Rows& rows, std::size_t index) : rows_(&rows), index_(index) {}
    bool IsNull(std::size_t i) const;
    std::string_view Text(std::size_t i) const;  // "" for NULL
    std::int64_t Int(std::size_t i) const;       // 0 for NULL; throws StoreError on non-numbers
    bool Bool(std::size_t i) const;

private:
    const Rows* rows_;
    std::size_t index_;
};

// A result set. Drivers append cells in row-major order, `columns` per row. A cell's bytes are
// either copied into the Rows' own buffer (AddCell) or left where the driver's result holds
// them (AddExternalCell, with the result kept alive by KeepAlive), so a 50-row page costs a
// couple of allocations, not one per cell.
class Rows {
public:
    explicit Rows(std::size_t columns = 0) : columns_(columns) {}

    void Reserve(std::size_t rows, std::size_t copied_bytes) {
        cells_.reserve(rows * columns_);
        bytes_.reserve(copied_bytes);
    }
    void AddCell(std::string_view bytes) {
        cells_.push_back(Cell{nullptr, bytes_.size(), bytes.size(), false});
        bytes_.append(bytes);
    }
    // REQUIRES: bytes stay valid while the Rows lives (static, or owned by KeepAlive's owner).
    void AddExternalCell(std::string_view bytes) { cells_.push_back(Cell{bytes.data(), 0, bytes.size(), false}); }
    void AddNull() { cells_.push_back(Cell{nullptr, 0, 0, true}); }
    void KeepAlive(std::shared_ptr<const void> owner) { owner_ = std::move(owner); }

    std::size_t columns() const { return columns_; }
    bool empty() const { return cells_.empty(); }
    std::size_t size() const { return columns_ ? cells_.size() / columns_ : 0; }
    Row operator[](std::size_t i) const { return Row(*this, i); }

private:
    friend class Row;
    struct Cell {
        const char* external;  // null: the bytes are bytes_[offset, offset + size)
        std::size_t offset;
        std::size_t size;
        bool null;
    };
    const Cell& At(std::size_t row, std::size_t column) const { return cells_[row * columns_ + column]; }

    std::size_t columns_;
    std::string bytes_;
    std::vector<Cell> cells_;
    std::shared_ptr<const void> owner_;
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
