// Sending: a message stored pending, then handed to the engine once per connection.
#include "service/message_service.h"

#include "core/log.h"
#include "service/chat_ref.h"
#include "service/service_internal.h"
#include "service/views.h"

namespace wadesk::service {

SendResult MessageService::Send(const Actor& actor, const std::string& session_id, const std::string& chat_ref,
                                const SendRequest& req) {
    domain::WaSession s = VisibleSession(actor, session_id);
    auto ref = ParseChatRef(chat_ref);
    if (!ref) NotFound("chat");
    if (!access_.CanWrite(actor.who, s.id))
        Fail(ErrorCode::kForbidden, "sending in this session needs canWrite");
    std::string text = req.text;
    if (Trim(text).empty() && !req.media) Fail(ErrorCode::kInvalidField, "field 'message' must not be empty");
    if (text.size() > 65536) Fail(ErrorCode::kInvalidField, "field 'message' must be at most 65536 bytes");
    if (req.client_message_id.size() > 128)
        Fail(ErrorCode::kInvalidField, "field 'clientMessageId' must be at most 128 bytes");

    std::optional<domain::Chat> chat;
    if (ref->kind == ChatRef::Kind::kId) {
        chat = repo_.FindChat(s.company_id, s.id, ref->value);
        if (!chat) NotFound("chat");
    } else {
        chat = repo_.FindChatByJid(s.company_id, s.id, ref->value);
    }
    // A retried request answers the first result, whatever the session's state is now.
    if (!req.client_message_id.empty()) {
        if (auto prior = repo_.FindMessageByClientId(s.id, req.client_message_id)) {
            if (chat && prior->chat_id != chat->id)
                Fail(ErrorCode::kClientMessageIdReused,
                     "clientMessageId was already used for another chat");
            return SendResult{*prior, false};
        }
    }
    if (!IsLive(s.status))
        Fail(ErrorCode::kSessionNotConnected,
             "session is " + std::string(Name(s.status)) + "; messages can be sent once it is connected");

    std::string quoted_id;
    if (!req.quoted_message_id.empty()) {
        std::optional<domain::Message> quoted;
        if (IsWellFormedId(req.quoted_message_id)) quoted = repo_.FindMessage(s.company_id, s.id, req.quoted_message_id);
        if (!quoted) quoted = repo_.FindMessageByWaId(s.id, req.quoted_message_id);
        if (!quoted || (chat && quoted->chat_id != chat->id))
            Fail(ErrorCode::kInvalidQuotedMessage, "quotedMessageId is not a message of this chat");
        quoted_id = quoted->id;
    }
    if (!chat) {
        domain::Chat c;
        c.company_id = s.company_id;
        c.session_id = s.id;
        c.jid = ref->value;
        c.is_group = ref->value.ends_with("@g.us");
        chat = repo_.UpsertChat(c);
    }
    domain::Message m;
    m.company_id = s.company_id;
    m.session_id = s.id;
    m.chat_id = chat->id;
    m.from_me = true;
    m.sender_jid = s.jid;
    m.sender_phone = s.phone_number;
    m.sender_name = s.display_name;
    m.type = req.media ? req.type : domain::MessageType::kText;
    m.body = text;
    m.media = req.media;
    m.quoted_message_id = quoted_id;
    m.timestamp = NowMs();
    m.status = domain::MessageStatus::kPending;
    m.wa_message_id = NewWaMessageId();  // fixed now: a re-send after a reconnect keeps it
    m.sent_by = actor.who.user_id;
    m.client_message_id = req.client_message_id;
    store::RecordedMessage rec = repo_.RecordMessage(m);
    if (!rec.inserted) return SendResult{rec.message, false};  // a concurrent retry won the race
    WriteAudit(&actor, s.company_id, "message.send", "message", rec.message.id, {{"chatId", chat->id}});
    Emit(s.company_id, s.id, "whatsapp:message_sent",
         {{"sessionId", s.id}, {"chatId", chat->id}, {"message", MessageView(rec.message)}});
    Emit(s.company_id, s.id, "whatsapp:chat_updated", {{"sessionId", s.id}, {"chatId", chat->id}, {"chat", ChatView(rec.chat)}});
    HandToEngine(s, rec.message);
    spdlog::info("[WhatsApp] Message sent for session {}: {}", s.id, LoggedText(text));
    return SendResult{rec.message, true};
}

void ServiceContext::Forget(const std::string& session_id, const std::string& message_id) {
    std::lock_guard lock(send_mutex_);
    if (auto it = handed_.find(session_id); it != handed_.end()) it->second.erase(message_id);
}

void ServiceContext::HandToEngine(const domain::WaSession& s, const domain::Message& m) {
    {
        std::lock_guard lock(send_mutex_);
        if (!handed_[s.id].insert(m.id).second) return;
    }
    OutgoingMessage out;
    out.session_id = s.id;
    out.message_id = m.id;
    out.wa_message_id = m.wa_message_id;
    if (out.wa_message_id.empty()) {  // a row stored before ids were given at creation
        out.wa_message_id = NewWaMessageId();
        repo_.SetMessageWaId(s.id, m.id, out.wa_message_id);
    }
    out.body = m.body;
    out.type = m.type;
    out.media = m.media;
    if (auto chat = repo_.FindChat(s.company_id, s.id, m.chat_id)) out.chat_jid = chat->jid;
    if (!m.quoted_message_id.empty()) {
        auto q = repo_.FindMessage(s.company_id, s.id, m.quoted_message_id);
        if (q && !q->wa_message_id.empty()) {  // WhatsApp can only quote what it knows by id
            out.quoted_wa_message_id = q->wa_message_id;
            out.quoted_sender_jid = UserJid(q->from_me ? s.jid : q->sender_jid);
            out.quoted_body = q->body;
        }
    }
    if (out.chat_jid.empty()) return;
    engine_.Send(out);
}

}  // namespace wadesk::service
