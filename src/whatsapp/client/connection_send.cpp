#include "whatsapp/client/connection_impl.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"

namespace wadesk::wa {

using namespace detail;

Result<std::string> Connection::Impl::Send(const OutgoingText& out) {
    if (phase != Phase::kConnected) return MakeError("not_connected", "session is not connected");
    auto peer = ParseJid(out.to);
    if (!peer || !(peer->IsUserServer() || (peer->IsGroup() && !peer->user.empty())))
        return MakeError("bad_jid", "recipient must be a user or group JID");
    auto job = std::make_shared<SendJob>();
    job->id = out.id.empty() ? NewMessageId() : out.id;
    if (!started_sends.insert(job->id).second) return Result<std::string>(boost::system::in_place_value, job->id);
    job->peer = peer->ToNonAd();
    // A reply carries the quote in its contextInfo: an extendedTextMessage for text, the media
    // message's own contextInfo for a file.
    auto quote = [&out](ContextInfo* context) {
        if (!context || !out.quote) return;
        context->set_stanzaid(out.quote->stanza_id);
        auto participant = ParseJid(out.quote->participant);
        context->set_participant(participant ? participant->ToNonAd().ToString() : out.quote->participant);
        context->mutable_quotedmessage()->set_conversation(out.quote->text);
    };
    if (out.content) {
        job->message = *out.content;
        job->mediatype = out.mediatype;
        quote(MutableMediaContext(job->message));
    } else if (out.quote) {
        auto* ext = job->message.mutable_extendedtextmessage();
        ext->set_text(out.text);
        quote(ext->mutable_contextinfo());
    } else {
        job->message.set_conversation(out.text);
    }
    // Kept for retry receipts as the own-device form: it carries the chat and the message.
    Message kept;
    kept.mutable_devicesentmessage()->set_destinationjid(job->peer.ToString());
    *kept.mutable_devicesentmessage()->mutable_message() = job->message;
    store.Put(store_keys::SentMessage(job->id), SerializeProto(kept));
    StartSendJob(job);
    return Result<std::string>(boost::system::in_place_value, job->id);
}

void Connection::Impl::StartSendJob(const std::shared_ptr<SendJob>& job) {
    if (job->peer.IsGroup()) return StartGroupSend(job);
    auto own = ParseJid(creds.me ? creds.me->jid : "");
    if (!own) return events.OnSendFailed(job->id, "bad_credentials");
    const Jid own_user = own->ToNonAd();
    if (job->peer != own_user) job->peer = signal.lid_map().ToLid(job->peer);  // LID (§13): by LID when known

    NodeList users{Node("user", {{"jid", own_user.ToString()}})};
    if (job->peer != own_user) users.push_back(Node("user", {{"jid", job->peer.ToString()}}));
    // A closed connection drops this callback: the send is then neither done nor failed.
    SendIq(DevicesUsync(std::move(users)), [this, job, own = *own](const Node* r) {
               auto devices = UsyncDevices(r, own, /*skip_hosted=*/false);
               if (!devices) return events.OnSendFailed(job->id, "usync_failed");
               job->devices = std::move(*devices);
               const bool peer_listed = std::any_of(job->devices.begin(), job->devices.end(),
                                                    [&](const Jid& d) { return d.user == job->peer.user; });
               if (!peer_listed) return events.OnSendFailed(job->id, "no_devices");
               FetchMissingSessions(job);
           });
}

Node Connection::Impl::DevicesUsync(NodeList users) {
    Node usync("usync",
               {{"context", "message"}, {"mode", "query"}, {"sid", iq_prefix + std::to_string(iq_counter++)},
                {"last", "true"}, {"index", "0"}},
               NodeList{Node("query", {}, NodeList{Node("devices", {{"version", "2"}}), Node("lid")}),
                        Node("list", {}, std::move(users))});
    return Node("iq", {{"xmlns", "usync"}, {"type", "get"}}, NodeList{std::move(usync)});
}

std::optional<std::vector<Jid>> Connection::Impl::UsyncDevices(const Node* response, const Jid& own, bool skip_hosted) {
    if (!response || response->AttrOr("type", "") != "result") return std::nullopt;
    const Node* list = response->Child("usync") ? response->Child("usync")->Child("list") : nullptr;
    if (!list) return std::nullopt;
    std::vector<Jid> out;
    for (const Node* user : list->Children("user")) {
        signal.lid_map().LearnFromUsyncUser(*user);  // LID (§13 source 3)
        auto user_jid = ParseJid(user->AttrOr("jid", ""));
        const Node* devices = user->Child("devices");
        const Node* device_list = devices ? devices->Child("device-list") : nullptr;
        if (!user_jid || !device_list) continue;
        for (const Node* d : device_list->Children("device")) {
            auto dev = ParseInt(d->AttrOr("id", ""));
            if (!dev || *dev < 0 || *dev > 0xFFFF || (skip_hosted && *dev == kHostedDevice)) continue;
            if (*dev != 0 && !d->GetAttr("key-index")) continue;
            Jid device = Jid::Make(user_jid->user, user_jid->server, static_cast<std::uint16_t>(*dev));
            if (device.user == own.user && device.device == own.device) continue;
            out.push_back(device);
        }
    }
    return out;
}

void Connection::Impl::FetchMissingSessions(const std::shared_ptr<SendJob>& job) {
    NodeList users;
    for (const Jid& d : job->devices) {
        auto address = SignalAddressFromJid(d.ToString());
        if (address && !signal.HasSession(*address)) users.push_back(Node("user", {{"jid", d.ToString()}}));
    }
    if (users.empty()) return job->peer.IsGroup() ? EncryptAndSendGroup(job) : EncryptAndSend(job);
    SendIq(Node("iq", {{"xmlns", "encrypt"}, {"type", "get"}}, NodeList{Node("key", {}, std::move(users))}),
           [this, job](const Node* r) {
               if (!r || r->AttrOr("type", "") != "result") return events.OnSendFailed(job->id, "key_fetch_failed");
               if (const Node* list = r->Child("list")) {
                   for (const Node* user : list->Children("user")) ProcessBundleNode(*user);
               }
               if (job->peer.IsGroup()) return EncryptAndSendGroup(job);
               EncryptAndSend(job);
           });
}

std::optional<PreKeyBundle> Connection::Impl::ParseBundle(const Node& keys,
                                                          std::optional<std::uint32_t> registration) {
    auto bytes_of = [&](const Node* n) -> const Bytes* { return n ? n->ContentBytes() : nullptr; };
    const Node* skey = keys.Child("skey");
    const Bytes* identity = bytes_of(keys.Child("identity"));
    auto reg = registration ? registration : FromBigEndian(bytes_of(keys.Child("registration")));
    if (!skey || !identity || !reg) return std::nullopt;
    auto spk_id = FromBigEndian(bytes_of(skey->Child("id")));
    const Bytes* spk = bytes_of(skey->Child("value"));
    const Bytes* sig = bytes_of(skey->Child("signature"));
    if (!spk_id || !spk || !sig) return std::nullopt;
    // A key may come with the 0x05 type prefix (33 bytes); the bundle holds the raw 32.
    auto key32 = [](const Bytes& b) {
        if (b.size() == 33 && b[0] == 5) return crypto::ToKey32(BytesView(b.data() + 1, 32));
        return crypto::ToKey32(b);
    };
    PreKeyBundle bundle;
    bundle.registration_id = *reg;
    auto id_key = key32(*identity);
    auto spk_key = key32(*spk);
    if (!id_key || !spk_key) return std::nullopt;
    bundle.identity = *id_key;
    bundle.signed_pre_key_id = *spk_id;
    bundle.signed_pre_key = *spk_key;
    bundle.signed_pre_key_signature = *sig;
    if (const Node* key = keys.Child("key")) {
        auto pk_id = FromBigEndian(bytes_of(key->Child("id")));
        const Bytes* pk = bytes_of(key->Child("value"));
        if (pk_id && pk) {
            if (auto pk_key = key32(*pk)) bundle.pre_key = PreKeyPublic{*pk_id, *pk_key};
        }
    }
    return bundle;
}

void Connection::Impl::ProcessBundleNode(const Node& user) {
    auto address = SignalAddressFromJid(user.AttrOr("jid", ""));
    if (!address || user.Child("error")) return;
    auto bundle = ParseBundle(user, std::nullopt);
    if (!bundle) return;
    if (auto r = signal.ProcessBundle(*address, *bundle); !r)
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
    bool peer_has_session = false;
    bool peer_reached = false;
    for (const Jid& d : job->devices) {
        auto address = SignalAddressFromJid(d.ToString());
        if (!address || !signal.HasSession(*address)) continue;
        const bool own_device = own && d.user == own->user && d.server == own->server;
        peer_has_session = peer_has_session || d.user == job->peer.user;
        auto ct = signal.Encrypt(*address, PadMessage(own_device ? plain_own : plain_peer));
        if (!ct) continue;
        peer_reached = peer_reached || d.user == job->peer.user;
        any_pkmsg = any_pkmsg || ct->type == CiphertextType::kPkMsg;
        Node enc("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))}}, std::move(ct->bytes));
        if (!job->mediatype.empty()) enc.attrs.Set("mediatype", job->mediatype);
        participants.push_back(Node("to", {{"jid", d.ToString()}}, NodeList{std::move(enc)}));
    }
    if (!peer_has_session) return events.OnSendFailed(job->id, "key_fetch_failed");
    if (!peer_reached) return events.OnSendFailed(job->id, "encryption_failed");
    Node message("message", {{"id", job->id}, {"to", job->peer.ToString()}, {"type", job->mediatype.empty() ? "text" : "media"}},
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
