#pragma once
// The API's JSON shape of each domain row (SPEC §4 field names, camelCase). Times are ISO 8601
// UTC strings with milliseconds (FormatIsoMs), or null when unset. Used for REST responses and
// for event payloads, so both always agree.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "domain/model.h"

namespace wadesk::service {

// What a chat is called: its own name (group subject, a name set through the API or the phone's),
// else its contact's name.
inline const std::string& ChatName(const domain::Chat& chat) {
    return chat.name.empty() ? chat.contact_name : chat.name;
}

boost::json::value IsoOrNull(std::int64_t unix_ms);
boost::json::object UserView(const domain::User& user);          // never includes password_hash
boost::json::object CompanyView(const domain::Company& company);
boost::json::object SessionView(const domain::WaSession& session);
boost::json::object AccessGrantView(const domain::Access& access);
// `name` is the chat's own name, else its contact's (domain::Chat::contact_name).
boost::json::object ChatView(const domain::Chat& chat);
// {jid, phone, lid, name, pushName}; phone, lid, name and pushName are null when unknown.
boost::json::object ContactView(const domain::Contact& contact);
boost::json::object MessageView(const domain::Message& message);
boost::json::object AuditView(const domain::AuditEntry& entry);
// {id, name, sessionId, data, createdAt}; data is the parsed payload (null if unparsable).
boost::json::object EventView(const domain::Event& event);

// The serialized text of ChatView / MessageView appended to `out`, byte for byte what
// boost::json::serialize gives for the view (same key order, escaping and time format), built
// without a DOM: the list endpoints write pages of these on the hot path.
void AppendChatJson(std::string& out, const domain::Chat& chat);
void AppendMessageJson(std::string& out, const domain::Message& message);
// A JSON string literal (quotes included) for `s`, escaped as boost::json::serialize does.
void AppendJsonString(std::string& out, std::string_view s);
// A group member: {jid, phone, lid, name, admin} (phone, lid, name null when unknown).
boost::json::object GroupParticipantView(const domain::GroupParticipant& participant);
// {jid, phone, name, status, at}: one recipient of an outgoing message (phone, name null when
// unknown; at ISO 8601).
boost::json::object ReceiptView(const domain::MessageReceipt& receipt);

}  // namespace wadesk::service
