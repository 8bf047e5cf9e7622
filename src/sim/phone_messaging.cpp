// The emulated phones as Signal parties (wa-protocol §7, §8, §8.1, §13): a phone sends texts to
// any account (encrypted for every device of the recipient, DSM copies for its own companions),
// decrypts what is routed to device 0 into its inbox with a delivery receipt, sends read receipts
// on command, asks for a resend with a retry receipt (keys from count 1) when it cannot decrypt,
// and answers retry receipts for what it sent. It talks to the server through RouteMessage /
// RouteReceipt as a device 0 would; Deliver hands it what is addressed to device 0.
//
// Sessions are keyed by the peer's LID address (`<lid>_1`, device) whichever domain a stanza used.
#include <spdlog/spdlog.h>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <algorithm>

#include "sim/phone_util.h"
#include "sim/server.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {
namespace crypto = wa::crypto;
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {

constexpr std::size_t kInboxMemory = 20000;
constexpr std::size_t kReceiptMemory = 50000;
constexpr std::size_t kSentMemory = 20000;

Bytes Be(std::uint32_t v, std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
    return out;
}

std::optional<std::uint32_t> ChildUint(const Node* parent, std::string_view tag) {
    const Node* c = parent ? parent->Child(tag) : nullptr;
    const Bytes* b = c ? c->ContentBytes() : nullptr;
    if (!b || b->empty() || b->size() > 4) return std::nullopt;
    std::uint32_t v = 0;
    for (auto x : *b) v = (v << 8) | x;
    return v;
}

std::optional<Key32> ChildKey(const Node* parent, std::string_view tag) {
    const Node* c = parent ? parent->Child(tag) : nullptr;
    const Bytes* b = c ? c->ContentBytes() : nullptr;
    if (!b) return std::nullopt;
    auto k = crypto::ToKey32(*b);
    return k ? std::optional<Key32>(*k) : std::nullopt;
}

// A bundle from a retry receipt's <registration> and <keys> (§8.1); nullopt when incomplete.
std::optional<PeerBundle> BundleFromKeys(const Node& receipt) {
    const Node* keys = receipt.Child("keys");
    auto reg = ChildUint(&receipt, "registration");
    auto identity = ChildKey(keys, "identity");
    const Node* skey = keys ? keys->Child("skey") : nullptr;
    auto spk_id = ChildUint(skey, "id");
    auto spk = ChildKey(skey, "value");
    const Node* sig = skey ? skey->Child("signature") : nullptr;
    if (!keys || !reg || !identity || !spk_id || !spk || !sig || !sig->ContentBytes() ||
        sig->ContentBytes()->size() != 64) {
        return std::nullopt;
    }
    PeerBundle b{*reg, *identity, *spk_id, *spk, *sig->ContentBytes(), std::nullopt};
    const Node* key = keys->Child("key");
    auto otk_id = ChildUint(key, "id");
    auto otk = ChildKey(key, "value");
    if (otk_id && otk) b.one_time = PreKey{*otk_id, *otk, Key32{}};
    return b;
}

template <class T>
void PushBounded(std::deque<T>& q, T value, std::size_t limit) {
    q.push_back(std::move(value));
    while (q.size() > limit) q.pop_front();
}

}  // namespace

std::string NewMessageId() {
    std::string hex = ToHex(RandomBytes(9));
    std::transform(hex.begin(), hex.end(), hex.begin(), ::toupper);
    return "3A" + hex;
}

PeerAddress AddressOf(const Account& account, std::uint16_t device) { return {account.lid + "_1", device}; }

std::string DeviceJid(const Account& account, std::uint16_t device, bool lid) {
    return wa::Jid::Make(lid ? account.lid : account.phone, lid ? wa::kServerLid : wa::kServerUser, device).ToString();
}

std::pair<std::string, std::string> Summarize(const wa::Message& message) {
    const auto content = wa::DescribeMessage(message);
    if (content.type != "unsupported") return {content.type, content.body};
    const wa::Message& inner = wa::UnwrapMessage(message);
    std::vector<const google::protobuf::FieldDescriptor*> fields;
    inner.GetReflection()->ListFields(inner, &fields);
    for (const auto* f : fields) {
        if (f->name() != "messageContextInfo") return {f->name(), ""};
    }
    return {"unsupported", ""};
}

void AddToInbox(PhoneParty& party, InboxEntry entry) { PushBounded(party.inbox, std::move(entry), kInboxMemory); }

void RememberPhoneSent(PhoneParty& party, const std::string& id, PhoneParty::Sent sent) {
    party.sent[id] = std::move(sent);
    party.sent_order.push_back(id);
    if (party.sent_order.size() > kSentMemory) {
        party.sent.erase(party.sent_order.front());
        party.sent_order.pop_front();
    }
}

std::optional<Node> SimServer::PhoneEncryptFor(Account& me, PhoneParty& party, Account& peer, std::uint16_t device,
                                               const Bytes& payload, const std::string& id) {
    const PeerAddress address = AddressOf(peer, device);
    if (!party.signal->HasSession(address)) {
        auto bundle = StoredBundle(peer, device);
        if (!bundle) return std::nullopt;
        if (auto r = party.signal->StartSession(address, *bundle); !r) {
            spdlog::warn("[sim] phone {}: no session with {}:{}: {}", me.phone, peer.phone, device, r.error().message);
            return std::nullopt;
        }
    }
    auto ct = party.signal->Encrypt(address, PadPlaintext(payload));
    if (!ct) {
        spdlog::warn("[sim] phone {}: cannot encrypt for {}:{}: {}", me.phone, peer.phone, device, ct.error().message);
        return std::nullopt;
    }
    if (party.break_next.erase({peer.phone, device})) {
        auto broken = CorruptMac(ct->kind, ct->bytes);
        if (broken) ct->bytes = std::move(*broken);
        spdlog::info("[sim] phone {}: message {} to {}:{} broken on purpose", me.phone, id, peer.phone, device);
    }
    return Node("enc", Attrs{{"v", "2"}, {"type", ct->kind == CipherKind::kPkMsg ? "pkmsg" : "msg"}}, std::move(ct->bytes));
}

PhoneParty* SimServer::Party(Account& account) {
    PhoneParty& party = parties_[account.phone];
    if (!party.signal) {
        auto signal = PhoneSignal::Create(account);
        if (!signal) {
            spdlog::error("[sim] phone {}: no Signal context: {}", account.phone, signal.error().message);
            return nullptr;
        }
        party.signal = std::move(*signal);
    }
    return &party;
}

std::optional<PeerBundle> SimServer::StoredBundle(Account& account, std::uint16_t device) {
    if (device == 0) {
        PeerBundle b{account.registration_id, account.identity.pub, account.signed_prekey.id, account.signed_prekey.pub,
                     account.signed_prekey.signature, IssuePhonePrekey(account)};
        Persist(account);
        return b;
    }
    auto it = account.devices.find(device);
    if (it == account.devices.end()) return std::nullopt;
    Device& d = it->second;
    PeerBundle b{d.registration_id, d.identity, d.signed_prekey.id, d.signed_prekey.pub, d.signed_prekey.signature,
                 std::nullopt};
    if (!d.prekeys.empty()) {
        b.one_time = d.prekeys.front();
        d.prekeys.erase(d.prekeys.begin());
        Persist(account);
    }
    return b;
}

Result<PhoneSendResult> SimServer::PhoneSend(std::string_view phone, std::string_view to, std::string_view text,
                                             Addressing addressing, std::string id) {
    return PhoneSendText(phone, to, text, addressing, std::move(id), SendFanout::kAllDevices, Persistence::kNow);
}

Result<PhoneSendResult> SimServer::PhoneSendText(std::string_view phone, std::string_view to, std::string_view text,
                                                 Addressing addressing, std::string id, SendFanout fanout,
                                                 Persistence persistence) {
    if (text.empty()) return MakeError("bad_request", "text must not be empty");
    wa::Message message;
    message.set_conversation(std::string(text));
    return PhoneSendMessage(phone, to, message, addressing, std::move(id), {"text", ""}, fanout, persistence);
}

Result<PhoneSendResult> SimServer::PhoneSendMessage(std::string_view phone, std::string_view to,
                                                    const wa::Message& message, Addressing addressing, std::string id,
                                                    StanzaKind kind, SendFanout fanout, Persistence persistence) {
    Account* me = MutableAccount(phone);
    if (!me) return MakeError("no_account", "no such account");
    Account* peer = nullptr;
    if (to.find('@') != std::string_view::npos) {
        auto jid = wa::ParseJid(to);
        if (jid && (jid->IsPnUser() || jid->IsLid())) peer = AccountForUser(jid->user, jid->IsLid());
    } else {
        std::string digits(to);
        if (digits.starts_with('+')) digits.erase(0, 1);
        peer = MutableAccount(digits);
    }
    if (!peer) return MakeError("no_recipient", "no account for '" + std::string(to) + "'");
    PhoneParty* party = Party(*me);
    if (!party) return MakeError("signal_error", "the phone has no Signal context");
    if (id.empty()) id = NewMessageId();

    const bool lid = addressing == Addressing::kLid;
    const std::string chat = wa::Jid::Make(lid ? peer->lid : peer->phone, lid ? wa::kServerLid : wa::kServerUser).ToString();
    const Bytes plain = wa::SerializeProto(message);
    wa::Message dsm;
    dsm.mutable_devicesentmessage()->set_destinationjid(chat);
    *dsm.mutable_devicesentmessage()->mutable_message() = message;
    const Bytes dsm_plain = wa::SerializeProto(dsm);

    PhoneSendResult result{id, {}};
    NodeList participants;
    auto encrypt_for = [&](Account& account, std::uint16_t device, const Bytes& payload) {
        auto enc = PhoneEncryptFor(*me, *party, account, device, payload, id);
        if (!enc) return;
        const std::string jid = DeviceJid(account, device, lid);
        if (!kind.mediatype.empty()) enc->attrs.Add("mediatype", kind.mediatype);
        participants.emplace_back("to", Attrs{{"jid", jid}}, NodeList{std::move(*enc)});
        result.devices.push_back(jid);
    };
    const bool all_devices = fanout == SendFanout::kAllDevices;
    if (peer != me && all_devices) encrypt_for(*peer, 0, plain);
    for (auto& [device, _] : peer->devices) encrypt_for(*peer, device, peer == me ? dsm_plain : plain);
    if (peer != me && all_devices) {
        for (auto& [device, _] : me->devices) encrypt_for(*me, device, dsm_plain);
    }
    if (persistence == Persistence::kNow) Persist(*me);
    if (participants.empty()) return MakeError("signal_error", "no device of the recipient could be encrypted to");

    RememberPhoneSent(*party, id, PhoneParty::Sent{chat, plain, kind.type, {}});
    spdlog::info("[sim] phone {} sends {} to {} ({} device(s))", me->phone, id, chat, result.devices.size());
    RouteMessage({me->phone, 0}, Node("message", Attrs{{"id", id}, {"to", chat}, {"type", kind.type}},
                                      NodeList{Node("participants", Attrs{}, std::move(participants))}));
    return result;
}

void SimServer::PhoneOnMessage(Account& me, const Node& message) {
    if (auto chat = wa::ParseJid(message.AttrOr("from", "")); chat && chat->IsGroup()) {
        return PhoneOnGroupMessage(me, message);
    }
    const std::string from(message.AttrOr("from", ""));
    const std::string id(message.AttrOr("id", ""));
    auto from_jid = wa::ParseJid(from);
    Account* sender = from_jid ? AccountForUser(from_jid->user, from_jid->IsLid()) : nullptr;
    PhoneParty* party = Party(me);
    if (!sender || !party) return;
    const Node* enc = nullptr;
    for (const Node* e : message.Children("enc")) {
        const auto type = e->AttrOr("type", "");
        if ((type == "pkmsg" || type == "msg") && e->ContentBytes()) {
            enc = e;
            break;
        }
    }
    if (!enc) return;  // nothing pairwise to decrypt (group traffic is not emulated)
    const DeviceKey sender_device{sender->phone, from_jid->device};
    const CipherKind kind = enc->AttrOr("type", "") == "pkmsg" ? CipherKind::kPkMsg : CipherKind::kMsg;
    auto padded = party->signal->Decrypt(AddressOf(*sender, from_jid->device), kind, *enc->ContentBytes());
    Persist(me);
    if (!padded) {
        if (padded.error().code == "signal_malformed") {
            spdlog::info("[sim] phone {}: dropped {} from {}: {}", me.phone, id, from, padded.error().message);
            return;  // a NACK in the real service, no retry
        }
        spdlog::info("[sim] phone {}: cannot decrypt {} from {}: {}", me.phone, id, from, padded.error().message);
        const int count = ++party->retries[{id, sender_device}];
        if (count <= kPhoneMaxRetries) PhoneSendRetryReceipt(me, message, count);
        return;
    }
    auto plain = UnpadPlaintext(*padded);
    auto parsed = plain ? wa::ParseProto<wa::Message>(*plain) : Result<wa::Message>(plain.error());
    if (!parsed) {
        spdlog::info("[sim] phone {}: dropped {} from {}: {}", me.phone, id, from, parsed.error().message);
        return;
    }
    InboxEntry entry;
    entry.id = id;
    entry.from = from;
    entry.chat = from_jid->ToNonAd().ToString();
    if (parsed->has_devicesentmessage()) entry.chat = parsed->devicesentmessage().destinationjid();
    std::tie(entry.type, entry.text) = Summarize(*parsed);
    PhoneOpenMedia(*parsed, entry);
    PhoneKeepMedia(*party, id, *parsed);
    entry.t = message.GetAttrInt("t").value_or(now());
    entry.count = static_cast<int>(enc->GetAttrInt("count").value_or(0));
    spdlog::info("[sim] phone {} received {} ({}) from {}", me.phone, id, entry.type, from);
    PushBounded(party->inbox, std::move(entry), kInboxMemory);
    if (sender == &me) return;  // an own companion's copy: its receipt ('sender') goes nowhere
    RouteReceipt({me.phone, 0}, Node("receipt", Attrs{{"id", id}, {"to", from}}));
}

void SimServer::PhoneSendRetryReceipt(Account& me, const Node& message, int count) {
    const std::string id(message.AttrOr("id", ""));
    const auto otk = IssuePhonePrekey(me);
    Persist(me);
    NodeList keys{Node("type", Attrs{}, Bytes{0x05}), Node("identity", Attrs{}, crypto::ToBytes(me.identity.pub))};
    if (otk) {
        keys.emplace_back("key", Attrs{},
                          NodeList{Node("id", Attrs{}, Be(otk->id, 3)), Node("value", Attrs{}, crypto::ToBytes(otk->pub))});
    }
    keys.emplace_back("skey", Attrs{},
                      NodeList{Node("id", Attrs{}, Be(me.signed_prekey.id, 3)),
                               Node("value", Attrs{}, crypto::ToBytes(me.signed_prekey.pub)),
                               Node("signature", Attrs{}, me.signed_prekey.signature)});
    Attrs attrs{{"id", id}, {"to", std::string(message.AttrOr("from", ""))}, {"type", "retry"}};
    if (auto r = message.GetAttr("recipient")) attrs.Add("recipient", std::string(*r));
    if (auto p = message.GetAttr("participant")) attrs.Add("participant", std::string(*p));  // a group's sender
    const std::string t(message.AttrOr("t", std::to_string(now())));
    spdlog::info("[sim] phone {} asks for {} again (retry {})", me.phone, id, count);
    RouteReceipt({me.phone, 0},
                 Node("receipt", std::move(attrs),
                      NodeList{Node("retry", Attrs{{"count", std::to_string(count)}, {"id", id}, {"t", t}, {"v", "1"},
                                                   {"error", "0"}}),
                               Node("registration", Attrs{}, Be(me.registration_id, 4)),
                               Node("keys", Attrs{}, std::move(keys))}));
}

void SimServer::PhoneOnReceipt(Account& me, const Node& receipt) {
    PhoneParty* party = Party(me);
    if (!party) return;
    const std::string type(receipt.AttrOr("type", ""));
    std::vector<std::string> ids{std::string(receipt.AttrOr("id", ""))};
    if (const Node* list = receipt.Child("list")) {
        for (const Node* item : list->Children("item")) ids.emplace_back(item->AttrOr("id", ""));
    }
    int count = 0;
    if (const Node* retry = receipt.Child("retry")) count = static_cast<int>(retry->GetAttrInt("count").value_or(0));
    // In a group the receipting device is `participant` (§18.5).
    const std::string from(receipt.AttrOr("participant", receipt.AttrOr("from", "")));
    for (const auto& id : ids) {
        if (!party->sent.count(id)) continue;
        PushBounded(party->receipts, PhoneReceipt{id, from, type, count}, kReceiptMemory);
    }
    if (type == "retry") PhoneAnswerRetry(me, *party, receipt);
}

void SimServer::PhoneAnswerRetry(Account& me, PhoneParty& party, const Node& receipt) {
    const std::string id(receipt.AttrOr("id", ""));
    auto it = party.sent.find(id);
    if (it == party.sent.end()) return;  // forgotten: the receipt was acked, nothing more
    // A group's retry names the retrying device in `participant` (§18.5).
    const auto chat = wa::ParseJid(it->second.chat);
    const bool group = chat && chat->IsGroup();
    auto from = wa::ParseJid(receipt.AttrOr(group ? "participant" : "from", ""));
    Account* peer = from ? AccountForUser(from->user, from->IsLid()) : nullptr;
    if (!peer || (from->device != 0 && !peer->devices.count(from->device))) return;
    const std::uint16_t device = from->device;
    int& answered = it->second.answered[{peer->phone, device}];
    if (answered >= kPhoneMaxRetries) {
        spdlog::info("[sim] phone {}: no more resends of {} to {}:{}", me.phone, id, peer->phone, device);
        return;
    }
    ++answered;
    const PeerAddress address = AddressOf(*peer, device);
    std::optional<PeerBundle> bundle = BundleFromKeys(receipt);
    if (!bundle) bundle = StoredBundle(*peer, device);
    if (!bundle) return;
    if (auto r = party.signal->StartSession(address, *bundle); !r) {
        spdlog::warn("[sim] phone {}: cannot rebuild the session with {}: {}", me.phone, from->ToString(), r.error().message);
        return;
    }
    const bool own = peer == &me && !group;
    Bytes payload = it->second.message;
    if (group) {
        // The body again with the current sender key (§8.1): the device may have missed the SKDM.
        auto skdm = party.signal->OwnSenderKeyDistribution(it->second.chat, AddressOf(me, 0));
        if (!skdm) return;
        auto message = wa::ParseProto<wa::Message>(payload).value();
        message.mutable_senderkeydistributionmessage()->set_groupid(it->second.chat);
        message.mutable_senderkeydistributionmessage()->set_axolotlsenderkeydistributionmessage(
            std::string(skdm->begin(), skdm->end()));
        payload = wa::SerializeProto(message);
        party.sender_key_holders[it->second.chat].insert({peer->phone, device});
    } else if (own) {
        auto message = wa::ParseProto<wa::Message>(payload).value();
        wa::Message dsm;
        dsm.mutable_devicesentmessage()->set_destinationjid(it->second.chat);
        *dsm.mutable_devicesentmessage()->mutable_message() = std::move(message);
        payload = wa::SerializeProto(dsm);
    }
    auto ct = party.signal->Encrypt(address, PadPlaintext(payload));
    Persist(me);
    if (!ct) {
        spdlog::warn("[sim] phone {}: cannot encrypt the resend of {}: {}", me.phone, id, ct.error().message);
        return;
    }
    int count = 1;
    if (const Node* retry = receipt.Child("retry")) count = static_cast<int>(retry->GetAttrInt("count").value_or(1));
    Attrs attrs{{"id", id}, {"to", DeviceJid(*peer, device, from->IsLid())}, {"type", it->second.type},
                {"device_fanout", "false"}};
    if (group) attrs = Attrs{{"id", id}, {"to", it->second.chat}, {"participant", DeviceJid(*peer, device, from->IsLid())},
                             {"type", it->second.type}};
    if (own) attrs.Add("recipient", it->second.chat);
    spdlog::info("[sim] phone {} resends {} to {} (retry {})", me.phone, id, from->ToString(), count);
    Node resend("message", std::move(attrs),
                NodeList{Node("enc",
                              Attrs{{"v", "2"},
                                    {"type", ct->kind == CipherKind::kPkMsg ? "pkmsg" : "msg"},
                                    {"count", std::to_string(count)}},
                              std::move(ct->bytes))});
    if (group) return RouteGroupMessage({me.phone, 0}, resend);
    RouteMessage({me.phone, 0}, resend);
}

Result<std::vector<InboxEntry>> SimServer::PhoneInbox(std::string_view phone) {
    Account* me = MutableAccount(phone);
    if (!me) return MakeError("no_account", "no such account");
    PhoneParty* party = Party(*me);
    if (!party) return std::vector<InboxEntry>{};
    return std::vector<InboxEntry>(party->inbox.begin(), party->inbox.end());
}

Result<std::vector<PhoneReceipt>> SimServer::PhoneReceipts(std::string_view phone) {
    Account* me = MutableAccount(phone);
    if (!me) return MakeError("no_account", "no such account");
    PhoneParty* party = Party(*me);
    if (!party) return std::vector<PhoneReceipt>{};
    return std::vector<PhoneReceipt>(party->receipts.begin(), party->receipts.end());
}

Result<void> SimServer::PhoneRead(std::string_view phone, std::string_view chat, const std::vector<std::string>& ids) {
    Account* me = MutableAccount(phone);
    if (!me) return MakeError("no_account", "no such account");
    auto chat_jid = wa::ParseJid(chat);
    if (chat_jid && chat_jid->IsGroup() && !ids.empty()) return PhoneReadGroup(*me, chat_jid->ToString(), ids);
    if (!chat_jid || !chat_jid->IsUserServer() || ids.empty()) {
        return MakeError("bad_request", "'chat' must be a user or group JID and 'ids' a non-empty list");
    }
    Account* peer = AccountForUser(chat_jid->user, chat_jid->IsLid());
    PhoneParty* party = Party(*me);
    if (!peer || !party) return MakeError("no_message", "no such message in the phone's inbox");
    std::size_t found = 0;
    for (const auto& id : ids) {
        // The newest copy of that id from a device of the chat's account.
        for (auto e = party->inbox.rbegin(); e != party->inbox.rend(); ++e) {
            auto from = wa::ParseJid(e->from);
            if (e->id != id || !from || AccountForUser(from->user, from->IsLid()) != peer) continue;
            RouteReceipt({me->phone, 0}, Node("receipt", Attrs{{"id", id}, {"to", e->from}, {"type", "read"},
                                                               {"t", std::to_string(now())}}));
            ++found;
            break;
        }
    }
    if (found == 0) return MakeError("no_message", "no such message in the phone's inbox");
    return {};
}

Result<void> SimServer::BreakNext(std::string_view phone, std::string_view device_jid) {
    Account* me = MutableAccount(phone);
    if (!me) return MakeError("no_account", "no such account");
    auto jid = wa::ParseJid(device_jid);
    Account* peer = jid && (jid->IsPnUser() || jid->IsLid()) ? AccountForUser(jid->user, jid->IsLid()) : nullptr;
    if (!peer || (jid->device != 0 && !peer->devices.count(jid->device))) {
        return MakeError("no_device", "no such device: " + std::string(device_jid));
    }
    PhoneParty* party = Party(*me);
    if (!party) return MakeError("signal_error", "the phone has no Signal context");
    party->break_next.insert({peer->phone, jid->device});
    return {};
}

}  // namespace wadesk::sim
