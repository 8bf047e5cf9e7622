#pragma once
// The API's JSON shape of each domain row (SPEC §4 field names, camelCase). Times are ISO 8601
// UTC strings with milliseconds (FormatIsoMs), or null when unset. Used for REST responses and
// for event payloads, so both always agree.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "store/model.h"

namespace wadesk::service {

boost::json::value IsoOrNull(std::int64_t unix_ms);
boost::json::object UserView(const store::User& user);          // never includes password_hash
boost::json::object CompanyView(const store::Company& company);
boost::json::object SessionView(const store::WaSession& session);
boost::json::object AccessGrantView(const store::Access& access);
boost::json::object ChatView(const store::Chat& chat);
boost::json::object MessageView(const store::Message& message);
boost::json::object AuditView(const store::AuditEntry& entry);
// {id, name, sessionId, data, createdAt}; data is the parsed payload (null if unparsable).
boost::json::object EventView(const store::Event& event);

// The serialized text of ChatView / MessageView appended to `out`, byte for byte what
// boost::json::serialize gives for the view (same key order, escaping and time format), built
// without a DOM: the list endpoints write pages of these on the hot path.
void AppendChatJson(std::string& out, const store::Chat& chat);
void AppendMessageJson(std::string& out, const store::Message& message);
// A JSON string literal (quotes included) for `s`, escaped as boost::json::serialize does.
void AppendJsonString(std::string& out, std::string_view s);
// A group member: {jid, phone, lid, name, admin} (phone, lid, name null when unknown).
boost::json::object GroupParticipantView(const store::GroupParticipant& participant);

}  // namespace wadesk::service
