#include "whatsapp/client/connection_impl.h"

#include "core/log.h"
#include "whatsapp/client/receive.h"

namespace wadesk::wa {

using namespace detail;

void Connection::Impl::HandleNotification(const Node& node) {
    SendAck(node);
    signal.lid_map().LearnFromDevicesNotification(node);  // LID (§13 source 8)
    if (node.AttrOr("type", "") == "link_code_companion_reg" && node.AttrOr("from", "") == kServerFrom)
        return HandlePrimaryHello(node);
    if (node.AttrOr("type", "") == "w:gp2") return HandleGroupNotification(node);
    if (node.AttrOr("type", "") == "mediaretry") return HandleMediaRetryNotification(node);
    if (node.AttrOr("type", "") == "encrypt" && node.AttrOr("from", "") == kServerFrom) {
        if (const Node* count = node.Child("count")) {
            const auto n = ParseInt(count->AttrOr("value", "")).value_or(0);
            if (n < static_cast<std::int64_t>(config.min_pre_keys) && phase == Phase::kConnected)
                UploadPreKeys(nullptr);
        }
    }
}

void Connection::Impl::HandleReceipt(const Node& node) {
    SendAck(node);
    ReceiptEvent r;
    r.from = std::string(node.AttrOr("from", ""));
    r.type = std::string(node.AttrOr("type", ""));
    r.timestamp = ParseInt(node.AttrOr("t", "0")).value_or(0);
    r.ids.emplace_back(node.AttrOr("id", ""));
    if (const Node* list = node.Child("list")) {
        for (const Node* item : list->Children("item")) r.ids.emplace_back(item->AttrOr("id", ""));
    }
    if (r.type == "retry") return HandleRetryReceipt(node);  // send path: connection_retry.cpp
    // The recipient: a group member is named by `participant`, a 1:1 peer by `from`; our own
    // devices' receipts (read-self, sender, peer_msg) name no recipient.
    auto who = ParseJid(node.AttrOr("participant", node.AttrOr("from", "")));
    if (who && (who->IsPnUser() || who->IsLid())) {
        auto own_pn = ParseJid(creds.me ? creds.me->jid : "");
        auto own_lid = ParseJid(creds.me ? creds.me->lid : "");
        const bool own = (own_pn && who->IsPnUser() && own_pn->user == who->user) ||
                         (own_lid && who->IsLid() && own_lid->user == who->user);
        if (!own) {
            r.recipient = who->ToNonAd().ToString();
            r.recipient_alt = signal.lid_map().AlternateUserJid(r.recipient);
        }
    }
    events.OnReceipt(r);
}

void Connection::Impl::HandleAck(const Node& node) {
    if (node.AttrOr("class", "") != "message") return;
    const int error = static_cast<int>(ParseInt(node.AttrOr("error", "0")).value_or(500));
    events.OnSendAck(std::string(node.AttrOr("id", "")), error);
}

// A <message> goes to the session's receive lane when there is one (Session takes it), else it is
// received here, inline.
void Connection::Impl::HandleMessage(const Node& node) {
    if (events.TakeMessage(node)) return;
    ReceiveContext ctx{creds, signal, nullptr, store, events, retries};
    CompleteMessage(node, ReceiveMessage(ctx, node));
}

void Connection::Impl::CompleteMessage(const Node& node, const MessageOutcome& outcome) {
    if (!Open()) return;
    const std::string id(node.AttrOr("id", ""));
    const std::string from(node.AttrOr("from", ""));
    switch (outcome.reply) {
        case MessageOutcome::Reply::kNone:
            return;
        case MessageOutcome::Reply::kNack: {
            Node ack("ack", {{"class", "message"}, {"id", id}, {"to", from}, {"error", std::to_string(outcome.nack_code)}});
            if (auto p = node.GetAttr("participant")) ack.attrs.Set("participant", std::string(*p));
            if (auto r = node.GetAttr("recipient")) ack.attrs.Set("recipient", std::string(*r));
            return SendNode(ack);
        }
        case MessageOutcome::Reply::kRetry:
            SendRetryReceipt(node, outcome.retry_count);
            // The failed copy is settled (as whatsmeow does); the resend comes under the same id.
            return SendNode(Node("ack", {{"class", "message"}, {"id", id}, {"to", from}}));
        case MessageOutcome::Reply::kReceipt:
            break;
    }
    Node receipt("receipt", {{"id", id}, {"to", from}});
    if (auto p = node.GetAttr("participant")) receipt.attrs.Set("participant", std::string(*p));
    switch (outcome.receipt) {
        case MessageOutcome::ReceiptKind::kSender:
            receipt.attrs.Set("type", "sender");
            if (!outcome.recipient.empty()) receipt.attrs.Set("recipient", outcome.recipient);
            break;
        case MessageOutcome::ReceiptKind::kPeer:
            receipt.attrs.Set("type", "peer_msg");
            break;
        case MessageOutcome::ReceiptKind::kHistSync:
            // wa-protocol §10: the peer message's own receipt first, then "history received".
            SendNode(Node("receipt", {{"id", id}, {"to", from}, {"type", "peer_msg"}}));
            if (creds.me) {
                if (auto own = ParseJid(creds.me->jid)) receipt.attrs.Set("to", own->ToNonAd().ToString());
            }
            receipt.attrs.Set("type", "hist_sync");
            break;
        case MessageOutcome::ReceiptKind::kDelivery:
            if (!sent_available) receipt.attrs.Set("type", "inactive");
            break;
    }
    SendNode(receipt);
}

// wa-protocol §8.1: <retry count id t v>, our registration id, and from the second attempt on
// <keys> with a fresh one-time pre-key (kept, never uploaded), the signed pre-key and our
// signed device identity, so the sender can start a new session without a key fetch.
void Connection::Impl::SendRetryReceipt(const Node& node, int count) {
    const std::string id(node.AttrOr("id", ""));
    Node receipt("receipt", {{"id", id}, {"to", std::string(node.AttrOr("from", ""))}, {"type", "retry"}});
    if (auto p = node.GetAttr("participant")) receipt.attrs.Set("participant", std::string(*p));
    if (auto r = node.GetAttr("recipient")) receipt.attrs.Set("recipient", std::string(*r));
    if (node.AttrOr("category", "") == "peer") receipt.attrs.Set("category", "peer");
    receipt.AddChild(Node("retry", {{"count", std::to_string(count)},
                                    {"id", id},
                                    {"t", std::string(node.AttrOr("t", "0"))},
                                    {"v", "1"},
                                    {"error", "0"}}));
    receipt.AddChild(BytesNode("registration", BigEndian(creds.registration_id, 4)));
    if (count >= 2) {
        auto keys = signal.GeneratePreKeys(creds.next_pre_key_id, 1);
        if (keys && !keys->empty()) {
            creds.next_pre_key_id = keys->back().id + 1;
            SaveCredentials();
            const PreKeyPublic& key = keys->front();
            NodeList children;
            children.push_back(BytesNode("type", Bytes{0x05}));
            children.push_back(BytesNode("identity", crypto::ToBytes(creds.identity.pub)));
            children.push_back(Node("key", {}, NodeList{BytesNode("id", BigEndian(key.id, 3)),
                                                        BytesNode("value", crypto::ToBytes(key.pub))}));
            children.push_back(Node(
                "skey", {},
                NodeList{BytesNode("id", BigEndian(creds.signed_pre_key.id, 3)),
                         BytesNode("value", crypto::ToBytes(creds.signed_pre_key.key.pub)),
                         BytesNode("signature", Bytes(creds.signed_pre_key.signature.begin(),
                                                      creds.signed_pre_key.signature.end()))}));
            if (!creds.account.empty()) children.push_back(BytesNode("device-identity", creds.account));
            receipt.AddChild(Node("keys", {}, std::move(children)));
        } else {
            spdlog::warn("wa: no pre-key for the retry receipt of {}", id);
        }
    }
    SendNode(receipt);
}

}  // namespace wadesk::wa
