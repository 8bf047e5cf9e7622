#include "whatsapp/client/connection_impl.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"

namespace wadesk::wa {

using namespace detail;

Result<std::string> Connection::Impl::SendText(std::string_view to, std::string_view text) {
    if (phase != Phase::kConnected) return MakeError("not_connected", "session is not connected");
    auto peer = ParseJid(to);
    if (!peer || !peer->IsUserServer()) return MakeError("bad_jid", "recipient must be a user JID");
    auto job = std::make_shared<SendJob>();
    job->id = NewMessageId();
    job->peer = peer->ToNonAd();
    job->message.set_conversation(std::string(text));
    auto own = ParseJid(creds.me->jid);
    if (!own) return MakeError("bad_credentials", "own JID is malformed");
    const Jid own_user = own->ToNonAd();
    if (job->peer != own_user) job->peer = signal.lid_map().ToLid(job->peer);  // LID (§13): by LID when known

    NodeList users{Node("user", {{"jid", own_user.ToString()}})};
    if (job->peer != own_user) users.push_back(Node("user", {{"jid", job->peer.ToString()}}));
    Node usync("usync",
               {{"context", "message"}, {"mode", "query"}, {"sid", iq_prefix + std::to_string(iq_counter++)},
                {"last", "true"}, {"index", "0"}},
               NodeList{Node("query", {}, NodeList{Node("devices", {{"version", "2"}}), Node("lid")}),
                        Node("list", {}, std::move(users))});
    SendIq(Node("iq", {{"xmlns", "usync"}, {"type", "get"}}, NodeList{std::move(usync)}),
           [this, job, own = *own](const Node* r) {
               if (!r || r->AttrOr("type", "") != "result") return events.OnSendAck(job->id, 500);
               const Node* list = r->Child("usync") ? r->Child("usync")->Child("list") : nullptr;
               if (!list) return events.OnSendAck(job->id, 500);
               for (const Node* user : list->Children("user")) {
                   signal.lid_map().LearnFromUsyncUser(*user);  // LID (§13 source 3)
                   auto user_jid = ParseJid(user->AttrOr("jid", ""));
                   const Node* devices = user->Child("devices");
                   const Node* device_list = devices ? devices->Child("device-list") : nullptr;
                   if (!user_jid || !device_list) continue;
                   for (const Node* d : device_list->Children("device")) {
                       auto dev = ParseInt(d->AttrOr("id", ""));
                       if (!dev || *dev < 0 || *dev > 0xFFFF) continue;
                       if (*dev != 0 && !d->GetAttr("key-index")) continue;
                       Jid device = Jid::Make(user_jid->user, user_jid->server, static_cast<std::uint16_t>(*dev));
                       if (device.user == own.user && device.device == own.device) continue;
                       job->devices.push_back(device);
                   }
               }
               FetchMissingSessions(job);
           });
    return Result<std::string>(boost::system::in_place_value, job->id);
}

void Connection::Impl::FetchMissingSessions(const std::shared_ptr<SendJob>& job) {
    NodeList users;
    for (const Jid& d : job->devices) {
        auto address = SignalAddressFromJid(d.ToString());
        if (address && !signal.HasSession(*address)) users.push_back(Node("user", {{"jid", d.ToString()}}));
    }
    if (users.empty()) return EncryptAndSend(job);
    SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{Node("key", {}, std::move(users))}),
           [this, job](const Node* r) {
               if (!r || r->AttrOr("type", "") != "result") return events.OnSendAck(job->id, 500);
               if (const Node* list = r->Child("list")) {
                   for (const Node* user : list->Children("user")) ProcessBundleNode(*user);
               }
               EncryptAndSend(job);
           });
}

void Connection::Impl::ProcessBundleNode(const Node& user) {
    auto address = SignalAddressFromJid(user.AttrOr("jid", ""));
    if (!address || user.Child("error")) return;
    auto bytes_of = [&](const Node* n) -> const Bytes* { return n ? n->ContentBytes() : nullptr; };
    const Node* skey = user.Child("skey");
    const Bytes* identity = bytes_of(user.Child("identity"));
    auto reg = FromBigEndian(bytes_of(user.Child("registration")));
    if (!skey || !identity || !reg) return;
    auto spk_id = FromBigEndian(bytes_of(skey->Child("id")));
    const Bytes* spk = bytes_of(skey->Child("value"));
    const Bytes* sig = bytes_of(skey->Child("signature"));
    if (!spk_id || !spk || !sig) return;
    PreKeyBundle bundle;
    bundle.registration_id = *reg;
    auto id_key = crypto::ToKey32(*identity);
    auto spk_key = crypto::ToKey32(*spk);
    if (!id_key || !spk_key) return;
    bundle.identity = *id_key;
    bundle.signed_pre_key_id = *spk_id;
    bundle.signed_pre_key = *spk_key;
    bundle.signed_pre_key_signature = *sig;
    if (const Node* key = user.Child("key")) {
        auto pk_id = FromBigEndian(bytes_of(key->Child("id")));
        const Bytes* pk = bytes_of(key->Child("value"));
        if (pk_id && pk) {
            if (auto pk_key = crypto::ToKey32(*pk)) bundle.pre_key = PreKeyPublic{*pk_id, *pk_key};
        }
    }
    if (auto r = signal.ProcessBundle(*address, bundle); !r)
        spdlog::warn("wa: bundle for {} rejected: {}", user.AttrOr("jid", ""), r.error().code);
}

void Connection::Impl::EncryptAndSend(const std::shared_ptr<SendJob>& job) {
    if (phase == Phase::kClosed) return;
    auto own = ParseJid(creds.me->jid);
    Message dsm;
    dsm.mutable_devicesentmessage()->set_destinationjid(job->peer.ToString());
    *dsm.mutable_devicesentmessage()->mutable_message() = job->message;
    const Bytes plain_peer = SerializeProto(job->message);
    const Bytes plain_own = SerializeProto(dsm);
    NodeList participants;
    bool any_pkmsg = false;
    for (const Jid& d : job->devices) {
        auto address = SignalAddressFromJid(d.ToString());
        if (!address || !signal.HasSession(*address)) continue;
        const bool own_device = own && d.user == own->user && d.server == own->server;
        auto ct = signal.Encrypt(*address, PadMessage(own_device ? plain_own : plain_peer));
        if (!ct) continue;
        any_pkmsg = any_pkmsg || ct->type == CiphertextType::kPkMsg;
        participants.push_back(
            Node("to", {{"jid", d.ToString()}},
                 NodeList{Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))}},
                               std::move(ct->bytes))}));
    }
    const bool peer_reached = std::any_of(participants.begin(), participants.end(), [&](const Node& n) {
        auto j = ParseJid(n.AttrOr("jid", ""));
        return j && j->user == job->peer.user;
    });
    if (!peer_reached) return events.OnSendAck(job->id, 404);
    Node message("message", {{"id", job->id}, {"to", job->peer.ToString()}, {"type", "text"}},
                 NodeList{Node("participants", {}, std::move(participants))});
    if (auto pn = signal.lid_map().AlternateUserJid(job->peer.ToString()); job->peer.IsLid() && !pn.empty())
        message.attrs.Set("peer_recipient_pn", pn);  // LID (§13): a LID send names the PN too
    if (any_pkmsg) message.AddChild(BytesNode("device-identity", creds.account));
    SendNode(message);
}

Result<void> Connection::MarkRead(std::string_view chat_jid, std::string_view sender_jid,
                                  const std::vector<std::string>& ids) {
    if (impl_->phase != Phase::kConnected) return MakeError("not_connected", "session is not connected");
    if (ids.empty()) return {};
    Node receipt("receipt", {{"id", ids.front()}, {"to", std::string(chat_jid)}, {"type", "read"},
                             {"t", std::to_string(NowSeconds())}});
    if (!sender_jid.empty() && sender_jid != chat_jid) receipt.attrs.Set("participant", std::string(sender_jid));
    if (ids.size() > 1) {
        NodeList items;
        for (std::size_t i = 1; i < ids.size(); ++i) items.push_back(Node("item", {{"id", ids[i]}}));
        receipt.AddChild(Node("list", {}, std::move(items)));
    }
    impl_->SendNode(receipt);
    return {};
}

}  // namespace wadesk::wa
