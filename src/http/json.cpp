#include "http/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

namespace wadesk::http {
namespace json = boost::json;

Response Ok(json::value data, int status) {
    json::object envelope;
    envelope["success"] = true;
    envelope["data"] = std::move(data);
    Response r;
    r.status = status;
    r.body = json::serialize(envelope);
    return r;
}

Response OkSerialized(std::string_view data_json, int status) {
    static constexpr std::string_view kHead = "{\"success\":true,\"data\":";
    Response r;
    r.status = status;
    r.body.reserve(kHead.size() + data_json.size() + 1);
    r.body.append(kHead);
    r.body.append(data_json);
    r.body += '}';
    return r;
}

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
    json::object error;
    error["code"] = code;
    error["message"] = message;
    json::object envelope;
    envelope["success"] = false;
    envelope["error"] = std::move(error);
    Response r;
    r.status = status;
    r.body = json::serialize(envelope);
    return r;
}

Response ErrorResponse(HttpErrorCode code, std::string_view message) {
    return ErrorResponse(StatusOf(code), ApiName(code), message);
}

json::object ParseJsonObject(const Request& req) {
    if (req.body.empty()) throw HttpError(HttpErrorCode::kInvalidJson, "request body must be a JSON object");
    if (!IsValidUtf8(req.body)) throw HttpError(HttpErrorCode::kInvalidJson, "request body is not valid UTF-8");
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 32;
    json::value v = json::parse(req.body, ec, {}, options);
    if (ec) throw HttpError(HttpErrorCode::kInvalidJson, "malformed JSON: " + ec.message());
    if (!v.is_object()) throw HttpError(HttpErrorCode::kInvalidJson, "request body must be a JSON object");
    return std::move(v.as_object());
}

namespace {

[[noreturn]] void Invalid(std::string_view field, std::string_view expected) {
    throw HttpError(HttpErrorCode::kInvalidField,
                    "field '" + std::string(field) + "' must be " + std::string(expected));
}

}  // namespace

std::string RequiredString(const json::object& o, std::string_view field) {
    auto it = o.find(field);
    if (it == o.end() || it->value().is_null())
        throw HttpError(HttpErrorCode::kMissingField, "field '" + std::string(field) + "' is required");
    if (!it->value().is_string()) Invalid(field, "a string");
    return std::string(it->value().as_string());
}

std::optional<std::string> OptionalString(const json::object& o, std::string_view field) {
    auto it = o.find(field);
    if (it == o.end()) return std::nullopt;
    if (!it->value().is_string()) Invalid(field, "a string");
    return std::string(it->value().as_string());
}

std::optional<std::string> OptionalStringOrNull(const json::object& o, std::string_view field) {
    auto it = o.find(field);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_null()) return std::string();
    if (!it->value().is_string()) Invalid(field, "a string or null");
    return std::string(it->value().as_string());
}

std::optional<bool> OptionalBool(const json::object& o, std::string_view field) {
    auto it = o.find(field);
    if (it == o.end()) return std::nullopt;
    if (!it->value().is_bool()) Invalid(field, "a boolean");
    return it->value().as_bool();
}

namespace {

std::optional<std::int64_t> ParseDecimal(const std::string& s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

int QueryInt(const Request& req, const std::string& name, int default_value, int min, int max) {
    auto raw = req.Query(name);
    if (!raw) return default_value;
    auto v = ParseDecimal(*raw);
    if (!v || *v < min || *v > max)
        throw HttpError(HttpErrorCode::kInvalidQuery, "query parameter '" + name + "' must be an integer from " +
                                                          std::to_string(min) + " to " + std::to_string(max));
    return static_cast<int>(*v);
}

std::optional<std::int64_t> QueryInt64(const Request& req, const std::string& name, std::int64_t min) {
    auto raw = req.Query(name);
    if (!raw) return std::nullopt;
    auto v = ParseDecimal(*raw);
    if (!v || *v < min)
        throw HttpError(HttpErrorCode::kInvalidQuery,
                        "query parameter '" + name + "' must be an integer >= " + std::to_string(min));
    return v;
}

std::optional<bool> QueryBool(const Request& req, const std::string& name) {
    auto raw = req.Query(name);
    if (!raw) return std::nullopt;
    if (*raw == "true" || *raw == "1") return true;
    if (*raw == "false" || *raw == "0") return false;
    throw HttpError(HttpErrorCode::kInvalidQuery, "query parameter '" + name + "' must be true or false");
}

void RejectUnknown(const json::object& o, std::initializer_list<std::string_view> known) {
    for (const auto& kv : o) {
        bool ok = false;
        for (auto k : known) ok = ok || kv.key() == k;
        if (!ok) throw HttpError(HttpErrorCode::kUnknownField, "unknown field '" + std::string(kv.key()) + "'");
    }
}

}  // namespace wadesk::http
