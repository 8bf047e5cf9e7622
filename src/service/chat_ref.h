#pragma once
// How a chat is named in a URL path: our chat id, a JID ("79001234567@s.whatsapp.net", the
// legacy "79001234567@c.us" which is normalised to s.whatsapp.net, "...@g.us", "...@lid") or a
// bare international number ("79001234567" or "+79001234567"), which means that user's JID.
#include <optional>
#include <string>
#include <string_view>

namespace wadesk::service {

struct ChatRef {
    enum class Kind { kId, kJid };
    Kind kind = Kind::kId;
    std::string value;  // the id, or the canonical JID
};

// nullopt when `raw` is none of the accepted forms (the caller answers 404).
std::optional<ChatRef> ParseChatRef(std::string_view raw);

// Digits of an international phone number ("+7 900..." not accepted: digits and one leading
// '+' only, 7 to 15 digits). nullopt when malformed.
std::optional<std::string> NormalizePhone(std::string_view raw);

}  // namespace wadesk::service
