#pragma once
// A page of a listing as the API answers it: {"items":[view(item)...],"total":n,"page":p,"limit":l}.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "store/repository.h"

namespace wadesk::http {

template <class T, class F>
boost::json::object PageJson(const store::Page<T>& page, int page_no, int limit, F view) {
    boost::json::array items;
    for (const auto& item : page.items) items.push_back(view(item));
    boost::json::object o;
    o["items"] = std::move(items);
    o["total"] = page.total;
    o["page"] = page_no;
    o["limit"] = limit;
    return o;
}

}  // namespace wadesk::http
