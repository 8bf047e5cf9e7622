#pragma once
// JSON in and out of handlers: the SPEC §1 envelope, strict body parsing (valid UTF-8, an
// object at the top, typed fields) and query-parameter parsing. Every failure throws
// HttpError 400 with a message naming the offending field; nothing is half-applied because
// handlers parse everything before they write.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/utf8.h"  // IsValidUtf8, for what the handlers read
#include "http/message.h"

namespace wadesk::http {

// {"success":true,"data":data}
Response Ok(boost::json::value data, int status = 200);
// Ok for data already serialized as JSON text (a hot-path page written without a DOM).
Response OkSerialized(std::string_view data_json, int status = 200);
// {"success":false,"error":{"code":code,"message":message}}
Response ErrorResponse(int status, std::string_view code, std::string_view message);
// ErrorResponse with the code's own status and spelling.
Response ErrorResponse(HttpErrorCode code, std::string_view message);

// Parses the request body as one JSON object. Throws HttpError 400 "invalid_json" on an empty
// body, malformed JSON, invalid UTF-8 or a top-level value that is not an object.
boost::json::object ParseJsonObject(const Request& req);

// Typed field access. "Missing" means absent; null counts as absent only where noted.
// Throw HttpError 400 "invalid_field" / "missing_field" with the field's name.
std::string RequiredString(const boost::json::object& o, std::string_view field);
std::optional<std::string> OptionalString(const boost::json::object& o, std::string_view field);
// Like OptionalString, but JSON null yields "" (the "clear this value" spelling).
std::optional<std::string> OptionalStringOrNull(const boost::json::object& o, std::string_view field);
std::optional<bool> OptionalBool(const boost::json::object& o, std::string_view field);
// Throws HttpError 400 "unknown_field" for a field not in `known`.
void RejectUnknown(const boost::json::object& o, std::initializer_list<std::string_view> known);

// Query parameters. An absent parameter yields the default; a present one must be a plain
// decimal integer within [min, max], else HttpError 400 "invalid_query".
int QueryInt(const Request& req, const std::string& name, int default_value, int min, int max);
std::optional<bool> QueryBool(const Request& req, const std::string& name);  // "true"/"false"/"1"/"0"
std::optional<std::int64_t> QueryInt64(const Request& req, const std::string& name, std::int64_t min);

}  // namespace wadesk::http
