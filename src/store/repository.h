#pragma once
// The storage interface. Two backends implement it: SQLite (WAL, the embedded default) and
// PostgreSQL (libpq with a connection pool). Callers never see SQL.
//
// One repository per aggregate, each in its header (a caller that needs only chats may hold a
// ChatRepository&): companies, users, sessions, access, chats, contacts, messages, receipts,
// events and audit, statistics, credentials. Repository is all of them over one database, plus
// the unit of work (Transact) that composes statements of several aggregates into one commit.
//
// Contract for every method of every repository:
// - Blocking: call it from the database pool, never from an I/O thread.
// - Thread-safe: any number of threads may call concurrently.
// - Company scoping: methods that take company_id match rows of that company only; a row of
//   another company is "not found" (std::nullopt / false), never an error that reveals it.
// - Failures throw the StoreError hierarchy of store/errors.h; "not found" is not a failure.
#include <chrono>
#include <functional>
#include <memory>

#include "store/access_repository.h"
#include "store/chat_repository.h"
#include "store/common.h"
#include "store/company_repository.h"
#include "store/contact_repository.h"
#include "store/credential_repository.h"
#include "store/event_repository.h"
#include "store/message_repository.h"
#include "store/receipt_repository.h"
#include "store/session_repository.h"
#include "store/stats_repository.h"
#include "store/transaction.h"
#include "store/user_repository.h"

namespace wadesk::store {

class Repository : public CompanyRepository,
                   public UserRepository,
                   public SessionRepository,
                   public AccessRepository,
                   public ChatRepository,
                   public ContactRepository,
                   public MessageRepository,
                   public ReceiptRepository,
                   public EventRepository,
                   public StatsRepository,
                   public CredentialRepository {
public:
    ~Repository() override = default;

    // Runs `fn` as one unit of work: committed when fn returns, rolled back when it throws (the
    // exception then propagates). Returns the events the unit appended, as written. Units of
    // concurrent callers may share one transaction (group commit); `fn` may run more than once
    // (when its group or a colliding writer rolls back), so it must have no effect outside `tx`
    // until Transact returns.
    virtual std::vector<Event> Transact(const std::function<void(Transaction& tx)>& fn) = 0;

    virtual bool Ping() = 0;  // true when the database answers
};

struct OpenOptions {
    // PostgreSQL: the longest wait for the server in one call, for a free pooled connection and
    // for a new connection (WADESK_DB_TIMEOUT_MS); past it the call throws ConnectionError.
    // Zero: calls wait as long as they take (tools), connecting and pooling give up after 10 s.
    std::chrono::milliseconds timeout{0};
};

// Opens the backend `url` names: "postgres://..." or "postgresql://..." selects PostgreSQL,
// "sqlite:///path/to/file.db" or a bare path selects SQLite. Applies pending migrations when
// `migrate` is true. Throws StoreError when the database cannot be opened.
// A new SQLite database file is created with mode 0600 (its -wal and -shm files take the same
// mode) and a missing parent directory with mode 0700.
std::unique_ptr<Repository> OpenRepository(const std::string& url, bool migrate = true,
                                           const OpenOptions& options = {});

// The file of a SQLite `url` as OpenRepository reads it; nullopt for PostgreSQL. Throws
// StoreError for a URL OpenRepository would refuse.
std::optional<std::string> SqlitePathOf(const std::string& url);

}  // namespace wadesk::store
