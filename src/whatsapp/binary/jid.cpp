#include "whatsapp/binary/jid.h"

#include <charconv>

namespace wadesk::wa {
namespace {

Error BadJid(std::string_view text, std::string_view why) {
    std::string shown(text.substr(0, 64));
    return MakeError("bad_jid", "bad JID '" + shown + "': " + std::string(why));
}

// Canonical unsigned decimal (no sign, no leading zeros unless "0") not above `max`.
template <class T>
bool ParseNumber(std::string_view s, T max, T& out) {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v > max) return false;
    out = static_cast<T>(v);
    return true;
}

bool IsKnownServer(std::string_view s) {
    for (auto k : {kServerUser, kServerLegacyUser, kServerLid, kServerGroup, kServerBroadcast, kServerNewsletter,
                   kServerHosted, kServerHostedLid, kServerBot, kServerMessenger, kServerInterop}) {
        if (s == k) return true;
    }
    return false;
}

bool IsServerChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'; }

bool IsUserChar(char c) { return c > 0x20 && c < 0x7f && c != '@' && c != ':'; }

bool AgentAllowed(std::string_view server) {
    return server == kServerUser || server == kServerLid || server == kServerHosted || server == kServerHostedLid;
}

}  // namespace

Jid Jid::Make(std::string user, std::string_view server, std::uint16_t device) {
    Jid j;
    j.user = std::move(user);
    j.server = std::string(server);
    j.device = device;
    return j;
}

std::string Jid::ToString() const {
    std::string out;
    out.reserve(user.size() + server.size() + 16);
    if (integrator != 0) {
        out += std::to_string(integrator);
        out += '-';
    }
    out += user;
    if (agent != 0) {
        out += '_';
        out += std::to_string(agent);
    }
    if (device != 0) {
        out += ':';
        out += std::to_string(device);
    }
    out += '@';
    out += server;
    return out;
}

Jid Jid::ToNonAd() const {
    Jid j;
    j.user = user;
    j.server = server;
    j.integrator = integrator;
    return j;
}

std::uint8_t Jid::DomainType() const {
    if (server == kServerLid) return kDomainLid;
    if (server == kServerHosted) return kDomainHosted;
    if (server == kServerHostedLid) return kDomainHostedLid;
    return agent;
}

std::string Jid::SignalAddressName() const {
    std::uint8_t domain = DomainType();
    if (domain == kDomainWhatsApp) return user;
    return user + "_" + std::to_string(domain);
}

Result<Jid> ParseJid(std::string_view text) {
    Jid jid;
    auto at = text.find('@');
    if (at == std::string_view::npos) {
        if (!IsKnownServer(text)) return BadJid(text, "no '@'");
        jid.server = text == kServerLegacyUser ? std::string(kServerUser) : std::string(text);
        return jid;
    }
    std::string_view user_part = text.substr(0, at);
    std::string_view server = text.substr(at + 1);
    if (server.empty() || server.size() > 64) return BadJid(text, "bad server");
    for (char c : server) {
        if (!IsServerChar(c)) return BadJid(text, "bad server");
    }
    if (server == kServerLegacyUser) server = kServerUser;
    jid.server = std::string(server);

    if (auto colon = user_part.find(':'); colon != std::string_view::npos) {
        if (!ParseNumber<std::uint16_t>(user_part.substr(colon + 1), 65535, jid.device)) {
            return BadJid(text, "bad device");
        }
        user_part = user_part.substr(0, colon);
    }
    if (server == kServerInterop && !user_part.empty()) {  // "@interop" alone is the server JID
        auto dash = user_part.find('-');
        if (dash == std::string_view::npos ||
            !ParseNumber<std::uint16_t>(user_part.substr(0, dash), 65535, jid.integrator)) {
            return BadJid(text, "bad interop integrator");
        }
        user_part = user_part.substr(dash + 1);
    }
    if (AgentAllowed(server)) {
        auto sep = user_part.find_last_of("_.");
        if (sep != std::string_view::npos) {
            if (!ParseNumber<std::uint8_t>(user_part.substr(sep + 1), 255, jid.agent)) {
                return BadJid(text, "bad agent");
            }
            user_part = user_part.substr(0, sep);
        }
        // A separator left in the user would read as an agent once the JID is printed.
        if (user_part.find_first_of("_.") != std::string_view::npos) return BadJid(text, "bad user");
    }
    for (char c : user_part) {
        if (!IsUserChar(c)) return BadJid(text, "bad user");
    }
    jid.user = std::string(user_part);
    return jid;
}

Result<Jid> GetAttrJid(const Node& node, std::string_view key) {
    auto v = node.GetAttr(key);
    if (!v) return MakeError("missing_attr", "<" + node.tag + "> has no '" + std::string(key) + "' attribute");
    return ParseJid(*v);
}

}  // namespace wadesk::wa
