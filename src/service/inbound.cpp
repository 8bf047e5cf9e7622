// The engine's events (EngineEvents): QR, status, incoming messages and history, receipts, send outcomes.
#include "service/inbound_adapter.h"

#include <boost/json/value.hpp>

#include <algorithm>

#include "core/log.h"
#include "service/service_internal.h"
#include "service/views.h"

namespace wadesk::service {
namespace json = boost::json;

void InboundAdapter::OnQr(const std::string& session_id, const std::string& qr_text, const std::string& png_data_url,
                          std::int64_t expires_at_ms) {
    auto s = repo_.FindSessionById(session_id);
    if (!s) return;
    const bool entered_qr = s->status != domain::SessionStatus::kQr;
    if (entered_qr) {
        store::SessionPatch p;
        p.status = domain::SessionStatus::kQr;
        p.status_reason = "";
        if (auto u = repo_.UpdateSession(session_id, p)) s = u;
    }
    ApplySessionChange(*s);
    // Entering the QR state is a status change like any other; a rotated QR is only whatsapp:qr.
    if (entered_qr)
        Emit(s->company_id, session_id, "whatsapp:session_status",
             {{"sessionId", session_id}, {"status", Name(domain::SessionStatus::kQr)}, {"reason", nullptr}});
    {
        std::lock_guard lock(state_mutex_);
        qr_[session_id] = QrState{session_id, domain::SessionStatus::kQr, qr_text, png_data_url, expires_at_ms};
    }
    Emit(s->company_id, session_id, "whatsapp:qr",
         {{"sessionId", session_id}, {"qrCode", png_data_url}, {"qr", qr_text}, {"expiresAt", IsoOrNull(expires_at_ms)}});
    spdlog::info("[WhatsApp] QR code received for session {}", session_id);
}

void InboundAdapter::OnReady(const std::string& session_id, const std::string& phone, const std::string& name,
                             const std::string& jid) {
    store::SessionPatch p;
    p.status = domain::SessionStatus::kConnected;
    p.status_reason = "";
    p.phone_number = phone;
    p.display_name = name;
    p.jid = jid;
    p.connected_at = NowMs();
    auto s = repo_.UpdateSession(session_id, p);
    if (!s) return;
    ApplySessionChange(*s);
    WriteAudit(nullptr, s->company_id, "session.ready", "session", s->id, {{"phoneNumber", phone}});
    Emit(s->company_id, s->id, "whatsapp:ready", {{"sessionId", s->id}, {"phoneNumber", phone}, {"displayName", name}});
    Emit(s->company_id, s->id, "whatsapp:session_status", {{"sessionId", s->id}, {"status", Name(s->status)}, {"reason", nullptr}});
    spdlog::info("[WhatsApp] Session {} authorized as {}", s->id, phone);
    // A new connection: what was handed to the last one and is still pending leaves now, oldest
    // first, once each (same WhatsApp id, so a copy the last connection got out is deduplicated).
    {
        std::lock_guard lock(send_mutex_);
        handed_.erase(s->id);
    }
    ForgetGroupQueries(s->id);
    const auto pending = repo_.ListPendingOutgoing(s->id, kMaxFlushMessages);
    for (const auto& m : pending) HandToEngine(*s, m);
    if (!pending.empty()) spdlog::info("[WhatsApp] Session {}: sending {} pending message(s)", s->id, pending.size());
}

void InboundAdapter::OnStatus(const std::string& session_id, domain::SessionStatus status, const std::string& reason) {
    // The engine's own report of a logout we asked for (Disconnect, which recorded it with its
    // reason) neither overwrites that reason nor announces the logout twice.
    if (status == domain::SessionStatus::kLoggedOut && reason == "logout") {
        if (auto current = repo_.FindSessionById(session_id);
            current && current->status == domain::SessionStatus::kLoggedOut && !current->status_reason.empty())
            return;
    }
    store::SessionPatch p;
    p.status = status;
    p.status_reason = reason;
    auto s = repo_.UpdateSession(session_id, p);
    if (!s) return;
    ApplySessionChange(*s);
    json::value r = reason.empty() ? json::value(nullptr) : json::value(reason);
    Emit(s->company_id, s->id, "whatsapp:session_status", {{"sessionId", s->id}, {"status", Name(status)}, {"reason", r}});
    if (status == domain::SessionStatus::kDisconnected || status == domain::SessionStatus::kLoggedOut ||
        status == domain::SessionStatus::kFailed)
        Emit(s->company_id, s->id, "whatsapp:disconnected",
             {{"sessionId", s->id}, {"reason", reason.empty() ? std::string(Name(status)) : reason}});
    spdlog::info("[WhatsApp] Session {} is {}{}{}", s->id, Name(status), reason.empty() ? "" : ": ", reason);
}

// A session's company never changes: the receive path looks it up once, not per message.
std::optional<domain::WaSession> InboundAdapter::ReceivingSession(const std::string& session_id) {
    {
        std::lock_guard lock(state_mutex_);
        if (auto it = session_company_.find(session_id); it != session_company_.end()) {
            domain::WaSession s;
            s.id = session_id;
            s.company_id = it->second;
            return s;
        }
    }
    auto s = repo_.FindSessionById(session_id);
    if (!s) return std::nullopt;
    std::lock_guard lock(state_mutex_);
    session_company_[s->id] = s->company_id;
    return s;
}

bool InboundAdapter::OnIncomingMessage(const std::string& session_id, const IncomingMessage& in,
                                       const CommitHook& also) {
    const std::optional<domain::WaSession> s = ReceivingSession(session_id);
    if (!s) return false;
    const std::vector<domain::Event> events = repo_.Transact([&](store::Transaction& tx) {
        if (also) also(tx);
        if (in.kind == IncomingKind::kRevoke || in.kind == IncomingKind::kEdit) return ApplyChange(tx, *s, in);
        RecordIncoming(tx, *s, in);
    });
    for (const domain::Event& e : events) bus_.Publish(e);
    if (in.is_group && !in.from_history) EnsureGroupMetadata(*s, in.chat_jid);  // group_metadata.cpp
    if (!events.empty()) {
        if (in.kind == IncomingKind::kUndecryptable)
            spdlog::warn("[WhatsApp] Session {}: message {} could not be decrypted ({}); stored as undecryptable, "
                         "a resend was asked for",
                         s->id, in.wa_message_id, in.failure);
        else if (in.kind == IncomingKind::kContent && !in.from_history)
            spdlog::info("[WhatsApp] Saved message for session {}: {}", s->id, LoggedText(in.body));
    }
    return true;
}

bool InboundAdapter::OnHistory(const std::string& session_id, const HistoryBatch& batch, const CommitHook& also) {
    const std::optional<domain::WaSession> s = ReceivingSession(session_id);
    if (!s) return false;
    const std::vector<domain::Event> events = repo_.Transact([&](store::Transaction& tx) {
        if (also) also(tx);
        const auto progress = [&](std::string_view phase) {
            tx.AppendEvent(MakeEvent(s->company_id, s->id, "whatsapp:history_progress",
                                     {{"sessionId", s->id},
                                      {"phase", phase},
                                      {"syncType", batch.sync_type},
                                      {"chunk", batch.chunk_order},
                                      {"chats", batch.chunk_chats},
                                      {"messages", batch.chunk_messages},
                                      {"progress", batch.progress}}));
        };
        if (!batch.failure.empty()) {
            tx.AppendEvent(MakeEvent(s->company_id, s->id, "whatsapp:history_progress",
                                     {{"sessionId", s->id},
                                      {"phase", "failed"},
                                      {"syncType", batch.sync_type},
                                      {"chunk", batch.chunk_order},
                                      {"reason", batch.failure}}));
            return;
        }
        if (batch.first) progress("started");
        for (const HistoryContact& hc : batch.contacts)
            RecordContact(tx, *s, domain::Contact{.jid = hc.jid, .lid = hc.lid, .name = hc.name, .push_name = hc.push_name});
        for (const HistoryChat& hc : batch.chats) {
            domain::Chat c;
            c.company_id = s->company_id;
            c.session_id = s->id;
            c.jid = hc.jid;
            c.lid = hc.lid;
            // A 1:1 conversation's name is the phone's name for its contact (in batch.contacts):
            // the chat follows the contact; a group's name is its subject.
            if (hc.is_group) c.name = hc.name;
            c.is_group = hc.is_group;
            c.unread_count = hc.unread_count;
            c.archived = hc.archived;
            c.pinned = hc.pinned;
            c.muted = hc.muted;
            domain::Chat chat = tx.UpsertChat(c);
            bool changed = false;
            for (const IncomingMessage& in : hc.messages) {
                store::RecordedMessage rec = tx.RecordMessage(IncomingRow(tx, *s, chat.id, in));
                if (!rec.inserted) continue;
                changed = true;
                chat = rec.chat;
            }
            if (changed || batch.first)
                tx.AppendEvent(MakeEvent(s->company_id, s->id, "whatsapp:chat_updated",
                                         {{"sessionId", s->id}, {"chatId", chat.id}, {"chat", ChatView(chat)}}));
        }
        progress(batch.last ? "done" : "progress");
    });
    for (const domain::Event& e : events) bus_.Publish(e);
    if (batch.last)
        spdlog::info("[WhatsApp] Session {}: history chunk {} ({}, {} chats, {} messages) imported", s->id,
                     batch.chunk_id, batch.sync_type, batch.chunk_chats, batch.chunk_messages);
    return true;
}

// The row of an incoming (or history) message in chat `chat_id`.
domain::Message InboundAdapter::IncomingRow(store::Transaction& tx, const domain::WaSession& s,
                                            const std::string& chat_id, const IncomingMessage& in) {
    domain::Message m;
    m.company_id = s.company_id;
    m.session_id = s.id;
    m.chat_id = chat_id;
    m.wa_message_id = in.wa_message_id;
    m.from_me = in.from_me;
    m.sender_jid = in.sender_jid;
    m.sender_name = in.sender_name;
    m.sender_phone = in.sender_phone;
    m.sender_lid = in.sender_lid;
    m.type = in.kind == IncomingKind::kUndecryptable ? domain::MessageType::kUndecryptable : in.type;
    m.body = in.kind == IncomingKind::kUndecryptable ? std::string() : in.body;
    if (in.kind == IncomingKind::kContent) m.media = in.media;
    if (!in.quoted_wa_message_id.empty())
        if (auto q = tx.FindMessageByWaId(s.id, in.quoted_wa_message_id)) m.quoted_message_id = q->id;
    m.timestamp = in.timestamp_ms ? in.timestamp_ms : NowMs();
    m.status = in.status ? *in.status : in.from_me ? domain::MessageStatus::kSent : domain::MessageStatus::kDelivered;
    m.from_history = in.from_history;
    return m;
}

void InboundAdapter::RecordIncoming(store::Transaction& tx, const domain::WaSession& s, const IncomingMessage& in) {
    if (auto sender = SenderContact(in)) RecordContact(tx, s, std::move(*sender));
    domain::Chat c;
    c.company_id = s.company_id;
    c.session_id = s.id;
    c.jid = in.chat_jid;
    c.lid = in.chat_lid;
    c.name = in.chat_name;
    c.is_group = in.is_group;
    const domain::Chat chat = tx.UpsertChat(c);
    const domain::Message m = IncomingRow(tx, s, chat.id, in);
    store::RecordedMessage rec = tx.RecordMessage(m);
    if (rec.inserted) {
        if (in.from_history) return;
        tx.AppendEvent(
            MakeEvent(s.company_id, s.id, "whatsapp:message",
                      {{"sessionId", s.id}, {"chatId", rec.chat.id}, {"message", MessageView(rec.message)}}));
        tx.AppendEvent(MakeEvent(s.company_id, s.id, "whatsapp:chat_updated",
                                 {{"sessionId", s.id}, {"chatId", rec.chat.id}, {"chat", ChatView(rec.chat)}}));
        return;
    }
    // The resend that heals an undecryptable message arrives under the same id: it replaces it.
    if (in.kind != IncomingKind::kContent || rec.message.type != domain::MessageType::kUndecryptable) return;
    domain::Message healed = rec.message;
    healed.type = m.type;
    healed.body = m.body;
    healed.media = m.media;
    healed.quoted_message_id = m.quoted_message_id;
    if (auto updated = tx.UpdateMessageContent(healed)) AppendUpdated(tx, s, *updated);
}

// whatsapp:message_updated, and whatsapp:chat_updated when the chat's preview changed with it.
void InboundAdapter::AppendUpdated(store::Transaction& tx, const domain::WaSession& s, const store::UpdatedMessage& u) {
    tx.AppendEvent(
        MakeEvent(s.company_id, s.id, "whatsapp:message_updated",
                  {{"sessionId", s.id}, {"chatId", u.message.chat_id}, {"message", MessageView(u.message)}}));
    if (u.chat) {
        tx.AppendEvent(MakeEvent(s.company_id, s.id, "whatsapp:chat_updated",
                                 {{"sessionId", s.id}, {"chatId", u.chat->id}, {"chat", ChatView(*u.chat)}}));
    }
}

// Revoke and edit: only the message's own sender may change it; a change to a message we never
// stored changes nothing (the stanza is still settled: there is nothing to redeliver it for).
void InboundAdapter::ApplyChange(store::Transaction& tx, const domain::WaSession& s, const IncomingMessage& in) {
    auto target = tx.FindMessageByWaId(s.id, in.target_wa_message_id);
    if (!target) {
        spdlog::info("[WhatsApp] Session {}: {} of unknown message {}", s.id,
                     in.kind == IncomingKind::kRevoke ? "revoke" : "edit", in.target_wa_message_id);
        return;
    }
    const bool same_sender = target->from_me == in.from_me &&
                             (in.from_me || target->sender_jid == in.sender_jid ||
                              (!in.sender_phone.empty() && target->sender_phone == in.sender_phone));
    if (!same_sender) {
        spdlog::warn("[WhatsApp] Session {}: ignored a change of message {} by someone who did not send it", s.id,
                     in.target_wa_message_id);
        return;
    }
    domain::Message changed = *target;
    if (in.kind == IncomingKind::kRevoke) {
        if (changed.deleted) return;
        changed.deleted = true;
        changed.body.clear();
        changed.media.reset();
    } else {
        if (changed.deleted || (changed.edited && changed.body == in.body)) return;
        changed.edited = true;
        changed.body = in.body;
    }
    if (auto updated = tx.UpdateMessageContent(changed)) AppendUpdated(tx, s, *updated);
}

void InboundAdapter::OnMessageSent(const std::string& session_id, const std::string& message_id,
                                   const std::string& wa_message_id) {
    repo_.SetMessageWaId(session_id, message_id, wa_message_id);
    if (auto m = repo_.AdvanceMessageStatus(session_id, message_id, domain::MessageStatus::kSent))
        Emit(m->company_id, session_id, "whatsapp:message_status",
             {{"sessionId", session_id}, {"chatId", m->chat_id}, {"messageId", m->id}, {"status", Name(m->status)}});
}

void InboundAdapter::OnMessageStatus(const std::string& session_id, const std::string& wa_message_id,
                                     domain::MessageStatus status) {
    auto m = repo_.FindMessageByWaId(session_id, wa_message_id);
    if (!m) return;
    if (m->status == domain::MessageStatus::kPending) Forget(session_id, m->id);
    if (auto changed = repo_.AdvanceMessageStatus(session_id, m->id, status))
        Emit(changed->company_id, session_id, "whatsapp:message_status",
             {{"sessionId", session_id}, {"chatId", changed->chat_id}, {"messageId", changed->id},
              {"status", Name(changed->status)}});
}

void InboundAdapter::OnMessageFailed(const std::string& session_id, const std::string& wa_message_id,
                                     const std::string& reason) {
    auto m = repo_.FindMessageByWaId(session_id, wa_message_id);
    if (!m || !m->from_me) return;
    Forget(session_id, m->id);
    auto failed = repo_.FailMessage(session_id, m->id, reason);
    if (!failed) return;
    spdlog::warn("[WhatsApp] Session {}: message {} failed: {}", session_id, failed->id, reason);
    Emit(failed->company_id, session_id, "whatsapp:message_status",
         {{"sessionId", session_id}, {"chatId", failed->chat_id}, {"messageId", failed->id}, {"status", Name(failed->status)},
          {"reason", reason}});
}

}  // namespace wadesk::service
