#include "store/detail/sql.h"

#include <charconv>

#include "store/errors.h"

namespace wadesk::store::detail {

bool Row::IsNull(std::size_t i) const { return rows_->At(index_, i).null; }

std::string_view Row::Text(std::size_t i) const {
    const Rows::Cell& cell = rows_->At(index_, i);
    if (cell.external) return std::string_view(cell.external, cell.size);
    return std::string_view(rows_->bytes_).substr(cell.offset, cell.size);
}

std::int64_t Row::Int(std::size_t i) const {
    const std::string_view column = Text(i);
    if (column.empty()) return 0;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(column.data(), column.data() + column.size(), value);
    if (ec != std::errc() || end != column.data() + column.size()) {
        throw StoreError("store: column " + std::to_string(i) + " is not an integer");
    }
    return value;
}

bool Row::Bool(std::size_t i) const {
    const std::string_view v = Text(i);
    return v == "1" || v == "t" || v == "true";
}

}  // namespace wadesk::store::detail
