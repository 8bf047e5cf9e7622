// The emulated phones in groups (wa-protocol §18.3, §18.4): a phone sends a text to a group with
// its own sender key — the SenderKeyDistributionMessage pairwise to each member device that does
// not hold the current key yet (every device of every member, its own companions included, never
// itself), the body once as an skmsg — and decrypts what members send (the pairwise SKDM first,
// then the skmsg) into its inbox with a group delivery receipt. A missing sender key gets a retry
// receipt naming the sender device in `participant`; the retry is answered with the body and the
// SKDM pairwise (phone_messaging.cpp). The sender key is renewed after a member leaves or is
// removed (groups.cpp), and the new one goes only to the remaining members.
//
// Sender keys are named by (group JID, the sender's LID address `<lid>_1`, device).
#include <spdlog/spdlog.h>

#include "sim/phone_util.h"
#include "sim/server.h"
#include "whatsapp/binary/jid.h"

namespace wadesk::sim {
using wa::Attrs;
using wa::Node;
using wa::NodeList;

Result<PhoneSendResult> SimServer::PhoneGroupSend(std::string_view phone, std::string_view group_jid,
                                                  std::string_view text, std::string id) {
    Account* me = MutableAccount(phone);
    if (!me) return MakeError("no_account", "no such account");
    if (text.empty()) return MakeError("bad_request", "text must not be empty");
    Group* g = FindGroup(group_jid);
    if (!g) return MakeError("no_group", "no such group");
    if (!g->members.count(me->phone)) return MakeError("not_participant", "the phone is not a member of the group");
    PhoneParty* party = Party(*me);
    if (!party) return MakeError("signal_error", "the phone has no Signal context");
    if (id.empty()) id = NewMessageId();
    const std::string gid = wa::Jid::Group(g->id).ToString();
    const PeerAddress self = AddressOf(*me, 0);

    auto skdm = party->signal->OwnSenderKeyDistribution(gid, self);
    if (!skdm) return skdm.error();
    wa::Message key_message;
    key_message.mutable_senderkeydistributionmessage()->set_groupid(gid);
    key_message.mutable_senderkeydistributionmessage()->set_axolotlsenderkeydistributionmessage(
        std::string(skdm->begin(), skdm->end()));
    const Bytes key_plain = wa::SerializeProto(key_message);

    PhoneSendResult result{id, {}};
    NodeList participants;
    auto& holders = party->sender_key_holders[gid];
    for (const auto& [member_phone, _] : g->members) {
        Account* member = MutableAccount(member_phone);
        if (!member) continue;
        std::vector<std::uint16_t> devices{0};
        for (const auto& [device, __] : member->devices) devices.push_back(device);
        for (const std::uint16_t device : devices) {
            if ((member == me && device == 0) || holders.count({member->phone, device})) continue;
            auto enc = PhoneEncryptFor(*me, *party, *member, device, key_plain, id);
            if (!enc) continue;
            const std::string jid = DeviceJid(*member, device, /*lid=*/true);
            participants.emplace_back("to", Attrs{{"jid", jid}}, NodeList{std::move(*enc)});
            holders.insert({member->phone, device});
            result.devices.push_back(jid);
        }
    }
    wa::Message message;
    message.set_conversation(std::string(text));
    const Bytes plain = wa::SerializeProto(message);
    auto skmsg = party->signal->GroupEncrypt(gid, self, PadPlaintext(plain));
    Persist(*me);
    if (!skmsg) return skmsg.error();

    RememberPhoneSent(*party, id, PhoneParty::Sent{gid, plain, "text", {}});
    NodeList children;
    if (!participants.empty()) children.emplace_back("participants", Attrs{}, std::move(participants));
    children.emplace_back("enc", Attrs{{"v", "2"}, {"type", "skmsg"}}, std::move(*skmsg));
    spdlog::info("[sim] phone {} sends {} to group {} (key to {} device(s))", me->phone, id, gid, result.devices.size());
    RouteGroupMessage({me->phone, 0}, Node("message", Attrs{{"id", id}, {"to", gid}, {"type", "text"},
                                                            {"addressing_mode", "lid"}},
                                           std::move(children)));
    return result;
}

void SimServer::PhoneOnGroupMessage(Account& me, const Node& message) {
    const std::string gid(message.AttrOr("from", ""));
    const std::string id(message.AttrOr("id", ""));
    const std::string participant(message.AttrOr("participant", ""));
    auto sender_jid = wa::ParseJid(participant);
    Account* sender = sender_jid && (sender_jid->IsPnUser() || sender_jid->IsLid())
                          ? AccountForUser(sender_jid->user, sender_jid->IsLid())
                          : nullptr;
    PhoneParty* party = Party(me);
    if (!sender || !party) return;
    const PeerAddress sender_address = AddressOf(*sender, sender_jid->device);
    const DeviceKey sender_device{sender->phone, sender_jid->device};

    std::optional<wa::Message> content;
    int count = 0;
    std::optional<Error> failure;
    for (const Node* enc : message.Children("enc")) {
        const std::string type(enc->AttrOr("type", ""));
        const Bytes* bytes = enc->ContentBytes();
        if (!bytes) continue;
        count = std::max(count, static_cast<int>(enc->GetAttrInt("count").value_or(0)));
        Result<Bytes> padded = MakeError("signal_malformed", "unknown enc type");
        if (type == "pkmsg" || type == "msg") {
            padded = party->signal->Decrypt(sender_address, type == "pkmsg" ? CipherKind::kPkMsg : CipherKind::kMsg, *bytes);
        } else if (type == "skmsg") {
            padded = party->signal->GroupDecrypt(gid, sender_address, *bytes);
        } else {
            continue;
        }
        auto plain = padded ? UnpadPlaintext(*padded) : Result<Bytes>(padded.error());
        auto parsed = plain ? wa::ParseProto<wa::Message>(*plain) : Result<wa::Message>(plain.error());
        if (!parsed) {
            if (type != "skmsg" && content) continue;
            failure = parsed.error();
            continue;
        }
        if (parsed->has_senderkeydistributionmessage()) {
            const auto& skdm = parsed->senderkeydistributionmessage();
            if (skdm.groupid() == gid) {
                const auto& raw = skdm.axolotlsenderkeydistributionmessage();
                if (auto r = party->signal->ProcessSenderKeyDistribution(gid, sender_address,
                                                                         Bytes(raw.begin(), raw.end()));
                    !r) {
                    spdlog::info("[sim] phone {}: bad sender key from {} in {}: {}", me.phone, participant, gid,
                                 r.error().message);
                }
            }
            parsed->clear_senderkeydistributionmessage();
        }
        if (Summarize(*parsed).first != "unsupported") {
            content = std::move(*parsed);
            failure.reset();
        }
    }
    Persist(me);
    if (!content) {
        if (!failure) return;  // a key distribution alone
        spdlog::info("[sim] phone {}: cannot decrypt {} in {} from {}: {}", me.phone, id, gid, participant,
                     failure->message);
        if (failure->code == "signal_malformed") return;
        const int retries = ++party->retries[{id, sender_device}];
        if (retries <= kPhoneMaxRetries) PhoneSendRetryReceipt(me, message, retries);
        return;
    }
    InboxEntry entry;
    entry.id = id;
    entry.from = participant;
    entry.chat = gid;
    std::tie(entry.type, entry.text) = Summarize(*content);
    entry.t = message.GetAttrInt("t").value_or(now());
    entry.count = count;
    spdlog::info("[sim] phone {} received {} ({}) in {} from {}", me.phone, id, entry.type, gid, participant);
    AddToInbox(*party, std::move(entry));
    if (sender == &me) return;  // an own companion's message: no receipt goes back
    RouteReceipt({me.phone, 0}, Node("receipt", Attrs{{"id", id}, {"to", gid}, {"participant", participant}}));
}

Result<void> SimServer::PhoneReadGroup(Account& me, const std::string& group, const std::vector<std::string>& ids) {
    PhoneParty* party = Party(me);
    if (!party) return MakeError("no_message", "no such message in the phone's inbox");
    std::size_t found = 0;
    for (const auto& id : ids) {
        for (auto e = party->inbox.rbegin(); e != party->inbox.rend(); ++e) {
            if (e->id != id || e->chat != group) continue;
            RouteReceipt({me.phone, 0}, Node("receipt", Attrs{{"id", id}, {"to", group}, {"participant", e->from},
                                                              {"type", "read"}, {"t", std::to_string(now())}}));
            ++found;
            break;
        }
    }
    if (found == 0) return MakeError("no_message", "no such message in the phone's inbox");
    return {};
}

}  // namespace wadesk::sim
