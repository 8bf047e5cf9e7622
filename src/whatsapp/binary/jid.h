#pragma once
// JIDs: WhatsApp addresses in text form, `[integrator-]user[_agent][:device]@server`.
//
//   15551234567@s.whatsapp.net        phone-number (PN) user
//   15551234567:5@s.whatsapp.net      one of its devices (device 0 is the primary, printed without ":0")
//   100000000000011@lid / …:5@lid     linked-identity (LID) user / device
//   120363000000000000@g.us           group
//   status@broadcast, 123@broadcast   broadcast lists
//   123@newsletter, 123@bot           channels, bots
//   123:99@hosted, 123:99@hosted.lid  hosted (business API) devices
//   @s.whatsapp.net                   the server itself (empty user)
//   user:device@msgr                  Messenger (FB_JID) addresses
//   integrator-user:device@interop    interop (INTEROP_JID) addresses
//
// The legacy server `c.us` is normalised to `s.whatsapp.net` on parse. `user_agent` is Baileys'
// text form of a raw domain type ("agent"); `user.agent` (whatsmeow's form) is accepted on parse
// for user servers. Neither appears on the wire as text.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "whatsapp/binary/node.h"

namespace wadesk::wa {

inline constexpr std::string_view kServerUser = "s.whatsapp.net";
inline constexpr std::string_view kServerLegacyUser = "c.us";
inline constexpr std::string_view kServerLid = "lid";
inline constexpr std::string_view kServerGroup = "g.us";
inline constexpr std::string_view kServerBroadcast = "broadcast";
inline constexpr std::string_view kServerNewsletter = "newsletter";
inline constexpr std::string_view kServerHosted = "hosted";
inline constexpr std::string_view kServerHostedLid = "hosted.lid";
inline constexpr std::string_view kServerBot = "bot";
inline constexpr std::string_view kServerMessenger = "msgr";
inline constexpr std::string_view kServerInterop = "interop";

// AD_JID domain types (the first payload byte of an AD_JID on the wire).
inline constexpr std::uint8_t kDomainWhatsApp = 0;
inline constexpr std::uint8_t kDomainLid = 1;
inline constexpr std::uint8_t kDomainHosted = 128;
inline constexpr std::uint8_t kDomainHostedLid = 129;

// Device number of hosted (business API) devices.
inline constexpr std::uint16_t kHostedDevice = 99;

struct Jid {
    std::string user;              // may be empty (a server JID)
    std::uint8_t agent = 0;        // raw agent / domain type from `user_agent`; 0 when absent
    std::uint16_t device = 0;      // 0 = primary device (or not a device JID)
    std::uint16_t integrator = 0;  // interop JIDs only
    std::string server;

    // `user@server` or `user:device@server`.
    static Jid Make(std::string user, std::string_view server, std::uint16_t device = 0);
    static Jid User(std::string user, std::uint16_t device = 0) { return Make(std::move(user), kServerUser, device); }
    static Jid Lid(std::string user, std::uint16_t device = 0) { return Make(std::move(user), kServerLid, device); }
    static Jid Group(std::string id) { return Make(std::move(id), kServerGroup); }
    static Jid Server() { return Make("", kServerUser); }  // "@s.whatsapp.net"
    static Jid StatusBroadcast() { return Make("status", kServerBroadcast); }

    // Canonical text: `[integrator-]user[_agent][:device]@server`; no ":0", no "_0".
    std::string ToString() const;
    // The same user without device and agent (`user@server`).
    Jid ToNonAd() const;
    // The AD_JID domain type: 1 for lid, 128 hosted, 129 hosted.lid, else the agent (0 if none).
    std::uint8_t DomainType() const;

    bool IsPnUser() const { return server == kServerUser && !user.empty(); }
    bool IsLid() const { return server == kServerLid; }
    bool IsHosted() const { return server == kServerHosted || server == kServerHostedLid; }
    bool IsUserServer() const { return IsPnUser() || IsLid() || IsHosted(); }  // can own devices
    bool IsGroup() const { return server == kServerGroup; }
    bool IsBroadcast() const { return server == kServerBroadcast; }
    bool IsStatusBroadcast() const { return server == kServerBroadcast && user == "status"; }
    bool IsNewsletter() const { return server == kServerNewsletter; }
    bool IsBot() const { return server == kServerBot; }
    bool IsServerJid() const { return user.empty(); }

    // Name of the Signal protocol address for this device's user: `user` for PN, `user_1` for LID,
    // `user_128` for hosted, `user_129` for hosted LID (the device id is `device`).
    std::string SignalAddressName() const;

    auto operator<=>(const Jid&) const = default;
    bool operator==(const Jid&) const = default;
};

// Parses the text forms above. Errors (code "bad_jid"): no '@' (unless the whole text is a known
// server name, giving a server JID), empty or malformed server, non-numeric or out-of-range device
// (> 65535), agent or integrator, control characters or spaces.
Result<Jid> ParseJid(std::string_view text);

// The attribute `key` of `node` parsed as a JID. Errors: "missing_attr" when absent, "bad_jid".
Result<Jid> GetAttrJid(const Node& node, std::string_view key);

}  // namespace wadesk::wa
