// Sending a text to a group (wa-protocol §18.3):
//   1. the group's metadata (w:g2 query): its members and addressing mode;
//   2. usync of every member's devices, in the group's domain;
//   3. our sender key for the group (libsignal, created on first use, named by our own device in
//      the group's domain); the devices that do not hold it yet — every device of every member,
//      our own other devices included, never the sending one — get its SenderKeyDistributionMessage
//      pairwise (a session fetched first where there is none);
//   4. the text once, as an skmsg:
//        <message id to=<gid> type='text' addressing_mode>
//          [<participants><to jid=<device>><enc type='pkmsg|msg'>SKDM</enc></to>…</participants>]
//          <enc v='2' type='skmsg'/>  [<device-identity/> when a pkmsg is in it]
//        </message>
// Who holds the key is kept under store_keys::SenderKeyHolders(group). When a user who held it is
// no longer a member (left or removed), the key is replaced by a new one before sending, so the
// former member cannot read what follows, and the new key goes to the remaining devices only.
#include "core/log.h"
#include "whatsapp/client/connection_impl.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace wadesk::wa {

using namespace detail;

namespace {

std::set<std::string> LoadHolders(CredentialStore& store, const std::string& group) {
    std::set<std::string> out;
    auto bytes = store.Get(store_keys::SenderKeyHolders(group));
    if (!bytes) return out;
    std::istringstream in(std::string(bytes->begin(), bytes->end()));
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.insert(line);
    return out;
}

void SaveHolders(CredentialStore& store, const std::string& group, const std::set<std::string>& holders) {
    std::string text;
    for (const auto& h : holders) text += h + "\n";
    store.Put(store_keys::SenderKeyHolders(group), AsBytes(text));
}

}  // namespace

void Connection::Impl::StartGroupSend(const std::shared_ptr<SendJob>& job) {
    const std::string group = job->peer.ToString();
    SendIq(Node("iq", {{"xmlns", "w:g2"}, {"type", "get"}, {"to", group}},
                NodeList{Node("query", {{"request", "interactive"}})}),
           [this, job, group](const Node* r) {
               const Node* meta = r && r->AttrOr("type", "") == "result" ? r->Child("group") : nullptr;
               if (!meta) return events.OnSendFailed(job->id, r ? "not_a_participant" : "group_metadata_failed");
               const bool lid_group = meta->AttrOr("addressing_mode", "pn") == "lid";
               job->lid_group = lid_group;
               NodeList users;
               std::set<std::string> members;
               for (const Node* p : meta->Children("participant")) {
                   auto jid = ParseJid(p->AttrOr("jid", ""));
                   if (!jid) continue;
                   if (auto pn = ParseJid(p->AttrOr("phone_number", "")); pn && jid->IsLid())
                       signal.lid_map().Learn(pn->user, jid->user);  // LID (§13 source 5)
                   members.insert(jid->ToNonAd().ToString());
                   users.push_back(Node("user", {{"jid", jid->ToNonAd().ToString()}}));
               }
               // Our own device as the group names it: its LID form in a LID group.
               auto own = ParseJid(lid_group && creds.me && !creds.me->lid.empty() ? creds.me->lid
                                                                                  : (creds.me ? creds.me->jid : ""));
               if (!own || users.empty()) return events.OnSendFailed(job->id, "no_devices");

               // A former member held our key: start a new one that it never gets.
               std::set<std::string> holders = LoadHolders(store, group);
               const bool member_gone = std::any_of(holders.begin(), holders.end(), [&](const std::string& h) {
                   auto d = ParseJid(h);
                   return !d || !members.count(d->ToNonAd().ToString());
               });
               auto self = SignalAddressFromJid(own->ToString());
               if (!self) return events.OnSendFailed(job->id, "bad_credentials");
               if (member_gone) {
                   spdlog::info("wa: a member left {}: a new sender key", group);
                   signal.DeleteSenderKey(group, *self);
                   holders.clear();
                   SaveHolders(store, group, holders);
               }

               SendIq(DevicesUsync(std::move(users)), [this, job, own = *own, holders](const Node* r) {
                   auto devices = UsyncDevices(r, own, /*skip_hosted=*/true);
                   if (!devices) return events.OnSendFailed(job->id, "usync_failed");
                   job->devices.clear();
                   for (const Jid& d : *devices)
                       if (!holders.count(d.ToString())) job->devices.push_back(d);
                   FetchMissingSessions(job);
               });
           });
}

void Connection::Impl::EncryptAndSendGroup(const std::shared_ptr<SendJob>& job) {
    if (phase == Phase::kClosed || !creds.me) return;
    const std::string group = job->peer.ToString();
    const bool lid_group = job->lid_group;
    auto own = ParseJid(lid_group && !creds.me->lid.empty() ? creds.me->lid : creds.me->jid);
    auto self = own ? SignalAddressFromJid(own->ToString()) : Result<SignalAddress>(MakeError("bad_jid", "no own JID"));
    if (!self) return events.OnSendFailed(job->id, "bad_credentials");
    auto skdm = signal.OwnSenderKeyDistribution(group, *self);
    if (!skdm) return events.OnSendFailed(job->id, "encryption_failed");
    Message key_message;
    key_message.mutable_senderkeydistributionmessage()->set_groupid(group);
    key_message.mutable_senderkeydistributionmessage()->set_axolotlsenderkeydistributionmessage(
        std::string(skdm->begin(), skdm->end()));
    const Bytes key_plain = SerializeProto(key_message);

    std::set<std::string> holders = LoadHolders(store, group);
    NodeList participants;
    bool any_pkmsg = false;
    for (const Jid& d : job->devices) {
        auto address = SignalAddressFromJid(d.ToString());
        if (!address || !signal.HasSession(*address)) continue;  // no bundle: it gets the key next time
        auto ct = signal.Encrypt(*address, PadMessage(key_plain));
        if (!ct) continue;
        any_pkmsg = any_pkmsg || ct->type == CiphertextType::kPkMsg;
        participants.push_back(
            Node("to", {{"jid", d.ToString()}},
                 NodeList{Node("enc", {{"v", "2"}, {"type", std::string(CiphertextTypeName(ct->type))}},
                               std::move(ct->bytes))}));
        holders.insert(d.ToString());
    }
    auto skmsg = signal.GroupEncrypt(group, *self, PadMessage(SerializeProto(job->message)));
    if (!skmsg) return events.OnSendFailed(job->id, "encryption_failed");
    SaveHolders(store, group, holders);

    Node message("message", {{"id", job->id}, {"to", group}, {"type", "text"},
                             {"addressing_mode", lid_group ? "lid" : "pn"}});
    if (!participants.empty()) message.AddChild(Node("participants", {}, std::move(participants)));
    message.AddChild(Node("enc", {{"v", "2"}, {"type", "skmsg"}}, std::move(*skmsg)));
    if (any_pkmsg) message.AddChild(BytesNode("device-identity", creds.account));
    SendNode(message);
}

}  // namespace wadesk::wa
