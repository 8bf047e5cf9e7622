#pragma once
// JSON value equality for round-trip checks. Boost.JSON 1.81 parses decimal numbers without
// correct rounding (precise parsing came with 1.83), so a double serialized and parsed again may
// come back a few units in the last place away: doubles compare equal within a relative 1e-14.
// Everything else compares exactly. Numbers that overflowed have no round trip at all (below).
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>

// True when `v` holds a number that overflowed to infinity: Boost.JSON 1.81 reads such a number
// but writes infinity as 1e99999, which it then refuses, so those values have no round trip. (The
// server never writes back numbers a client sent.)
inline bool HasNonFiniteNumber(const boost::json::value& v) {
    if (v.is_double()) return !std::isfinite(v.get_double());
    if (v.is_array()) {
        for (const auto& e : v.get_array())
            if (HasNonFiniteNumber(e)) return true;
    }
    if (v.is_object()) {
        for (const auto& member : v.get_object())
            if (HasNonFiniteNumber(member.value())) return true;
    }
    return false;
}

inline bool JsonEqualUpToRounding(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() && b.is_double()) {
        const double x = a.get_double(), y = b.get_double();
        return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.is_array() && b.is_array()) {
        const auto &u = a.get_array(), &v = b.get_array();
        if (u.size() != v.size()) return false;
        for (std::size_t i = 0; i < u.size(); ++i)
            if (!JsonEqualUpToRounding(u[i], v[i])) return false;
        return true;
    }
    if (a.is_object() && b.is_object()) {
        const auto &u = a.get_object(), &v = b.get_object();
        if (u.size() != v.size()) return false;
        for (const auto& member : u) {
            const auto* other = v.if_contains(member.key());
            if (!other || !JsonEqualUpToRounding(member.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}
