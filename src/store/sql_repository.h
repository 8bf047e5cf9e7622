#pragma once
// The Repository over SQL: every method's statements and transactions, written once against
// detail::Database and run by either driver (sqlite/, postgres/). Statements use $n
// placeholders only; no value is ever spliced into SQL text.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "store/detail/sql.h"
#include "store/repository.h"

namespace wadesk::store {

class SqlRepository final : public Repository {
public:
    explicit SqlRepository(std::unique_ptr<detail::Database> db);

    // The driver underneath, for tools (the benchmark seeder) that bulk-load around the interface.
    detail::Database& database() { return *db_; }

    // Group commit: while kMaxGroupsRunning groups are being committed, the callers that arrive
    // wait and then run as the next group: one transaction (one commit, one WAL flush, one
    // statement for the group's events and one for its credentials) for up to kMaxGroup units.
    // A group that fails is rolled back and each of its units runs again alone, so one unit's
    // failure is its own caller's and nobody else's; a ConnectionError fails every unit of the
    // group at once (nothing runs again against a database that is down).
    std::vector<Event> Transact(const std::function<void(Transaction& tx)>& fn) override;
    static constexpr std::size_t kMaxGroup = 64;
    static constexpr int kMaxGroupsRunning = 3;

    Company CreateCompany(const Company& company) override;
    std::optional<Company> FindCompany(std::string_view id) override;

    User CreateUser(const User& user) override;
    std::optional<User> FindUserById(std::string_view id) override;
    std::optional<User> FindUserByEmail(std::string_view email) override;
    std::optional<User> FindUserByExternalId(std::string_view company_id, std::string_view external_id) override;
    std::optional<User> FindUser(std::string_view company_id, std::string_view id) override;
    std::vector<User> ListUsers(std::string_view company_id, std::optional<Role> role) override;
    std::optional<User> UpdateUser(std::string_view company_id, std::string_view id, const UserPatch& patch) override;
    bool DeleteUser(std::string_view company_id, std::string_view id) override;

    WaSession CreateSession(const WaSession& session) override;
    std::optional<WaSession> FindSession(std::string_view company_id, std::string_view id) override;
    std::optional<WaSession> FindSessionById(std::string_view id) override;
    std::vector<WaSession> ListSessions(std::string_view company_id) override;
    std::vector<WaSession> ListSessionsByStatus(const std::vector<SessionStatus>& statuses) override;
    std::int64_t CountSessions(std::string_view company_id) override;
    std::optional<WaSession> UpdateSession(std::string_view id, const SessionPatch& patch) override;
    bool DeleteSession(std::string_view company_id, std::string_view id, bool purge) override;

    Access UpsertAccess(const Access& access) override;
    bool DeleteAccess(std::string_view company_id, std::string_view session_id, std::string_view user_id) override;
    std::optional<Access> FindAccess(std::string_view company_id, std::string_view session_id,
                                     std::string_view user_id) override;
    std::vector<Access> ListAccessBySession(std::string_view company_id, std::string_view session_id) override;
    std::vector<Access> ListAccessByUser(std::string_view company_id, std::string_view user_id) override;
    std::vector<Access> ListAllAccess() override;

    Chat UpsertChat(const Chat& chat) override;
    std::optional<Chat> FindChat(std::string_view company_id, std::string_view session_id,
                                 std::string_view id) override;
    std::optional<Chat> FindChatByJid(std::string_view company_id, std::string_view session_id,
                                      std::string_view jid) override;
    Page<Chat> ListChats(const ChatQuery& query) override;
    UpsertedContact UpsertContact(const Contact& contact) override;
    void RevokeToken(const RevokedToken& token) override;
    std::vector<RevokedToken> ListRevokedTokens(std::int64_t now_ms) override;
    std::vector<std::pair<std::string, std::string>> ListClearMediaRefs(std::string_view session_id,
                                                                        int limit) override;
    bool ReplaceMediaRef(std::string_view session_id, std::string_view id, std::string_view expected,
                         std::string_view ref) override;
    std::optional<Contact> FindContact(std::string_view company_id, std::string_view session_id,
                                       std::string_view jid) override;
    Page<Contact> ListContacts(const ContactQuery& query) override;
    std::vector<GroupParticipant> ListGroupParticipants(std::string_view company_id, std::string_view chat_id) override;
    std::optional<Chat> UpdateChat(std::string_view company_id, std::string_view session_id, std::string_view id,
                                   const ChatPatch& patch) override;
    std::optional<Chat> MarkChatRead(std::string_view company_id, std::string_view session_id,
                                     std::string_view id) override;

    RecordedMessage RecordMessage(const Message& message) override;
    bool RecordReceipt(const MessageReceipt& receipt) override;
    std::vector<MessageReceipt> ListReceipts(std::string_view company_id, std::string_view message_id) override;
    std::optional<Message> FindMessage(std::string_view company_id, std::string_view session_id,
                                       std::string_view id) override;
    std::optional<Message> FindMessageByWaId(std::string_view session_id, std::string_view wa_message_id) override;
    std::optional<Message> FindMessageByClientId(std::string_view session_id,
                                                 std::string_view client_message_id) override;
    Page<Message> ListMessages(const MessageQuery& query) override;
    ChatMessages ListChatMessages(const MessageQuery& query) override;
    std::optional<Message> AdvanceMessageStatus(std::string_view session_id, std::string_view id,
                                                MessageStatus status) override;
    std::optional<Message> SetMessageWaId(std::string_view session_id, std::string_view id,
                                          std::string_view wa_message_id) override;
    std::optional<Message> UpdateMessageMedia(std::string_view session_id, std::string_view id,
                                              const MediaInfo& media) override;
    std::optional<Message> FailMessage(std::string_view session_id, std::string_view id,
                                       std::string_view reason) override;
    std::vector<Message> ListPendingOutgoing(std::string_view session_id, int limit) override;
    std::vector<Message> ListRecentIncoming(std::string_view session_id, std::string_view chat_id,
                                            int limit) override;

    Event AppendEvent(const Event& event) override;
    std::vector<Event> ListEvents(std::string_view company_id, std::int64_t after_id, int limit) override;

    AuditEntry AppendAudit(const AuditEntry& entry) override;
    Page<AuditEntry> ListAudit(std::string_view company_id, int page, int limit) override;

    CompanyStats Stats(std::string_view company_id, std::int64_t since_ms) override;

    std::optional<std::string> GetCredential(std::string_view session_id, std::string_view key) override;
    void PutCredential(std::string_view session_id, std::string_view key, std::string_view value) override;
    void DeleteCredential(std::string_view session_id, std::string_view key) override;
    void DeleteCredentials(std::string_view session_id) override;
    std::int64_t PruneCredentials(std::string_view session_id, std::string_view key_prefix,
                                  std::int64_t before_ms) override;
    std::vector<std::string> ListCredentialKeys(std::string_view session_id, std::string_view key_prefix) override;

    bool Ping() override;

    std::vector<User> ListAllUsers() override;
    std::int64_t CountCompanies() override;

private:
    struct GroupUnit;
    void CommitTogether(const std::vector<GroupUnit*>& group);
    void CommitGroup(const std::vector<GroupUnit*>& group);

    std::unique_ptr<detail::Database> db_;
    std::mutex group_mutex_;
    std::condition_variable group_done_;
    std::deque<GroupUnit*> group_queue_;  // units waiting for a group, oldest first
    int groups_running_ = 0;              // groups being committed by their callers
};

// Labels as stored: a JSON array of strings. ParseLabels returns {} for text that is not one.
std::string LabelsToJson(const std::vector<std::string>& labels);
std::vector<std::string> ParseLabels(std::string_view json);

}  // namespace wadesk::store
