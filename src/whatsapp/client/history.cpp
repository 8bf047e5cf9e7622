#include "whatsapp/client/history.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {

namespace {

// The user JID of `jid` (no device); empty when it does not parse.
std::string UserJid(const std::string& jid) {
    auto parsed = ParseJid(jid);
    return parsed ? parsed->ToNonAd().ToString() : std::string();
}

// The user JID of `jid` when it is a phone-number (PN) user, resp. a LID; empty otherwise: a
// pair the phone states is only taken when each side is of its kind.
std::string PnUserJid(const std::string& jid) {
    auto parsed = ParseJid(jid);
    return parsed && parsed->IsPnUser() ? parsed->ToNonAd().ToString() : std::string();
}
std::string LidUserJid(const std::string& jid) {
    auto parsed = ParseJid(jid);
    return parsed && parsed->IsLid() && !parsed->user.empty() ? parsed->ToNonAd().ToString() : std::string();
}

bool CarriesConversations(int sync_type) {
    return sync_type == HistorySync::INITIAL_BOOTSTRAP || sync_type == HistorySync::RECENT ||
           sync_type == HistorySync::FULL || sync_type == HistorySync::ON_DEMAND;
}

// One stored message of a conversation, as the receive path reports a live one; nullopt for what
// a chat does not show.
std::string StatusName(WebMessageInfo::Status status) {
    switch (status) {
        case WebMessageInfo::SERVER_ACK: return "sent";
        case WebMessageInfo::DELIVERY_ACK: return "delivered";
        case WebMessageInfo::READ: return "read";
        case WebMessageInfo::PLAYED: return "played";
        default: return "";
    }
}

std::optional<HistoryMessage> ReadMessage(const WebMessageInfo& info, const HistoryChat& chat,
                                           const std::string& own_user) {
    if (!info.has_message() || !info.key().has_id() || info.key().id().empty()) return std::nullopt;
    const Message& inner = UnwrapMessage(info.message());
    if (inner.has_protocolmessage()) return std::nullopt;
    HistoryMessage out;
    out.status = info.has_status() ? StatusName(info.status()) : std::string();
    IncomingMessage& m = out.message;
    m.kind = MessageKind::kContent;
    m.id = info.key().id();
    m.chat = chat.jid;
    m.chat_alt = chat.jid_alt;
    m.is_group = chat.is_group;
    m.from_me = info.key().fromme();
    if (m.from_me) {
        m.sender = own_user;
    } else if (chat.is_group) {
        m.sender = UserJid(!info.key().participant().empty() ? info.key().participant() : info.participant());
    } else {
        m.sender = chat.jid;
        m.sender_alt = chat.jid_alt;
    }
    m.push_name = info.pushname();
    // Seconds as stated, capped so that the milliseconds the store keeps cannot overflow.
    constexpr std::uint64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1000;
    m.timestamp = static_cast<std::int64_t>(std::min<std::uint64_t>(info.messagetimestamp(), kMaxSeconds));
    m.content = DescribeMessage(info.message());
    if (inner.has_conversation()) m.text = inner.conversation();
    else if (inner.has_extendedtextmessage()) m.text = inner.extendedtextmessage().text();
    m.message = SerializeProto(info.message());
    return out;
}

}  // namespace

Result<HistorySync> ParseHistoryPayload(BytesView zlib_stream) {
    auto inflated = ZlibInflate(zlib_stream, kMaxHistoryPayload);
    if (!inflated) return inflated.error();
    auto sync = ParseProto<HistorySync>(*inflated);
    if (!sync) return MakeError("bad_protobuf", "the history payload is not a HistorySync");
    return sync;
}

Result<HistorySync> OpenHistoryNotification(const Message::HistorySyncNotification& notification) {
    if (notification.has_initialhistbootstrapinlinepayload())
        return ParseHistoryPayload(AsBytes(notification.initialhistbootstrapinlinepayload()));
    return MakeError("history_external_blob", "the history chunk is an external blob (" +
                                                  std::to_string(notification.filelength()) +
                                                  " bytes) to download from the media hosts");
}

HistoryChunk ReadHistory(const HistorySync& sync, const std::string& own_jid) {
    HistoryChunk chunk;
    chunk.sync_type = sync.synctype();
    chunk.chunk_order = sync.chunkorder();
    chunk.progress = sync.progress();
    const std::string own_user = UserJid(own_jid);
    for (const auto& pair : sync.phonenumbertolidmappings()) {
        std::string pn = PnUserJid(pair.pnjid()), lid = LidUserJid(pair.lidjid());
        if (!pn.empty() && !lid.empty()) chunk.lid_mappings.emplace_back(std::move(pn), std::move(lid));
    }
    if (sync.synctype() == HistorySync::PUSH_NAME) {
        for (const auto& p : sync.pushnames()) {
            std::string jid = UserJid(p.id());
            if (!jid.empty() && !p.pushname().empty()) chunk.push_names.emplace_back(std::move(jid), p.pushname());
        }
    }
    if (!CarriesConversations(sync.synctype())) return chunk;
    for (const auto& conv : sync.conversations()) {
        auto jid = ParseJid(conv.id());
        if (!jid || !(jid->IsUserServer() || jid->IsGroup())) continue;  // status, newsletters, broadcasts
        HistoryChat chat;
        chat.jid = jid->ToNonAd().ToString();
        chat.is_group = jid->IsGroup();
        if (!chat.is_group) {
            // The conversation id is one of the contact's JIDs; pnJid / lidJid may state either.
            std::string pn = PnUserJid(conv.pnjid()), lid = LidUserJid(conv.lidjid());
            if (jid->IsPnUser()) pn = chat.jid;
            if (jid->IsLid()) lid = chat.jid;
            chat.jid_alt = jid->IsLid() ? pn : lid;
            if (!pn.empty() && !lid.empty()) chunk.lid_mappings.emplace_back(pn, lid);
        }
        chat.name = !conv.name().empty() ? conv.name() : conv.displayname();
        chat.unread_count = conv.unreadcount();
        chat.archived = conv.archived();
        chat.pinned = conv.pinned() != 0;
        chat.muted = conv.muteendtime() != 0;
        // The phone lists a conversation's messages newest first; msgOrderId states the order.
        std::vector<std::pair<std::uint64_t, const WebMessageInfo*>> ordered;
        for (const auto& hm : conv.messages()) {
            if (hm.has_message()) ordered.emplace_back(hm.msgorderid(), &hm.message());
        }
        std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
            const std::uint64_t ta = a.second->messagetimestamp(), tb = b.second->messagetimestamp();
            return ta != tb ? ta < tb : a.first < b.first;
        });
        for (const auto& [order, info] : ordered) {
            if (auto m = ReadMessage(*info, chat, own_user)) chat.messages.push_back(std::move(*m));
        }
        chunk.message_count += chat.messages.size();
        chunk.chats.push_back(std::move(chat));
    }
    return chunk;
}

}  // namespace wadesk::wa
