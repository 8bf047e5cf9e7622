#include "service/chat_ref.h"

#include <algorithm>

#include "core/ids.h"

namespace wadesk::service {
namespace {

bool AllDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::string> NormalizePhone(std::string_view raw) {
    if (!raw.empty() && raw.front() == '+') raw.remove_prefix(1);
    if (!AllDigits(raw) || raw.size() < 7 || raw.size() > 15 || raw.front() == '0') return std::nullopt;
    return std::string(raw);
}

std::optional<ChatRef> ParseChatRef(std::string_view raw) {
    if (IsWellFormedId(raw)) return ChatRef{ChatRef::Kind::kId, std::string(raw)};
    auto at = raw.find('@');
    if (at == std::string_view::npos) {
        auto phone = NormalizePhone(raw);
        if (!phone) return std::nullopt;
        return ChatRef{ChatRef::Kind::kJid, *phone + "@s.whatsapp.net"};
    }
    std::string_view user = raw.substr(0, at);
    std::string_view server = raw.substr(at + 1);
    if (user.empty() || user.size() > 64) return std::nullopt;
    if (server == "c.us" || server == "s.whatsapp.net") {
        if (!AllDigits(user) || user.size() < 5 || user.size() > 20) return std::nullopt;
        return ChatRef{ChatRef::Kind::kJid, std::string(user) + "@s.whatsapp.net"};
    }
    if (server == "g.us") {
        // "120363012345678901" or the older "79001234567-1612345678".
        auto dash = user.find('-');
        bool ok = dash == std::string_view::npos
                      ? AllDigits(user)
                      : AllDigits(user.substr(0, dash)) && AllDigits(user.substr(dash + 1));
        if (!ok) return std::nullopt;
        return ChatRef{ChatRef::Kind::kJid, std::string(raw)};
    }
    if (server == "lid") {
        if (!AllDigits(user)) return std::nullopt;
        return ChatRef{ChatRef::Kind::kJid, std::string(raw)};
    }
    return std::nullopt;
}

}  // namespace wadesk::service
