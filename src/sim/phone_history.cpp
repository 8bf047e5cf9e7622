// The phone's history push (wa-protocol §10): after a new companion's first prekey upload, the
// phone sends it peer messages from device 0 of its own user (the conversations, then a PUSH_NAME
// chunk when it knows names),
//   <message from='<own PN user>' id t type='text' category='peer'><enc type='pkmsg'/></message>
// whose Message is protocolMessage{HISTORY_SYNC_NOTIFICATION, historySyncNotification{
// INITIAL_BOOTSTRAP, chunkOrder 0, progress 100, initialHistBootstrapInlinePayload = zlib(HistorySync)}}
// for fewer than kMaxInlineHistoryChats chats; a larger history goes as an external blob on the
// media host (mediaKey, directPath, fileSha256, fileEncSha256, fileLength; no inline payload).
// The companion answers with peer_msg and hist_sync receipts, which the server swallows.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "sim/server.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/crypto/media.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::sim {
using wa::Attrs;
using wa::Node;
using wa::NodeList;

namespace {

wa::WebMessageInfo::Status SeedStatus(const std::string& status) {
    if (status == "sent") return wa::WebMessageInfo::SERVER_ACK;
    if (status == "delivered") return wa::WebMessageInfo::DELIVERY_ACK;
    if (status == "read") return wa::WebMessageInfo::READ;
    return wa::WebMessageInfo::PENDING;
}

// The phone's protocol message carrying `sync` inline as chunk `order` of type `type`; a corrupt
// payload is not a zlib stream (a wrong header and a damaged body, as a phone with a bad write
// would send).
wa::Message HistoryNotification(const wa::HistorySync& sync, wa::Message::HistorySyncType type, std::uint32_t order,
                                bool corrupt) {
    wa::Message message;
    auto* pm = message.mutable_protocolmessage();
    pm->set_type(wa::Message::ProtocolMessage::HISTORY_SYNC_NOTIFICATION);
    auto* n = pm->mutable_historysyncnotification();
    n->set_synctype(type);
    n->set_chunkorder(order);
    n->set_progress(100);
    Bytes payload = wa::ZlibDeflate(wa::SerializeProto(sync));
    if (corrupt) {
        for (auto& byte : payload) byte ^= 0x5a;
    }
    n->set_initialhistbootstrapinlinepayload(std::string(payload.begin(), payload.end()));
    return message;
}

}  // namespace

Result<void> SimServer::SetPhoneHistory(std::string_view phone, std::vector<HistorySeedChat> chats, bool corrupt) {
    Account* me = MutableAccount(phone);
    if (!me) return MakeError("no_account", "no such account");
    if (chats.size() > kMaxHistoryChats)
        return MakeError("bad_request", "the emulated phone pushes at most " + std::to_string(kMaxHistoryChats) + " chats");
    for (const auto& chat : chats) {
        std::string digits = chat.with;
        if (auto jid = wa::ParseJid(chat.with); jid && chat.with.find('@') != std::string::npos) {
            if (!jid->IsPnUser() && !jid->IsLid()) return MakeError("bad_request", "'with' must be a user: " + chat.with);
        } else if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
            return MakeError("bad_request", "'with' must be digits or a user JID: " + chat.with);
        }
        for (const auto& m : chat.messages) {
            if (m.id.empty() || m.t <= 0) return MakeError("bad_request", "each message needs an id and a time");
        }
    }
    PhoneParty* party = Party(*me);
    if (!party) return MakeError("signal_error", "the phone has no Signal context");
    party->history = std::move(chats);
    party->history_corrupt = corrupt;
    party->history_pushed.clear();
    return {};
}

void SimServer::PhonePushHistory(Account& me, std::uint16_t device) {
    PhoneParty* party = Party(me);
    if (!party || party->history.empty() || party->history_pushed.count(device)) return;

    // A companion that asked for its whole history gets one FULL chunk; any other the phone's
    // default push, the newest messages of each chat.
    const auto dev = me.devices.find(device);
    const bool full = dev != me.devices.end() && dev->second.require_full_sync;
    wa::HistorySync sync;
    sync.set_synctype(full ? wa::HistorySync::FULL : wa::HistorySync::INITIAL_BOOTSTRAP);
    sync.set_chunkorder(0);
    sync.set_progress(100);
    // The contacts' own names, for those that are accounts here: a PUSH_NAME chunk of their own,
    // sent after the conversations as phones do.
    wa::HistorySync names;
    names.set_synctype(wa::HistorySync::PUSH_NAME);
    names.set_chunkorder(1);
    names.set_progress(100);
    const auto add_push_name = [&names](const Account& other) {
        if (other.name.empty()) return;
        auto* pushname = names.add_pushnames();
        pushname->set_id(wa::Jid::User(other.phone).ToString());
        pushname->set_pushname(other.name);
    };
    for (const auto& seed : party->history) {
        // The conversation id is the contact's PN JID; pnJid / lidJid when the server knows both.
        std::string pn_user, lid_user;
        if (auto jid = wa::ParseJid(seed.with); jid && seed.with.find('@') != std::string::npos) {
            const Account* other = AccountForUser(jid->user, jid->IsLid());
            if (jid->IsLid()) lid_user = jid->user;
            else pn_user = jid->user;
            if (other) {
                pn_user = other->phone;
                lid_user = other->lid;
                add_push_name(*other);
            }
        } else {
            pn_user = seed.with;
            if (const Account* other = FindAccount(seed.with)) {
                lid_user = other->lid;
                add_push_name(*other);
            }
        }
        const std::string chat = pn_user.empty() ? wa::Jid::Lid(lid_user).ToString() : wa::Jid::User(pn_user).ToString();
        wa::Conversation* conv = sync.add_conversations();
        conv->set_id(chat);
        if (!pn_user.empty() && !lid_user.empty()) {
            conv->set_pnjid(wa::Jid::User(pn_user).ToString());
            conv->set_lidjid(wa::Jid::Lid(lid_user).ToString());
            auto* pair = sync.add_phonenumbertolidmappings();
            pair->set_pnjid(conv->pnjid());
            pair->set_lidjid(conv->lidjid());
        }
        if (!seed.name.empty()) conv->set_name(seed.name);
        conv->set_unreadcount(seed.unread);
        if (seed.archived) conv->set_archived(true);
        if (seed.pinned) conv->set_pinned(1);
        std::uint64_t order = 0;
        // As a phone lists them: newest first, msgOrderId rising with age.
        const std::size_t count = full ? seed.messages.size() : std::min(seed.messages.size(), kRecentHistoryMessages);
        for (auto it = seed.messages.rbegin(); it != seed.messages.rbegin() + static_cast<std::ptrdiff_t>(count); ++it) {
            wa::HistorySyncMsg* hm = conv->add_messages();
            hm->set_msgorderid(++order);
            wa::WebMessageInfo* info = hm->mutable_message();
            info->mutable_key()->set_remotejid(chat);
            info->mutable_key()->set_fromme(it->from_me);
            info->mutable_key()->set_id(it->id);
            info->mutable_message()->set_conversation(it->text);
            info->set_messagetimestamp(static_cast<std::uint64_t>(it->t));
            if (it->from_me) info->set_status(SeedStatus(it->status));
            if (!it->from_me && !seed.name.empty()) info->set_pushname(seed.name);
            conv->set_lastmsgtimestamp(std::max<std::uint64_t>(conv->lastmsgtimestamp(), it->t));
        }
    }
    std::vector<wa::Message> chunks{HistoryNotification(
        sync, full ? wa::Message::FULL : wa::Message::INITIAL_BOOTSTRAP, 0, party->history_corrupt)};
    if (names.pushnames_size() > 0)
        chunks.push_back(HistoryNotification(names, wa::Message::PUSH_NAME, 1, party->history_corrupt));
    if (party->history.size() >= kMaxInlineHistoryChats) {
        // A large history travels as an external blob: the zlib stream encrypted like media with
        // the history keys, on the media host as md-msg-hist (wa-protocol §10).
        if (media_.hostname.empty()) {
            spdlog::warn("[sim] phone {}: a history of {} chats needs the media host", me.phone, party->history.size());
            return;
        }
        auto* n = chunks.front().mutable_protocolmessage()->mutable_historysyncnotification();
        const std::string& inline_payload = n->initialhistbootstrapinlinepayload();
        const Bytes payload(inline_payload.begin(), inline_payload.end());
        const Bytes media_key = RandomBytes(32);
        auto enc = wa::crypto::EncryptMedia(media_key, wa::crypto::MediaKind::kHistory, payload);
        if (!enc) return;
        const std::string direct_path = media_.Store("md-msg-hist", enc->file, now());
        n->clear_initialhistbootstrapinlinepayload();
        n->set_mediakey(std::string(media_key.begin(), media_key.end()));
        n->set_directpath(direct_path);
        n->set_filesha256(std::string(enc->file_sha256.begin(), enc->file_sha256.end()));
        n->set_fileencsha256(std::string(enc->file_enc_sha256.begin(), enc->file_enc_sha256.end()));
        n->set_filelength(enc->file_length);
    }

    const PeerAddress address{me.lid + "_1", device};
    if (!party->signal->HasSession(address)) {
        auto bundle = StoredBundle(me, device);
        if (!bundle) return;
        if (auto r = party->signal->StartSession(address, *bundle); !r) {
            spdlog::warn("[sim] phone {}: no session with its device {}: {}", me.phone, device, r.error().message);
            return;
        }
    }
    party->history_pushed.insert(device);
    Persist(me);
    const std::string own = wa::Jid::User(me.phone).ToString();
    spdlog::info("[sim] phone {} pushes history ({}, {} chats, {} push names{}) to device {}", me.phone,
                 full ? "full" : "recent", party->history.size(), names.pushnames_size(),
                 party->history_corrupt ? ", corrupt payload" : "", device);
    for (const wa::Message& message : chunks) {
        auto ct = party->signal->Encrypt(address, PadPlaintext(wa::SerializeProto(message)));
        if (!ct) {
            spdlog::warn("[sim] phone {}: cannot encrypt history for device {}: {}", me.phone, device,
                         ct.error().message);
            return;
        }
        NodeList enc{Node("enc", Attrs{{"v", "2"}, {"type", ct->kind == CipherKind::kPkMsg ? "pkmsg" : "msg"}},
                          std::move(ct->bytes))};
        RouteMessage({me.phone, 0},
                     Node("message",
                          Attrs{{"id", "3A" + ToHex(RandomBytes(9))}, {"to", own}, {"type", "text"}, {"category", "peer"}},
                          NodeList{Node("participants", Attrs{},
                                        NodeList{Node("to", Attrs{{"jid", wa::Jid::User(me.phone, device).ToString()}},
                                                      std::move(enc))})}));
    }
}

}  // namespace wadesk::sim
