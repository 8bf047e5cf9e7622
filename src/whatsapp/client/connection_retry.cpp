// Answers to retry receipts (wa-protocol §8.1): a device that could not decrypt one of our sends
// asks for it again. What a send leaves behind for this (Impl::Send): the plaintext in its
// own-device form, Message{deviceSentMessage{destinationJid = chat, message}}, under
// store_keys::SentMessage(id); the answers given so far per requesting device under
// store_keys::SentRetries(id, device).
//
// The answer, for a receipt from a device JID ("user:5@s.whatsapp.net"):
//   1. a new Signal session with that device: from the receipt's <keys> when it has them, else
//      from a fresh bundle fetched with reason='identity' (the old session is deleted first when
//      <registration> says the device was re-registered);
//   2. the message re-encrypted for that one device, with the same id:
//        <message id to=<device> type='text' device_fanout='false' [recipient=<chat> for own devices]>
//          <enc v='2' type='pkmsg|msg' count=<the receipt's count>/>
//          [<device-identity/> when pkmsg]
//        </message>
// A receipt from a JID without a device part (a phone) re-sends the whole message, same id, to
// every device of the chat, as Baileys does. A group's retry (from the group, `participant` = the
// device) is answered with the body plus our sender key pairwise, as
//   <message id to=<gid> participant=<device> type='text'><enc count/></message>. At most kMaxRetryAnswers answers per (id, device);
// an unknown id (never ours, or pruned) is dropped. The receipt itself is acked by HandleReceipt.
#include "whatsapp/client/connection_impl.h"

#include <algorithm>

#include "core/log.h"

namespace wadesk::wa {

using namespace detail;

namespace {

// The kept plaintext: (chat, original message), or nullopt when it is missing or unreadable.
std::optional<std::pair<Jid, Message>> LoadSent(CredentialStore& store, const std::string& id) {
    auto kept = store.Get(store_keys::SentMessage(id));
    if (!kept) return std::nullopt;
    auto parsed = ParseProto<Message>(*kept);
    if (!parsed || !parsed->has_devicesentmessage()) return std::nullopt;
    auto chat = ParseJid(parsed->devicesentmessage().destinationjid());
    if (!chat) return std::nullopt;
    return std::make_pair(*chat, parsed->devicesentmessage().message());
}

// True when the JID text names no device ("user@server", not "user:0@server").
bool DeviceLess(std::string_view jid) {
    const auto at = jid.find('@');
    return jid.substr(0, at).find(':') == std::string_view::npos;
}

}  // namespace

void Connection::Impl::HandleRetryReceipt(const Node& receipt) {
    if (phase != Phase::kConnected || !creds.me) return;
    const std::string id(receipt.AttrOr("id", ""));
    std::string from(receipt.AttrOr("from", ""));
    // A group's retry names the retrying device in `participant` (§18.5).
    if (auto chat = ParseJid(from); chat && chat->IsGroup()) from = std::string(receipt.AttrOr("participant", ""));
    auto from_jid = ParseJid(from);
    if (id.empty() || !from_jid || !from_jid->IsUserServer()) return;
    auto address = SignalAddressFromJid(from);
    if (!address) return;
    auto sent = LoadSent(store, id);
    if (!sent) {
        spdlog::info("wa: retry receipt for unknown message {} from {}", id, from);
        return;
    }
    const Node* retry = receipt.Child("retry");
    const int count = static_cast<int>(
        std::clamp<std::int64_t>(ParseInt(retry ? retry->AttrOr("count", "1") : "1").value_or(1), 1, 255));

    // The bound, per (message id, requesting device).
    const std::string counter_key = store_keys::SentRetries(id, from_jid->ToString());
    auto answered_bytes = store.Get(counter_key);
    const int answered = answered_bytes && answered_bytes->size() == 1 ? (*answered_bytes)[0] : 0;
    if (answered >= kMaxRetryAnswers) {
        spdlog::info("wa: retry receipt {} for {} from {} ignored: answered {} times", count, id, from, answered);
        return;
    }
    store.Put(counter_key, Bytes{static_cast<std::uint8_t>(answered + 1)});

    auto registration = [&]() -> std::optional<std::uint32_t> {
        const Node* reg = receipt.Child("registration");
        return FromBigEndian(reg ? reg->ContentBytes() : nullptr);
    }();
    const auto& [chat, message] = *sent;

    // 1. The session: from <keys>, else a fresh bundle (fetched below).
    bool have_session = false;
    if (const Node* keys = receipt.Child("keys")) {
        if (auto bundle = ParseBundle(*keys, registration)) {
            if (auto r = signal.ProcessBundle(*address, *bundle); r) {
                have_session = true;
            } else {
                spdlog::warn("wa: retry keys from {} rejected: {}", from, r.error().code);
            }
        }
    }
    if (!have_session && registration && signal.RemoteRegistrationId(*address) != registration)
        signal.DeleteSession(*address);

    if (DeviceLess(from)) {
        // A phone: the whole message again, to every device of the chat. Without keys the session
        // is rebuilt from a fresh bundle (FetchMissingSessions fetches what is missing).
        if (!have_session) signal.DeleteSession(*address);
        auto job = std::make_shared<SendJob>();
        job->id = id;
        job->peer = chat;
        job->message = message;
        spdlog::info("wa: retry receipt {} for {} from {}: re-sending to every device", count, id, from);
        return StartSendJob(job);
    }
    const std::string device_text = from_jid->ToString();
    if (have_session) return ResendToDevice(id, chat, message, *from_jid, device_text, count);

    Node key("key", {}, NodeList{Node("user", {{"jid", device_text}, {"reason", "identity"}})});
    SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{std::move(key)}),
           [this, id, chat = chat, message = message, device = *from_jid, device_text, count](const Node* r) {
               if (!r || r->AttrOr("type", "") != "result") {
                   spdlog::warn("wa: retry for {}: no bundle for {}", id, device_text);
                   return;
               }
               auto address = SignalAddressFromJid(device_text);
               if (!address) return;
               if (const Node* list = r->Child("list")) {
                   for (const Node* user : list->Children("user")) {
                       if (user->Child("error")) continue;
                       auto bundle = ParseBundle(*user, std::nullopt);
                       if (!bundle) continue;
                       if (auto ok = signal.ProcessBundle(*address, *bundle); !ok)
                           spdlog::warn("wa: retry bundle for {} rejected: {}", device_text, ok.error().code);
                   }
               }
               ResendToDevice(id, chat, message, device, device_text, count);
           });
}

void Connection::Impl::ResendToDevice(const std::string& id, const Jid& chat, const Message& message,
                                      const Jid& device, const std::string& device_text, int count) {
    if (phase != Phase::kConnected) return;
    auto address = SignalAddressFromJid(device_text);
    if (!address || !signal.HasSession(*address)) {
        spdlog::warn("wa: retry for {}: no session with {}", id, device_text);
        return;
    }
    const bool group = chat.IsGroup();
    const bool own_device = IsOwnUser(creds, device) && !group;  // a group has no DSM
    Bytes plain;
    if (group) {
        // The body with our current sender key (§8.1): the device may have missed the SKDM.
        auto own = ParseJid(device.IsLid() && !creds.me->lid.empty() ? creds.me->lid : creds.me->jid);
        auto self = own ? SignalAddressFromJid(own->ToString()) : Result<SignalAddress>(MakeError("bad_jid", ""));
        auto skdm = self ? signal.OwnSenderKeyDistribution(chat.ToString(), *self) : Result<Bytes>(self.error());
        Message with_key = message;
        if (skdm) {
            with_key.mutable_senderkeydistributionmessage()->set_groupid(chat.ToString());
            with_key.mutable_senderkeydistributionmessage()->set_axolotlsenderkeydistributionmessage(
                std::string(skdm->begin(), skdm->end()));
        }
        plain = SerializeProto(with_key);
    } else if (own_device) {
        Message dsm;
        dsm.mutable_devicesentmessage()->set_destinationjid(chat.ToString());
        *dsm.mutable_devicesentmessage()->mutable_message() = message;
        plain = SerializeProto(dsm);
    } else {
        plain = SerializeProto(message);
    }
    auto ct = signal.Encrypt(*address, PadMessage(plain));
    if (!ct) {
        spdlog::warn("wa: retry for {}: encryption for {} failed: {}", id, device_text, ct.error().code);
        return;
    }
    const bool pkmsg = ct->type == CiphertextType::kPkMsg;
    Node out("message",
             group ? Attrs{{"id", id}, {"to", chat.ToString()}, {"participant", device_text}, {"type", "text"}}
                   : Attrs{{"id", id}, {"to", device_text}, {"type", "text"}, {"device_fanout", "false"}},
             NodeList{Node("enc",
                           {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))},
                            {"count", std::to_string(count)}},
                           std::move(ct->bytes))});
    if (own_device) out.attrs.Set("recipient", chat.ToString());
    if (pkmsg) out.AddChild(BytesNode("device-identity", creds.account));
    spdlog::info("wa: retry receipt {} for {}: re-sent to {}", count, id, device_text);
    SendNode(out);
}

}  // namespace wadesk::wa
