#include "store/detail/sql.h"

#include <charconv>

#include "store/errors.h"

namespace wadesk::store::detail {

namespace {
const std::string kEmpty;
}  // namespace

const std::string& Row::Text(std::size_t i) const {
    const auto& column = (*columns_)[i];
    return column ? *column : kEmpty;
}

std::int64_t Row::Int(std::size_t i) const {
    const auto& column = (*columns_)[i];
    if (!column || column->empty()) return 0;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(column->data(), column->data() + column->size(), value);
    if (ec != std::errc() || end != column->data() + column->size()) {
        throw StoreError("store: column " + std::to_string(i) + " is not an integer");
    }
    return value;
}

bool Row::Bool(std::size_t i) const {
    const std::string& v = Text(i);
    return v == "1" || v == "t" || v == "true";
}

}  // namespace wadesk::store::detail
