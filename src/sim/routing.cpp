// 1:1 message routing (wa-protocol §7-§9): the server acks a client's <message>, fans its
// per-device <enc> payloads out to the addressed devices (or queues them), and routes delivery /
// read receipts back to the sender's devices. Ciphertext is relayed opaquely; the emulated phones
// (device 0) drop what is addressed to them.
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
    Account* me = server_.MutableAccount(phone_);
    if (!me) return;
    if (!chat->IsUserServer()) {
        // Groups, broadcasts, newsletters: not emulated.
        Send(Node("ack", Attrs{{"class", "message"}, {"id", id}, {"from", to}, {"t", now}, {"error", "501"}}));
        return;
    }
    Send(Node("ack", Attrs{{"class", "message"}, {"id", id}, {"from", to}, {"t", now}}));

    // (device jid, enc nodes) pairs: <participants><to jid><enc/>…</to></participants>, or a
    // top-level <enc> addressed to `to` itself.
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

    std::size_t routed = 0;
    for (const auto& [jid_text, encs] : targets) {
        auto jid = wa::ParseJid(jid_text);
        if (!jid || encs.empty()) continue;
        Account* acct = server_.AccountForUser(jid->user, jid->IsLid());
        if (!acct || jid->device == 0 || !acct->devices.count(jid->device)) continue;  // phones drop
        if (acct->phone == phone_ && jid->device == device_) continue;                 // not back to sender
        const bool lid_domain = jid->IsLid();
        const std::string from_user = lid_domain ? me->lid : me->phone;
        const std::string from = wa::Jid::Make(from_user, lid_domain ? wa::kServerLid : wa::kServerUser, device_).ToString();
        Attrs attrs{{"from", from}, {"id", id}, {"t", now}, {"type", type}};
        if (acct->phone == phone_) {
            attrs.Add("recipient", to);  // our own other device: a sent-message copy
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
        server_.Deliver({acct->phone, jid->device}, Node("message", std::move(attrs), std::move(children)));
        ++routed;
    }
    server_.sent_[id] = SimServer::SentMessage{{phone_, device_}, to};
    server_.sent_order_.push_back(id);
    while (server_.sent_order_.size() > kSentMemory) {
        server_.sent_.erase(server_.sent_order_.front());
        server_.sent_order_.pop_front();
    }
    spdlog::debug("[sim] message {} from {}:{} routed to {} device(s)", id, phone_, device_, routed);
}

void SimConnection::HandleReceipt(const Node& receipt) {
    const std::string id(receipt.AttrOr("id", ""));
    const std::string type(receipt.AttrOr("type", ""));
    const std::string to(receipt.AttrOr("to", ""));
    Attrs ack{{"class", "receipt"}, {"id", id}, {"from", to.empty() ? std::string("s.whatsapp.net") : to}};
    if (!type.empty()) ack.Add("type", type);
    Send(Node("ack", std::move(ack)));
    if (type == "retry") {
        // Retry receipts (§8.1 server routing): to the one device that sent the message, from the
        // retrying device, children unchanged. The sender answers with a re-encrypted copy.
        auto it = server_.sent_.find(id);
        Account* me = server_.MutableAccount(phone_);
        if (it == server_.sent_.end() || !me || it->second.sender.first == phone_) return;
        auto chat = wa::ParseJid(it->second.chat);
        const bool lid_domain = chat && chat->IsLid();
        const std::string from =
            wa::Jid::Make(lid_domain ? me->lid : me->phone, lid_domain ? wa::kServerLid : wa::kServerUser, device_)
                .ToString();
        Attrs attrs{{"from", from}, {"id", id}, {"t", std::to_string(server_.now())}, {"type", "retry"}};
        NodeList children(receipt.Children().begin(), receipt.Children().end());
        server_.Deliver(it->second.sender, Node("receipt", std::move(attrs), std::move(children)));
        return;
    }
    if (type == "sender" || type == "peer_msg" || type == "hist_sync") return;

    Account* me = server_.MutableAccount(phone_);
    if (!me) return;
    // The receipt names one id, plus more in <list><item id/></list>.
    std::vector<std::string> ids{id};
    if (const Node* list = receipt.Child("list")) {
        for (const Node* item : list->Children("item")) ids.emplace_back(item->AttrOr("id", ""));
    }
    const auto now = std::to_string(server_.now());
    for (const auto& msg_id : ids) {
        auto it = server_.sent_.find(msg_id);
        if (it == server_.sent_.end()) continue;
        const auto& [sender_phone, sender_device] = it->second.sender;
        Account* sender = server_.MutableAccount(sender_phone);
        if (!sender || sender_phone == phone_) continue;
        // Address the receipt in the domain the sender used for the chat.
        auto chat = wa::ParseJid(it->second.chat);
        const bool lid_domain = chat && chat->IsLid();
        const std::string from =
            wa::Jid::Make(lid_domain ? me->lid : me->phone, lid_domain ? wa::kServerLid : wa::kServerUser, device_)
                .ToString();
        Attrs attrs{{"from", from}, {"id", msg_id}, {"t", now}};
        if (!type.empty()) attrs.Add("type", type);
        // Every linked device of the sender hears about it.
        for (const auto& [dev_id, dev] : sender->devices) {
            server_.Deliver({sender_phone, dev_id}, Node("receipt", attrs));
        }
    }
}

}  // namespace wadesk::sim
