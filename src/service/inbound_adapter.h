#pragma once
// InboundAdapter: what the engine reports (EngineEvents), turned into store changes and events:
// QR and status changes, incoming messages and history (the receive transaction), send outcomes,
// receipts, media outcomes and group changes; and the metadata queries for groups the session
// knows nothing of. inbound.cpp; contacts.cpp (the contacts the receive path records),
// message_media.cpp (OnMessageMediaChanged), message_receipts.cpp (OnRecipientReceipt),
// groups_service.cpp (OnGroupChange), group_metadata.cpp (the metadata queries).
// Contract: as every service (service/service_context.h) and EngineEvents (service/engine.h).
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "service/engine.h"
#include "service/service_context.h"

namespace wadesk::service {

class InboundAdapter : public EngineEvents, private ServiceContext {
public:
    explicit InboundAdapter(const ServiceContext& context) : ServiceContext(context) {}

    void OnQr(const std::string& session_id, const std::string& qr_text, const std::string& png_data_url,
              std::int64_t expires_at_ms) override;
    void OnReady(const std::string& session_id, const std::string& phone, const std::string& name,
                 const std::string& jid) override;
    void OnStatus(const std::string& session_id, domain::SessionStatus status, const std::string& reason) override;
    bool OnIncomingMessage(const std::string& session_id, const IncomingMessage& message,
                           const CommitHook& also) override;
    bool OnHistory(const std::string& session_id, const HistoryBatch& batch, const CommitHook& also) override;
    void OnMessageSent(const std::string& session_id, const std::string& message_id,
                       const std::string& wa_message_id) override;
    void OnMessageStatus(const std::string& session_id, const std::string& wa_message_id,
                         domain::MessageStatus status) override;
    void OnMessageFailed(const std::string& session_id, const std::string& wa_message_id,
                         const std::string& reason) override;
    void OnRecipientReceipt(const std::string& session_id, const RecipientReceipt& receipt) override;
    void OnMessageMediaChanged(const std::string& session_id, const domain::Message& message) override;
    void OnGroupChange(const std::string& session_id, const GroupChange& change) override;

private:
    // The session a report names, with its company (cached: a session's company never changes);
    // nullopt for an unknown session.
    std::optional<domain::WaSession> ReceivingSession(const std::string& session_id);
    // The statements of one incoming message inside the receive transaction; its events are
    // appended to `tx`, and published once Transact returns them.
    domain::Message IncomingRow(store::Transaction& tx, const domain::WaSession& session, const std::string& chat_id,
                                const IncomingMessage& in);
    void RecordIncoming(store::Transaction& tx, const domain::WaSession& session, const IncomingMessage& in);
    void ApplyChange(store::Transaction& tx, const domain::WaSession& session, const IncomingMessage& in);
    void AppendUpdated(store::Transaction& tx, const domain::WaSession& session, const store::UpdatedMessage& updated);
    // Stores `contact` of the session inside the receive (or history) transaction; the 1:1 chats
    // whose shown name changed with it are appended as whatsapp:chat_updated.
    void RecordContact(store::Transaction& tx, const domain::WaSession& session, domain::Contact contact);
    // The sender of an incoming message as a contact to record: its push name and PN<->LID pair;
    // nullopt when the message names neither (our own messages, a sender without a push name).
    static std::optional<domain::Contact> SenderContact(const IncomingMessage& in);
    // group_metadata.cpp: asks WhatsApp for the metadata of a group whose chat has no
    // participants stored, once per group and connection; NoteGroupMetadata records a group whose
    // metadata arrived; ForgetGroupQueries lets a new connection ask again.
    // `known_unknown`: the caller saw the group hold no participants (no store read is needed).
    void EnsureGroupMetadata(const domain::WaSession& s, const std::string& group_jid, bool known_unknown = false);
    void NoteGroupMetadata(const std::string& session_id, const std::string& group_jid);
    void ForgetGroupQueries(const std::string& session_id);

    // Groups by "<session id>\n<group jid>": those with participants stored, and those whose
    // metadata was asked for on the session's current connection (group_metadata.cpp).
    std::mutex groups_mutex_;
    std::set<std::string> groups_known_;
    std::set<std::string> groups_asked_;
};

}  // namespace wadesk::service
