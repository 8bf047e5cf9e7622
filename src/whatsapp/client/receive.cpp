#include "whatsapp/client/receive.h"

#include <algorithm>
#include <optional>

#include "core/log.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {

namespace {

// A Signal failure that a fresh session can heal, so a retry receipt is worth sending (§8.1).
// A duplicate is not one: it is a stanza already handled.
bool HealsWithRetry(const std::string& code) {
    return code.rfind("signal_", 0) == 0 && code != "signal_duplicate_message";
}

// A Message that carries a sender key distribution and nothing to show.
bool IsOnlyKeyDistribution(const Message& message) {
    return message.has_senderkeydistributionmessage() && !UnwrapMessage(message).has_conversation() &&
           DescribeMessage(message).type == "unsupported";
}

// The stanza's <enc>s with the pairwise ones (pkmsg, msg) first: they may carry the sender key
// the skmsg needs (senders put the skmsg first or last, wa-protocol §18.3).
std::vector<const Node*> EncsInOrder(const Node& node) {
    std::vector<const Node*> encs = node.Children("enc");
    std::stable_partition(encs.begin(), encs.end(), [](const Node* e) { return e->AttrOr("type", "") != "skmsg"; });
    return encs;
}

// Stores the sender key a member distributed (§18.4) under (group, the sender as the stanza named
// it), the name its skmsgs are decrypted under. In a group stanza the key must be for that group.
void TakeSenderKey(ReceiveContext& ctx, const IncomingMessage& msg, const SignalAddress& sender, const Message& message) {
    const auto& skdm = message.senderkeydistributionmessage();
    const std::string& group = skdm.groupid();
    if (group.empty() || (msg.is_group && group != msg.chat)) {
        spdlog::warn("wa: message {} from {} carries a sender key for another group", msg.id, msg.sender);
        return;
    }
    const std::string& key = skdm.axolotlsenderkeydistributionmessage();
    if (auto r = ctx.signal.ProcessSenderKeyDistribution(group, sender, AsBytes(key)); !r) {
        spdlog::warn("wa: bad sender key from {} for {}: {}", msg.sender, group, r.error().code);
    }
}

// Fills msg from a decrypted Message: its chat for our own devices' copies, and its kind.
void Classify(ReceiveContext& ctx, const Message& parsed, IncomingMessage& msg, MessageOutcome& out) {
    const Message* content = &parsed;
    if (parsed.has_devicesentmessage()) {
        if (msg.chat.empty() || msg.from_me) msg.chat = parsed.devicesentmessage().destinationjid();
        content = &parsed.devicesentmessage().message();
    }
    if (msg.from_me) ctx.signal.lid_map().LearnFromOwnMessage(*content);  // LID_MIGRATION_MAPPING_SYNC (§13 source 7)
    const Message& inner = UnwrapMessage(*content);
    if (inner.has_protocolmessage()) {
        const auto& pm = inner.protocolmessage();
        msg.target_id = pm.key().id();
        switch (pm.type()) {
            case Message::ProtocolMessage::REVOKE:
                msg.kind = MessageKind::kRevoke;
                return;
            case Message::ProtocolMessage::MESSAGE_EDIT:
                msg.kind = MessageKind::kEdit;
                msg.content = DescribeMessage(pm.editedmessage());
                msg.text = msg.content.type == "text" ? msg.content.body : std::string();
                msg.message = SerializeProto(pm.editedmessage());
                return;
            case Message::ProtocolMessage::HISTORY_SYNC_NOTIFICATION:
                // Only our own phone pushes history (others' are spoofed, as WhatsApp clients
                // treat them). Kept raw, with this commit, for the history import, which runs
                // after it; acknowledged as WhatsApp expects whether or not the import succeeds.
                if (!msg.from_me) break;
                ctx.store.Put(store_keys::HistoryNotification(msg.id), SerializeProto(pm.historysyncnotification()));
                msg.history_notification = true;
                out.receipt = MessageOutcome::ReceiptKind::kHistSync;
                break;
            case Message::ProtocolMessage::APP_STATE_SYNC_KEY_SHARE:
                if (!msg.from_me) break;  // only our own phone shares app-state keys
                for (const auto& key : pm.appstatesynckeyshare().keys()) {
                    const std::string& key_id = key.keyid().keyid();
                    if (key_id.empty()) continue;
                    ctx.store.Put(store_keys::AppStateKey(AsBytes(key_id)), SerializeProto(key.keydata()));
                }
                break;
            default:
                break;
        }
        msg.kind = MessageKind::kProtocol;
        return;
    }
    if (IsOnlyKeyDistribution(*content)) {
        msg.kind = MessageKind::kProtocol;
        return;
    }
    msg.kind = MessageKind::kContent;
    if (inner.has_conversation()) msg.text = inner.conversation();
    else if (inner.has_extendedtextmessage()) msg.text = inner.extendedtextmessage().text();
    msg.content = DescribeMessage(*content);
    msg.message = SerializeProto(*content);
}

}  // namespace

bool IsOwnUser(const Credentials& creds, const Jid& jid) {
    if (!creds.me) return false;
    auto pn = ParseJid(creds.me->jid);
    auto lid = ParseJid(creds.me->lid);
    return (pn && pn->user == jid.user && jid.IsPnUser()) || (lid && lid->user == jid.user && jid.IsLid());
}

int RetryCounter::Next(const std::string& id, int seen_count) {
    auto it = counts_.find(id);
    const int next = std::max(it == counts_.end() ? 1 : it->second + 1, seen_count + 1);
    if (it != counts_.end()) {
        it->second = next;
        return next;
    }
    if (counts_.size() >= kMaxEntries) {
        auto oldest = order_.begin();
        counts_.erase(oldest->second);
        order_.erase(oldest);
    }
    counts_.emplace(id, next);
    order_.emplace(sequence_++, id);
    return next;
}

namespace {

MessageOutcome Receive(ReceiveContext& ctx, const Node& node) {
    MessageOutcome out;
    const std::string id(node.AttrOr("id", ""));
    const std::string from(node.AttrOr("from", ""));
    auto from_jid = ParseJid(from);
    if (!from_jid || id.empty()) {
        out.reply = MessageOutcome::Reply::kNack;
        out.nack_code = 487;
        return out;
    }

    IncomingMessage msg;
    msg.id = id;
    msg.push_name = std::string(node.AttrOr("notify", ""));
    msg.timestamp = node.GetAttrInt("t").value_or(0);
    if (from_jid->IsGroup() || from_jid->IsBroadcast()) {
        msg.is_group = true;
        msg.chat = from_jid->ToString();
        msg.sender = std::string(node.AttrOr("participant", ""));
        msg.sender_alt = std::string(node.AttrOr("participant_lid", node.AttrOr("participant_pn", "")));
        // Our own message, sent from another of our devices (§18.4): receipted as `sender`.
        if (auto sender = ParseJid(msg.sender)) msg.from_me = IsOwnUser(ctx.creds, *sender);
    } else {
        msg.sender = from;
        msg.sender_alt = std::string(node.AttrOr("sender_lid", node.AttrOr("sender_pn", "")));
        msg.from_me = IsOwnUser(ctx.creds, *from_jid);
        msg.chat = msg.from_me ? std::string(node.AttrOr("recipient", "")) : from_jid->ToNonAd().ToString();
    }
    if (node.AttrOr("category", "") == "peer") out.receipt = MessageOutcome::ReceiptKind::kPeer;

    if (ctx.batch) ctx.batch->Begin();
    // PN<->LID pairs the stanza states (§13 source 4), before decrypting: the Signal address
    // then resolves to the one canonical (LID) session whichever domain the stanza used.
    LidMap& lids = ctx.signal.lid_map();
    lids.LearnFromStanzaAttributes(node);
    bool decrypted = false;
    bool duplicate = false;
    bool malformed = false;  // decrypted, but the plaintext is not a message: NACK, no retry
    bool any_enc = false;
    std::string failure;
    int seen_count = 0;
    std::optional<Message> parsed;
    bool key_only = false;  // what decrypted is only a sender key distribution (no content)
    for (const Node* enc : EncsInOrder(node)) {
        const Bytes* ciphertext = enc->ContentBytes();
        if (!ciphertext) continue;
        any_enc = true;
        seen_count = std::max<int>(seen_count, static_cast<int>(std::clamp<std::int64_t>(enc->GetAttrInt("count").value_or(0), 0, 1000)));
        const std::string_view type = enc->AttrOr("type", "");
        const bool sender_key = type == "skmsg" && msg.is_group;
        if (type != "pkmsg" && type != "msg" && !sender_key) {
            if (failure.empty()) failure = "unsupported_encryption";
            continue;
        }
        // Decrypt first; only a stanza that does not decrypt can be a redelivery of one already
        // committed (its message key is spent), so only then is the buffer read.
        const std::string inbox_key = store_keys::Inbox(*ciphertext);
        Bytes plain;
        auto address = SignalAddressFromJid(msg.sender);
        if (!address) {
            failure = "bad_sender";
            continue;
        }
        auto decrypted_bytes =
            sender_key ? ctx.signal.GroupDecrypt(msg.chat, *address, *ciphertext)
                       : ctx.signal.Decrypt(*address, type == "pkmsg" ? CiphertextType::kPkMsg : CiphertextType::kMsg,
                                            *ciphertext);
        if (!decrypted_bytes) {
            if (auto buffered = ctx.store.Get(inbox_key)) {
                plain = std::move(*buffered);
            } else {
                if (decrypted_bytes.error().code == "signal_duplicate_message") duplicate = true;
                else failure = decrypted_bytes.error().code;
                spdlog::warn("wa: cannot decrypt message {} from {}: {}", id, msg.sender, decrypted_bytes.error().code);
                continue;
            }
        } else {
            Result<Bytes> unpadded =
                enc->AttrOr("v", "2") == "3" ? Result<Bytes>(*decrypted_bytes) : UnpadMessage(*decrypted_bytes);
            if (!unpadded) {
                failure = "bad_padding";
                malformed = true;
                continue;
            }
            plain = std::move(*unpadded);
            ctx.store.Put(inbox_key, plain);
        }
        auto message = ParseProto<Message>(plain);
        if (!message) {
            failure = "bad_protobuf";
            malformed = true;
            continue;
        }
        if (message->has_senderkeydistributionmessage()) TakeSenderKey(ctx, msg, *address, *message);
        decrypted = true;
        if (IsOnlyKeyDistribution(*message)) {
            if (!parsed) {
                parsed = std::move(*message);
                key_only = true;
            }
            continue;
        }
        parsed = std::move(*message);
        key_only = false;
    }
    // The content did not decrypt and what did is only a key: the message is not there.
    if (key_only && !failure.empty()) decrypted = false;
    msg.retry_count = seen_count;
    if (msg.sender_alt.empty()) msg.sender_alt = lids.AlternateUserJid(msg.sender);

    if (decrypted) {
        Classify(ctx, *parsed, msg, out);
        // Content with no chat to put it in (an own-device copy without its destination) has
        // nothing to show; its Signal state is still committed.
        if (msg.kind == MessageKind::kContent && msg.chat.empty()) msg.kind = MessageKind::kProtocol;
        out.reply = MessageOutcome::Reply::kReceipt;
    } else if (duplicate && failure.empty()) {
        // Handled before and not buffered (it predates the buffer): settle it and store no
        // message; what the stanza taught us (LID pairs) is still committed.
        msg.kind = MessageKind::kProtocol;
        out.reply = MessageOutcome::Reply::kReceipt;
    } else {
        msg.kind = MessageKind::kUndecryptable;
        if (!any_enc) failure = node.Child("unavailable") ? "unavailable" : "no_content";
        msg.failure = failure;
        if (malformed) {
            out.reply = MessageOutcome::Reply::kNack;
            out.nack_code = failure == "bad_protobuf" ? 491 : 487;
        } else if (HealsWithRetry(failure)) {
            out.retry_count = ctx.retries.Next(id, seen_count);
            out.reply = out.retry_count <= kMaxRetryReceipts ? MessageOutcome::Reply::kRetry
                                                             : MessageOutcome::Reply::kReceipt;
        } else {
            out.reply = MessageOutcome::Reply::kReceipt;
        }
    }
    if (!msg.chat.empty()) msg.chat_alt = lids.AlternateUserJid(msg.chat);
    if (msg.from_me && out.receipt == MessageOutcome::ReceiptKind::kDelivery) {
        out.receipt = MessageOutcome::ReceiptKind::kSender;
        if (!msg.is_group) out.recipient = msg.chat;
    }

    CredentialWrites writes = ctx.batch ? ctx.batch->Take() : CredentialWrites{};
    if (!ctx.events.OnMessage(msg, writes)) out.reply = MessageOutcome::Reply::kNone;
    return out;
}

}  // namespace

MessageOutcome ReceiveMessage(ReceiveContext& ctx, const Node& stanza) {
    try {
        return Receive(ctx, stanza);
    } catch (...) {
        if (ctx.batch) ctx.batch->Discard();  // a store read failed: nothing of this stanza is kept
        throw;
    }
}

}  // namespace wadesk::wa
