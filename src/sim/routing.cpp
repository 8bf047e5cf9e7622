// 1:1 message routing (wa-protocol §7-§9): the server acks a client's <message>, fans its
// per-device <enc> payloads out to the addressed devices (or queues them), routes delivery / read
// receipts back to the sender's devices and retry receipts to the one device they name (§8.1).
// Ciphertext is relayed opaquely. The emulated phones (device 0) take part through the same
// routes: RouteMessage / RouteReceipt with sender device 0, and Deliver hands them what is
// addressed to device 0 (phone_messaging.cpp).
//
// Redelivery: a <message> sent to a connection stays unsettled until that device sends a receipt
// for its id of any type but `retry` (every copy settles) or an <ack class='message'> (only the
// oldest copy settles: the NACK that follows a retry receipt must not cancel the resend). When the
// connection goes away, the unsettled messages go back to the front of the device's offline queue.
#include <spdlog/spdlog.h>

#include "sim/server.h"
#include "whatsapp/binary/jid.h"

namespace wadesk::sim {
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {

constexpr std::size_t kSentMemory = 10000;

}  // namespace

void SimConnection::HandleMessage(const Node& message) {
    const std::string id(message.AttrOr("id", ""));
    const std::string to(message.AttrOr("to", ""));
    const auto now = std::to_string(server_.now());
    auto chat = wa::ParseJid(to);
    if (id.empty() || !chat) {
        Send(Node("ack", Attrs{{"class", "message"}, {"id", id}, {"from", to}, {"t", now}, {"error", "400"}}));
        return;
    }
    if (!server_.MutableAccount(phone_)) return;
    if (chat->IsGroup() && !chat->user.empty()) {
        // groups.cpp: refused with 404 (no such group) or 403 (not a member).
        if (const int refusal = server_.GroupSendRefusal({phone_, device_}, to)) {
            Send(Node("ack", Attrs{{"class", "message"}, {"id", id}, {"from", to}, {"t", now},
                                   {"error", std::to_string(refusal)}}));
            return;
        }
        Send(Node("ack", Attrs{{"class", "message"}, {"id", id}, {"from", to}, {"t", now}}));
        server_.RouteGroupMessage({phone_, device_}, message);
        return;
    }
    if (!chat->IsUserServer()) {
        // Broadcasts, newsletters: not emulated.
        Send(Node("ack", Attrs{{"class", "message"}, {"id", id}, {"from", to}, {"t", now}, {"error", "501"}}));
        return;
    }
    Send(Node("ack", Attrs{{"class", "message"}, {"id", id}, {"from", to}, {"t", now}}));
    server_.RouteMessage({phone_, device_}, message);
}

std::vector<std::string> ReceiptIds(const Node& receipt) {
    std::vector<std::string> ids{std::string(receipt.AttrOr("id", ""))};
    if (const Node* list = receipt.Child("list")) {
        for (const Node* item : list->Children("item")) ids.emplace_back(item->AttrOr("id", ""));
    }
    return ids;
}

void SimServer::RememberSent(const std::string& id, SentMessage sent) {
    sent_[id] = std::move(sent);
    sent_order_.push_back(id);
    while (sent_order_.size() > kSentMemory) {
        sent_.erase(sent_order_.front());
        sent_order_.pop_front();
    }
}

void SimServer::RouteMessage(const DeviceKey& sender_key, const Node& message) {
    const auto& [sender_phone, sender_device] = sender_key;
    Account* me = MutableAccount(sender_phone);
    if (!me) return;
    const std::string id(message.AttrOr("id", ""));
    const std::string to(message.AttrOr("to", ""));
    const auto now = std::to_string(this->now());

    // (device jid, enc nodes) pairs: <participants><to jid><enc/>…</to></participants>, or a
    // top-level <enc> addressed to `to` itself (a resend after a retry receipt).
    std::vector<std::pair<std::string, std::vector<const Node*>>> targets;
    if (const Node* participants = message.Child("participants")) {
        for (const Node* t : participants->Children("to")) {
            targets.emplace_back(std::string(t->AttrOr("jid", "")), t->Children("enc"));
        }
    } else if (!message.Children("enc").empty()) {
        targets.emplace_back(to, message.Children("enc"));
    }
    const Node* device_identity = message.Child("device-identity");
    const std::string type(message.AttrOr("type", "text"));
    const std::string category(message.AttrOr("category", ""));
    // An own-device copy names the real chat: `recipient` when the stanza went to one device.
    const std::string own_chat(message.AttrOr("recipient", to));

    // Known before the fan-out: a phone receiving a copy receipts it at once.
    RememberSent(id, SentMessage{sender_key, own_chat});

    std::size_t routed = 0;
    for (const auto& [jid_text, encs] : targets) {
        auto jid = wa::ParseJid(jid_text);
        if (!jid || encs.empty()) continue;
        Account* acct = AccountForUser(jid->user, jid->IsLid());
        if (!acct || (jid->device != 0 && !acct->devices.count(jid->device))) continue;
        if (acct->phone == sender_phone && jid->device == sender_device) continue;  // not back to sender
        const bool lid_domain = jid->IsLid();
        const std::string from_user = lid_domain ? me->lid : me->phone;
        const std::string from =
            wa::Jid::Make(from_user, lid_domain ? wa::kServerLid : wa::kServerUser, sender_device).ToString();
        Attrs attrs{{"from", from}, {"id", id}, {"t", now}, {"type", type}};
        if (category == "peer") {
            attrs.Add("category", "peer");  // between our own devices (history sync, §10): no chat
        } else if (acct->phone == sender_phone) {
            attrs.Add("recipient", own_chat);  // our own other device: a sent-message copy
        } else {
            attrs.Add("notify", me->name);
            if (lid_domain) {
                attrs.Add("sender_pn", me->phone + "@s.whatsapp.net");
            } else {
                attrs.Add("sender_lid", me->lid + "@lid");
            }
        }
        NodeList children;
        bool pkmsg = false;
        for (const Node* e : encs) {
            children.push_back(*e);
            pkmsg |= e->AttrOr("type", "") == "pkmsg";
        }
        if (pkmsg && device_identity) children.push_back(*device_identity);
        Deliver({acct->phone, jid->device}, Node("message", std::move(attrs), std::move(children)));
        ++routed;
    }
    spdlog::debug("[sim] message {} from {}:{} routed to {} device(s)", id, sender_phone, sender_device, routed);
}

void SimConnection::HandleReceipt(const Node& receipt) {
    const std::string id(receipt.AttrOr("id", ""));
    const std::string type(receipt.AttrOr("type", ""));
    const std::string to(receipt.AttrOr("to", ""));
    Attrs ack{{"class", "receipt"}, {"id", id}, {"from", to.empty() ? std::string("s.whatsapp.net") : to}};
    if (!type.empty()) ack.Add("type", type);
    Send(Node("ack", std::move(ack)));
    if (type != "retry") {
        server_.Settle({phone_, device_}, id, /*all_copies=*/true);
        if (const Node* list = receipt.Child("list")) {
            for (const Node* item : list->Children("item")) server_.Settle({phone_, device_}, std::string(item->AttrOr("id", "")), true);
        }
    }
    server_.RouteReceipt({phone_, device_}, receipt);
}

void SimConnection::HandleAck(const Node& ack) {
    // A client's NACK (or plain ack) of a message it could not handle settles that one copy.
    if (ack.AttrOr("class", "") != "message") return;
    server_.Settle({phone_, device_}, std::string(ack.AttrOr("id", "")), /*all_copies=*/false);
}

void SimServer::RouteReceipt(const DeviceKey& from_key, const Node& receipt) {
    const auto& [from_phone, from_device] = from_key;
    const std::string id(receipt.AttrOr("id", ""));
    const std::string type(receipt.AttrOr("type", ""));
    if (type == "sender" || type == "peer_msg" || type == "hist_sync") return;
    if (auto to = wa::ParseJid(receipt.AttrOr("to", "")); to && to->IsGroup()) return RouteGroupReceipt(from_key, receipt);
    Account* me = MutableAccount(from_phone);
    if (!me) return;
    const auto now = std::to_string(this->now());

    if (type == "server-error") {
        // A media retry request (wa-protocol §11): to the sender's own user, for its phone.
        auto to = wa::ParseJid(receipt.AttrOr("to", ""));
        if (to && AccountForUser(to->user, to->IsLid()) == me) PhoneAnswerMediaRetry(*me, from_device, receipt);
        return;
    }

    if (type == "retry") {
        // Only to the device named in `to` (§8.1), else the device that sent the message.
        auto to = wa::ParseJid(receipt.AttrOr("to", ""));
        Account* target = to ? AccountForUser(to->user, to->IsLid()) : nullptr;
        std::optional<DeviceKey> dest;
        if (target && (to->device == 0 || target->devices.count(to->device))) dest = DeviceKey{target->phone, to->device};
        if (!dest) {
            auto it = sent_.find(id);
            if (it == sent_.end()) return;
            dest = it->second.sender;
        }
        const bool lid_domain = to && to->IsLid();
        Attrs attrs{{"from", wa::Jid::Make(lid_domain ? me->lid : me->phone, lid_domain ? wa::kServerLid : wa::kServerUser,
                                           from_device)
                                 .ToString()},
                    {"id", id},
                    {"t", now},
                    {"type", "retry"}};
        if (auto r = receipt.GetAttr("recipient")) attrs.Add("recipient", std::string(*r));
        const auto kids = receipt.Children();
        NodeList children(kids.begin(), kids.end());
        Deliver(*dest, Node("receipt", std::move(attrs), std::move(children)));
        return;
    }

    for (const auto& msg_id : ReceiptIds(receipt)) {
        auto it = sent_.find(msg_id);
        if (it == sent_.end()) continue;
        const auto [sender_phone, sender_device] = it->second.sender;
        Account* sender = MutableAccount(sender_phone);
        if (!sender || sender_phone == from_phone) continue;
        // Address the receipt in the domain the sender used for the chat.
        auto chat = wa::ParseJid(it->second.chat);
        const bool lid_domain = chat && chat->IsLid();
        const std::string from =
            wa::Jid::Make(lid_domain ? me->lid : me->phone, lid_domain ? wa::kServerLid : wa::kServerUser, from_device)
                .ToString();
        Attrs attrs{{"from", from}, {"id", msg_id}, {"t", now}};
        if (!type.empty()) attrs.Add("type", type);
        // Every device of the sender hears about it: its phone and its linked companions.
        Deliver({sender_phone, 0}, Node("receipt", attrs));
        for (const auto& [dev_id, dev] : sender->devices) Deliver({sender_phone, dev_id}, Node("receipt", attrs));
    }
}

}  // namespace wadesk::sim
