#include "engine/bridge.h"

#include "engine/media_fetcher.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "engine/identity.h"
#include "engine/media_key_seal.h"
#include "engine/media_fetcher.h"
#include "whatsapp/binary/jid.h"
#include "whatsapp/client/qr.h"

namespace wadesk::engine {

namespace {

std::string UserOf(std::string_view jid) {
    auto parsed = wa::ParseJid(jid);
    return parsed ? parsed->user : std::string();
}

}  // namespace

std::int64_t MessageTimeMs(std::int64_t stated_seconds, std::int64_t now_ms) {
    if (stated_seconds <= 0) return now_ms;
    const std::int64_t stated_ms = stated_seconds * 1000;
    return stated_ms + std::clamp<std::int64_t>(now_ms - stated_ms, 0, 999);
}

domain::SessionStatus DomainStatus(wa::SessionStatus status) {
    switch (status) {
        case wa::SessionStatus::kInitializing: return domain::SessionStatus::kInitializing;
        case wa::SessionStatus::kQr: return domain::SessionStatus::kQr;
        case wa::SessionStatus::kConnected: return domain::SessionStatus::kConnected;
        case wa::SessionStatus::kReconnecting: return domain::SessionStatus::kReconnecting;
        case wa::SessionStatus::kDisconnected: return domain::SessionStatus::kDisconnected;
        case wa::SessionStatus::kLoggedOut: return domain::SessionStatus::kLoggedOut;
        case wa::SessionStatus::kFailed: return domain::SessionStatus::kFailed;
    }
    return domain::SessionStatus::kFailed;
}

void Bridge::OnQr(const std::string& text, std::chrono::seconds ttl) {
    auto png = wa::QrDataUrl(text);
    if (!png) {
        spdlog::error("[WhatsApp] Session {}: QR rendering failed: {}", session_id_, png.error().message);
        return;
    }
    try {
        if (auto* ev = events_.load()) ev->OnQr(session_id_, text, *png, NowMs() + ttl.count() * 1000);
    } catch (const std::exception& e) {
        LogStateLost("QR", e);
    }
}

void Bridge::OnConnected(const wa::Me& me) {
    PruneKept();
    history_.ScheduleKept(credentials_);
    try {
        if (auto* ev = events_.load()) ev->OnReady(session_id_, UserOf(me.jid), me.name, me.jid);
    } catch (const std::exception& e) {
        LogStateLost("connected state", e);
    }
}

void Bridge::OnStatus(wa::SessionStatus status, const std::string& reason) {
    if (status == wa::SessionStatus::kQr || status == wa::SessionStatus::kConnected) return;  // OnQr / OnReady
    std::string why = reason;
    if (status == wa::SessionStatus::kLoggedOut) {
        if (reason == "device_removed") why = "unlinked_from_phone";
        try {
            repo_.DeleteCredentials(session_id_);
            credentials_.ForgetAll();
        } catch (const std::exception& e) {
            spdlog::error("[WhatsApp] Session {}: cannot delete credentials: {}", session_id_, e.what());
        }
    }
    try {
        if (auto* ev = events_.load()) ev->OnStatus(session_id_, DomainStatus(status), why);
    } catch (const std::exception& e) {
        LogStateLost("status " + std::string(Name(DomainStatus(status))), e);
    }
}

// Called on the session's receive lane; commits the message with the receive's credential
// writes. Protocol-only stanzas (and unreadable ones with no chat to show them in) commit the
// writes alone.
bool Bridge::OnMessage(const wa::IncomingMessage& m, const wa::CredentialWrites& writes) {
    auto* ev = events_.load();
    if (!ev) return false;
    try {
        const bool shown = m.kind != wa::MessageKind::kProtocol && !m.chat.empty();
        bool committed = true;
        if (!shown) {
            if (!writes.empty()) repo_.Transact([&](store::Transaction& tx) { credentials_.Commit(tx, writes); });
        } else {
            service::IncomingMessage in = ToServiceMessage(m);
            if (in.media && !in.media->ref.empty())  // the media key is sealed at rest
                in.media->ref = SealMediaRef(in.media->ref, credentials_.media_seal_key(), session_id_);
            committed = ev->OnIncomingMessage(session_id_, in,
                                              [&](store::Transaction& tx) { credentials_.Commit(tx, writes); });
            if (committed && in.media && in.media->status == domain::MediaStatus::kPending) QueueMedia(in.wa_message_id);
        }
        if (committed) credentials_.Remember(writes);
        if (committed && m.history_notification) history_.Schedule(credentials_, m.id);
        return committed;
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: storing message {} failed: {}", session_id_, m.id, e.what());
        return false;
    }
}

// The stored row of a media message that is still "pending" goes to the fetcher (a redelivery of
// a message already fetched finds it ready and queues nothing).
void Bridge::QueueMedia(const std::string& wa_message_id) {
    if (!media_) return;
    auto row = repo_.FindMessageByWaId(session_id_, wa_message_id);
    if (row && row->media && row->media->status == domain::MediaStatus::kPending) media_->Enqueue(session_id_, row->id, row->media->ref);
}

void Bridge::OnReceipt(const wa::ReceiptEvent& r) {
    domain::MessageStatus status;
    if (r.type.empty() || r.type == "inactive") status = domain::MessageStatus::kDelivered;
    else if (r.type == "read" || r.type == "read-self") status = domain::MessageStatus::kRead;
    else if (r.type == "played") status = domain::MessageStatus::kPlayed;
    else return;
    auto* ev = events_.load();
    if (!ev) return;
    try {
        if (!r.recipient.empty()) {
            service::RecipientReceipt rr;
            rr.wa_message_ids = r.ids;
            rr.status = status;
            rr.who = PersonOf(r.recipient, r.recipient_alt);
            rr.at_ms = r.timestamp > 0 ? r.timestamp * 1000 : NowMs();
            return ev->OnRecipientReceipt(session_id_, rr);
        }
        for (const auto& id : r.ids) ev->OnMessageStatus(session_id_, id, status);
    } catch (const std::exception& e) {
        LogStatusLost(e);
    }
}

// Group state and changes: members named in both domains when WhatsApp gave both.
void Bridge::OnGroup(const wa::GroupEvent& g) {
    auto* ev = events_.load();
    if (!ev) return;
    service::GroupChange c;
    c.id = g.id;
    c.group_jid = g.group;
    c.action = g.action;
    c.subject = g.subject;
    if (!g.by.empty()) {
        c.by = PersonOf(g.by, g.by_alt);
        c.by.name = g.by_name;
    }
    for (const auto& m : g.members) {
        domain::GroupParticipant p = PersonOf(m.jid, m.alt);
        p.admin = m.rank.empty() ? "none" : m.rank;
        c.participants.push_back(std::move(p));
    }
    c.timestamp_ms = MessageTimeMs(g.timestamp, NowMs());
    try {
        ev->OnGroupChange(session_id_, c);
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: group change {} of {} not stored: {}", session_id_, g.action, g.group,
                      e.what());
    }
}

// Status changes arrive on the connection's strand: a database that is down must not end the
// connection, so a change that cannot be stored is logged and dropped (the message keeps its
// previous status).
void Bridge::LogStateLost(const std::string& what, const std::exception& e) const {
    spdlog::error("[WhatsApp] Session {}: the session's {} was not stored: {}", session_id_, what, e.what());
}

void Bridge::LogStatusLost(const std::exception& e) const {
    spdlog::error("[WhatsApp] Session {}: a message status change was not stored: {}", session_id_, e.what());
}

// Send path: the server's ack makes a message "sent"; an error ack or a send that could not
// go out makes it "failed" with a reason.
void Bridge::OnSendAck(const std::string& wa_id, int error) {
    auto* ev = events_.load();
    if (!ev) return;
    try {
        if (error == 0) ev->OnMessageStatus(session_id_, wa_id, domain::MessageStatus::kSent);
        else ev->OnMessageFailed(session_id_, wa_id, "server_error_" + std::to_string(error));
    } catch (const std::exception& e) {
        LogStatusLost(e);
    }
}

void Bridge::OnSendFailed(const std::string& wa_id, const std::string& reason) {
    try {
        if (auto* ev = events_.load()) ev->OnMessageFailed(session_id_, wa_id, reason);
    } catch (const std::exception& e) {
        LogStatusLost(e);
    }
}

service::IncomingMessage Bridge::ToServiceMessage(const wa::IncomingMessage& m) {
    service::IncomingMessage in;
    switch (m.kind) {
        case wa::MessageKind::kUndecryptable: in.kind = service::IncomingKind::kUndecryptable; break;
        case wa::MessageKind::kRevoke: in.kind = service::IncomingKind::kRevoke; break;
        case wa::MessageKind::kEdit: in.kind = service::IncomingKind::kEdit; break;
        default: in.kind = service::IncomingKind::kContent; break;
    }
    in.target_wa_message_id = m.target_id;
    in.failure = m.failure;
    FillIdentities(m, in);  // chat_jid/chat_lid, sender_jid/sender_phone/sender_lid (§13)
    // A 1:1 chat has no name of its own: it shows its contact's, which the sender's push name
    // (sender_name) keeps.
    in.is_group = m.is_group;
    in.wa_message_id = m.id;
    in.from_me = m.from_me;
    in.sender_name = m.push_name;
    // The client names a message's type as the domain does; any other reads as unsupported.
    in.type = domain::ParseMessageType(m.content.type).value_or(domain::MessageType::kUnsupported);
    in.body = m.content.body;
    in.quoted_wa_message_id = m.content.quoted_id;
    if (m.content.media) {
        // The file follows (MediaFetcher); the origin lets it ask the phone for an expired one.
        MediaOrigin origin{m.id, m.chat, m.from_me, {}};
        if (m.is_group) {
            if (auto sender = wa::ParseJid(m.sender)) origin.participant = sender->ToNonAd().ToString();
        }
        in.media = MediaInfoOf(m.content.type, *m.content.media, origin);
    }
    in.timestamp_ms = MessageTimeMs(m.timestamp, NowMs());
    return in;
}

// What the client keeps for a while is pruned at each connect: the plaintext of our sends,
// to answer retry receipts (wa-protocol §8.1; the phone stops asking long before), and the
// plaintext of received stanzas, to recognise a redelivery (WhatsApp redelivers what was not
// receipted at the next connect, so a week is plenty).
void Bridge::PruneKept() {
    constexpr std::int64_t kKeepInboxMs = 7LL * 24 * 3600 * 1000;
    try {
        const auto sent = repo_.PruneCredentials(session_id_, wa::store_keys::kSentPrefix,
                                                 NowMs() - kKeepSentMessages.count());
        const auto inbox = repo_.PruneCredentials(session_id_, wa::store_keys::kInboxPrefix, NowMs() - kKeepInboxMs);
        if (sent + inbox > 0)
            spdlog::info("[WhatsApp] Session {}: pruned {} kept sent and {} received plaintext(s)", session_id_,
                         sent, inbox);
    } catch (const std::exception& e) {
        spdlog::error("[WhatsApp] Session {}: pruning kept plaintexts failed: {}", session_id_, e.what());
    }
}

}  // namespace wadesk::engine
