#include "whatsapp/client/connection_impl.h"

#include "core/log.h"

namespace wadesk::wa {

using namespace detail;

void Connection::Impl::HandleNotification(const Node& node) {
    SendAck(node);
    if (node.AttrOr("type", "") == "link_code_companion_reg" && node.AttrOr("from", "") == kServerFrom)
        return HandlePrimaryHello(node);
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
    events.OnReceipt(r);
}

void Connection::Impl::HandleAck(const Node& node) {
    if (node.AttrOr("class", "") != "message") return;
    const int error = static_cast<int>(ParseInt(node.AttrOr("error", "0")).value_or(500));
    events.OnSendAck(std::string(node.AttrOr("id", "")), error);
}

bool Connection::Impl::IsOwnUser(const Jid& jid) const {
    if (!creds.me) return false;
    auto pn = ParseJid(creds.me->jid);
    auto lid = ParseJid(creds.me->lid);
    return (pn && pn->user == jid.user && jid.IsPnUser()) || (lid && lid->user == jid.user && jid.IsLid());
}

void Connection::Impl::HandleMessage(const Node& node) {
    const std::string id(node.AttrOr("id", ""));
    const std::string from(node.AttrOr("from", ""));
    auto from_jid = ParseJid(from);
    auto nack = [&](int code) {
        Node ack("ack", {{"class", "message"}, {"id", id}, {"to", from}, {"error", std::to_string(code)}});
        if (auto p = node.GetAttr("participant")) ack.attrs.Set("participant", std::string(*p));
        SendNode(ack);
    };
    if (!from_jid) return nack(487);
    if (from_jid->IsGroup() || from_jid->IsBroadcast()) return nack(500);  // sender keys: not yet
    IncomingMessage msg;
    msg.id = id;
    msg.sender = from;
    msg.sender_alt = std::string(node.AttrOr("sender_lid", node.AttrOr("sender_pn", "")));
    msg.push_name = std::string(node.AttrOr("notify", ""));
    msg.timestamp = ParseInt(node.AttrOr("t", "0")).value_or(0);
    msg.from_me = IsOwnUser(*from_jid);
    msg.chat = msg.from_me ? std::string(node.AttrOr("recipient", "")) : from_jid->ToNonAd().ToString();

    auto address = SignalAddressFromJid(from);
    if (!address) return nack(487);
    bool decrypted = false;
    for (const Node* enc : node.Children("enc")) {
        const std::string_view type = enc->AttrOr("type", "");
        if ((type != "pkmsg" && type != "msg") || !enc->ContentBytes()) continue;
        auto plain = signal.Decrypt(*address, type == "pkmsg" ? CiphertextType::kPkMsg : CiphertextType::kMsg,
                                    *enc->ContentBytes());
        if (!plain) {
            spdlog::warn("wa: cannot decrypt message {}: {}", id, plain.error().code);
            continue;
        }
        Result<Bytes> unpadded = enc->AttrOr("v", "2") == "3" ? Result<Bytes>(*plain) : UnpadMessage(*plain);
        if (!unpadded) continue;
        auto parsed = ParseProto<Message>(*unpadded);
        if (!parsed) continue;
        const Message* content = &*parsed;
        if (parsed->has_devicesentmessage()) {
            if (msg.chat.empty() || msg.from_me) msg.chat = parsed->devicesentmessage().destinationjid();
            content = &parsed->devicesentmessage().message();
        }
        const Message& inner = UnwrapMessage(*content);
        if (inner.has_conversation())
            msg.text = inner.conversation();
        else if (inner.has_extendedtextmessage())
            msg.text = inner.extendedtextmessage().text();
        msg.content = DescribeMessage(*content);
        msg.message = SerializeProto(*content);
        decrypted = true;
    }
    if (!decrypted) return nack(500);
    if (!events.OnMessage(msg)) return;
    Node receipt("receipt", {{"id", id}, {"to", from}});
    if (msg.from_me) {
        receipt.attrs.Set("type", "sender");
        if (!msg.chat.empty()) receipt.attrs.Set("recipient", msg.chat);
    } else if (!sent_available) {
        receipt.attrs.Set("type", "inactive");
    }
    SendNode(receipt);
}

}  // namespace wadesk::wa
