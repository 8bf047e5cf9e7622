// libFuzzer target: a JSON request body as every handler reads it (ParseJsonObject, then the typed
// field accessors on each member).
// Invariants: a refused body is answered 400 invalid_json; an accepted body is UTF-8 and
// serializes to text that parses to the same object (numbers within Boost.JSON's rounding; none that overflowed to infinity: json_equal.h);
// the accessors fail only with 400 invalid_field or missing_field.
#include <cstdint>
#include <string>

#include <boost/json/serialize.hpp>

#include "fuzz_check.h"
#include "json_equal.h"
#include "http/json.h"

using namespace wadesk;
using namespace wadesk::http;

namespace {

template <class F>
void Accessor(F&& f) {
    try {
        f();
    } catch (const HttpError& e) {
        FUZZ_CHECK(e.status() == 400 && (e.code() == "invalid_field" || e.code() == "missing_field"),
                   "a field accessor fails with another error");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Request req;
    req.body.assign(reinterpret_cast<const char*>(data), size);
    boost::json::object object;
    try {
        object = ParseJsonObject(req);
    } catch (const HttpError& e) {
        FUZZ_CHECK(e.status() == 400 && e.code() == "invalid_json", "a refused body is not 400 invalid_json");
        return 0;
    }
    FUZZ_CHECK(IsValidUtf8(req.body), "a body that is not UTF-8 was accepted");
    if (HasNonFiniteNumber(object)) return 0;
    Request again;
    again.body = boost::json::serialize(object);
    FUZZ_CHECK(JsonEqualUpToRounding(ParseJsonObject(again), object), "an accepted body does not round-trip");
    for (const auto& member : object) {
        const std::string_view key = member.key();
        Accessor([&] { (void)RequiredString(object, key); });
        Accessor([&] { (void)OptionalString(object, key); });
        Accessor([&] { (void)OptionalStringOrNull(object, key); });
        Accessor([&] { (void)OptionalBool(object, key); });
    }
    return 0;
}
