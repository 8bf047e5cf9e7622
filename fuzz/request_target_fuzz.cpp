// libFuzzer target: what a URL brings in: the request target (ParseTarget: path and query), the
// query parameters as handlers read them, and each path segment as a chat reference (ParseChatRef),
// a phone number (NormalizePhone) and a JID (ParseJid).
// Invariants: a parsed path is absolute; query readers fail only with 400 invalid_query; a chat
// reference naming a JID names one the WhatsApp engine parses, in canonical form, and parsing it
// again gives the same reference; a normalised phone is 7..15 digits and a fixpoint; a parsed JID
// prints as text that parses to the same JID.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/json.h"
#include "service/chat_ref.h"
#include "whatsapp/binary/jid.h"

using namespace wadesk;

namespace {

template <class F>
void Query(F&& f) {
    try {
        f();
    } catch (const http::HttpError& e) {
        FUZZ_CHECK(e.status() == 400 && e.code() == "invalid_query", "a query reader fails with another error");
    }
}

void CheckSegment(std::string_view segment) {
    if (auto ref = service::ParseChatRef(segment); ref && ref->kind == service::ChatRef::Kind::kJid) {
        auto jid = wa::ParseJid(ref->value);
        FUZZ_CHECK(jid, "a chat reference names a JID the engine does not parse");
        FUZZ_CHECK(jid->ToString() == ref->value, "a chat reference's JID is not canonical");
        auto again = service::ParseChatRef(ref->value);
        FUZZ_CHECK(again && again->kind == ref->kind && again->value == ref->value,
                   "a chat reference's JID names another chat");
    }
    if (auto phone = service::NormalizePhone(segment)) {
        FUZZ_CHECK(phone->size() >= 7 && phone->size() <= 15 &&
                       phone->find_first_not_of("0123456789") == std::string::npos,
                   "a normalised phone is not 7..15 digits");
        FUZZ_CHECK(service::NormalizePhone(*phone) == phone, "a normalised phone is not a fixpoint");
    }
    if (auto jid = wa::ParseJid(segment)) {
        auto again = wa::ParseJid(jid->ToString());
        FUZZ_CHECK(again && *again == *jid, "a JID does not round-trip through its text");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string target(reinterpret_cast<const char*>(data), size);
    http::Request req;
    if (!http::ParseTarget(target, req.path, req.query)) return 0;
    FUZZ_CHECK(!req.path.empty() && req.path.front() == '/', "a parsed path is not absolute");
    for (const auto& parameter : req.query) {
        const std::string& name = parameter.first;
        Query([&] { (void)http::QueryInt(req, name, 1, 1, 100); });
        Query([&] { (void)http::QueryInt64(req, name, 0); });
        Query([&] { (void)http::QueryBool(req, name); });
        CheckSegment(parameter.second);
    }
    for (std::size_t start = 1; start <= req.path.size();) {
        const std::size_t end = std::min(req.path.find('/', start), req.path.size());
        CheckSegment(std::string_view(req.path).substr(start, end - start));
        start = end + 1;
    }
    return 0;
}
