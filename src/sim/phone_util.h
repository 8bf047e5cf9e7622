#pragma once
// Helpers shared by the emulated phone's 1:1 (phone_messaging.cpp) and group (phone_groups.cpp)
// messaging.
#include <cstdint>
#include <string>
#include <utility>

#include "sim/phone_party.h"
#include "sim/phone_signal.h"
#include "sim/state.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {

// Retry receipts the phone sends per (message, device), and resends it answers per (message, device).
inline constexpr int kPhoneMaxRetries = 5;

// A new `3A…` message id, as phones make them.
std::string NewMessageId();
// The Signal address of a device of `account`: its LID address (`<lid>_1`), whichever domain.
PeerAddress AddressOf(const Account& account, std::uint16_t device);
// `<pn>:<device>@s.whatsapp.net` or `<lid>:<device>@lid`.
std::string DeviceJid(const Account& account, std::uint16_t device, bool lid);
// The inbox type and text of a message: "text", "image", ... as DescribeMessage names them, else
// the name of the first field set ("protocolMessage", "reactionMessage", ...).
std::pair<std::string, std::string> Summarize(const wa::Message& message);
// Appends to the phone's inbox (the newest 20,000 are kept).
void AddToInbox(PhoneParty& party, InboxEntry entry);
// Keeps a sent plaintext for retry receipts (the newest 20,000).
void RememberPhoneSent(PhoneParty& party, const std::string& id, PhoneParty::Sent sent);

}  // namespace wadesk::sim
