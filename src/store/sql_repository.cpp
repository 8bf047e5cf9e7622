// The SQL repository: labels as JSON, and the unit of work (SqlTransaction) with its group commit.
#include "store/sql_repository.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <map>

#include "core/clock.h"
#include "core/ids.h"
#include "store/errors.h"
#include "store/sql_contacts.h"
#include "store/sql_statements.h"

namespace wadesk::store {

using namespace detail;  // the statements and row decoders (sql_statements.h), the driver types

std::string LabelsToJson(const std::vector<std::string>& labels) {
    boost::json::array array;
    for (const std::string& label : labels) array.emplace_back(boost::json::string_view(label));
    return boost::json::serialize(array);
}

std::vector<std::string> ParseLabels(std::string_view json) {
    boost::json::parse_options options;
    options.allow_invalid_utf8 = true;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(json, ec, {}, options);
    std::vector<std::string> out;
    if (ec || !value.is_array()) return out;
    for (const auto& item : value.as_array()) {
        if (item.is_string()) out.emplace_back(item.as_string().c_str(), item.as_string().size());
    }
    return out;
}

SqlRepository::SqlRepository(std::unique_ptr<detail::Database> db) : db_(std::move(db)) {}

// ---------------------------------------------------------------- unit of work

namespace {

// Drivers prepare each statement text once per connection, so multi-row statements go in
// power-of-two chunks of at most kMaxRowsPerStatement rows: a handful of texts serves any count.
constexpr std::size_t kMaxRowsPerStatement = 64;

std::string MultiRowSql(std::string_view head, std::size_t width, std::size_t rows, std::string_view tail) {
    std::string sql(head);
    sql += " VALUES ";
    std::size_t n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        sql += r ? ", (" : "(";
        for (std::size_t c = 0; c < width; ++c) {
            if (c) sql += ", ";
            sql += '$';
            sql += std::to_string(++n);
        }
        sql += ')';
    }
    if (!tail.empty()) {
        sql += ' ';
        sql += tail;
    }
    return sql;
}

// Runs "<head> VALUES ... <tail>" over `params` (rows of `width` values) in chunks; on_rows, when
// given, gets each chunk's result rows and the index of the chunk's first row.
void RunMultiRow(Connection& conn, std::string_view head, std::size_t width, std::string_view tail,
                 const Params& params, const std::function<void(const Rows&, std::size_t)>& on_rows) {
    const std::size_t total = params.size() / width;
    std::size_t done = 0;
    while (done < total) {
        std::size_t chunk = kMaxRowsPerStatement;
        while (chunk > total - done) chunk /= 2;
        const Params slice(params.begin() + static_cast<std::ptrdiff_t>(done * width),
                           params.begin() + static_cast<std::ptrdiff_t>((done + chunk) * width));
        const Rows rows = conn.Query(MultiRowSql(head, width, chunk, tail), slice);
        if (on_rows) on_rows(rows, done);
        done += chunk;
    }
}

// Transaction over one driver connection inside Database::Write, for one or more units of work
// (a group). Credential writes and events wait for Finish(), which writes them in a few
// multi-row statements: the credentials, then the events under the dialect's ordering lock, so
// that lock is held only from the events to the commit.
class SqlTransaction final : public Transaction {
public:
    SqlTransaction(Connection& conn, const detail::Dialect& dialect) : conn_(conn), dialect_(dialect) {}

    // The unit whose events the following calls append.
    void BeginUnit(std::vector<Event>* events) { unit_events_ = events; }
    // Writes what waits; the caller commits next.
    void Finish();

    Chat UpsertChat(const Chat& chat) override;
    UpsertedContact UpsertContact(const Contact& contact) override;
    RecordedMessage RecordMessage(const Message& message) override;
    std::optional<Message> FindMessageByWaId(std::string_view session_id, std::string_view wa_message_id) override {
        if (wa_message_id.empty()) return std::nullopt;
        return First<Message>(conn_.Query(kSelectMessageByWaId, {S(session_id), S(wa_message_id)}), ReadMessage);
    }
    std::optional<UpdatedMessage> UpdateMessageContent(const Message& m) override {
        const MediaInfo media = m.media.value_or(MediaInfo{});
        auto row = First<Message>(conn_.Query(kUpdateMessageContent,
                                              {m.session_id, m.id, S(Name(m.type)), m.body, m.media.has_value(), media.mimetype,
                                               media.size, media.file_name, media.url, m.quoted_message_id, m.edited,
                                               m.deleted, media.sha256, MediaStatusText(m), media.duration, media.width,
                                               media.height, media.ref}),
                                  ReadMessage);
        if (!row) return std::nullopt;
        UpdatedMessage out{*row, std::nullopt};
        out.chat = First<Chat>(conn_.Query(kRefreshChatPreview, {row->chat_id, row->timestamp, Preview(*row)}), ReadChat);
        return out;
    }
    void AppendEvent(const Event& event) override {
        Event e = event;
        if (e.payload_json.empty()) e.payload_json = "{}";
        unit_events_->push_back(std::move(e));
        events_.emplace_back(unit_events_, unit_events_->size() - 1);
    }
    void PutCredential(std::string_view session_id, std::string_view key, std::string_view value) override {
        credentials_[{std::string(session_id), std::string(key)}] = std::string(value);
    }
    void DeleteCredential(std::string_view session_id, std::string_view key) override {
        credentials_[{std::string(session_id), std::string(key)}] = std::nullopt;
    }
    std::vector<GroupParticipant> ListGroupParticipants(const Chat& chat) override {
        return ReadGroupParticipants(conn_, chat.company_id, chat.id);
    }
    void ReplaceGroupParticipants(const Chat& chat, const std::vector<GroupParticipant>& participants) override {
        conn_.Exec(kDeleteGroupParticipants, {chat.company_id, chat.id});
        std::int64_t position = 0;
        for (const auto& p : participants) {
            conn_.Exec(kInsertGroupParticipant, {chat.id, chat.company_id, position++, p.jid, p.phone, p.lid, p.name,
                                                 p.admin.empty() ? std::string("none") : p.admin});
        }
    }

private:
    Connection& conn_;
    const detail::Dialect& dialect_;
    std::vector<Event>* unit_events_ = nullptr;
    std::vector<std::pair<std::vector<Event>*, std::size_t>> events_;  // every unit's, in append order
    std::map<std::pair<std::string, std::string>, std::optional<std::string>> credentials_;  // nullopt: delete
    // Chat rows this transaction holds locked (id → company): a unit that upserts a chat and then
    // records a message in it locks the row once.
    std::map<std::string, std::string, std::less<>> locked_chats_;
};

void SqlTransaction::Finish() {
    Params puts;
    for (const auto& [key, value] : credentials_) {
        if (value) {
            puts.insert(puts.end(), {key.first, key.second, Blob{*value}, NowMs()});
        } else {
            conn_.Exec(kDeleteCredential, {key.first, key.second});
        }
    }
    RunMultiRow(conn_, kUpsertCredentialsHead, 4, kUpsertCredentialsTail, puts, nullptr);
    credentials_.clear();
    if (events_.empty()) return;
    if (!dialect_.serialize_events.empty()) conn_.Query(dialect_.serialize_events, {});
    const std::int64_t now = NowMs();
    Params params;
    params.reserve(events_.size() * 5);
    for (auto& [unit, index] : events_) {
        Event& e = (*unit)[index];
        e.created_at = now;
        params.insert(params.end(), {e.company_id, e.session_id, e.name, e.payload_json, e.created_at});
    }
    // Under the ordering lock the ids one statement takes increase in row order.
    RunMultiRow(conn_, kInsertEventsHead, 5, "RETURNING id", params, [&](const Rows& rows, std::size_t first) {
        std::vector<std::int64_t> ids;
        for (std::size_t i = 0; i < rows.size(); ++i) ids.push_back(rows[i].Int(0));
        std::sort(ids.begin(), ids.end());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto& [unit, index] = events_[first + i];
            (*unit)[index].id = ids[i];
        }
    });
    events_.clear();
}

Chat SqlTransaction::UpsertChat(const Chat& chat) {
    if (chat.jid.empty()) throw ConstraintViolation("store: a chat needs a jid");
    const std::string& lock = dialect_.for_update;
    std::optional<Chat> by_jid =
        First<Chat>(conn_.Query(kSelectChatByJid + lock, {chat.company_id, chat.session_id, chat.jid}),
                    ReadChat);
    if (!by_jid) {
        by_jid = First<Chat>(
            conn_.Query(kSelectChatByLid + lock, {chat.company_id, chat.session_id, chat.jid}), ReadChat);
    }
    std::optional<Chat> by_lid;
    if (!chat.lid.empty()) {
        by_lid = First<Chat>(
            conn_.Query(kSelectChatByLid + lock, {chat.company_id, chat.session_id, chat.lid}), ReadChat);
        if (!by_lid) {
            by_lid = First<Chat>(
                conn_.Query(kSelectChatByJid + lock, {chat.company_id, chat.session_id, chat.lid}),
                ReadChat);
        }
    }
    const std::int64_t now = NowMs();
    if (!by_jid && !by_lid) {
        if (conn_.Query(kSessionInCompany, {chat.company_id, chat.session_id}).empty()) {
            throw ConstraintViolation("store: chat names a session outside its company");
        }
        Chat out = chat;
        if (out.id.empty()) out.id = NewId();
        out.contact_name =
            out.is_group ? std::string() : detail::ContactNameOfChat(conn_, out.company_id, out.session_id, out.jid, out.lid);
        out.created_at = now;
        out.updated_at = now;
        conn_.Exec(kInsertChat, ChatParams(out));
        locked_chats_[out.id] = out.company_id;
        return out;
    }
    Chat keep = by_jid ? *by_jid : *by_lid;
    const Chat found = keep;
    const bool fold = by_jid && by_lid && by_jid->id != by_lid->id;
    if (fold) {
        // Two rows turned out to be one contact: fold the LID row into the PN row.
        const Chat& other = *by_lid;
        conn_.Exec(kMoveChatMessages, {other.id, keep.id});
        conn_.Exec(kDeleteChat, {other.id});
        keep.unread_count += other.unread_count;
        if (other.last_message_at > keep.last_message_at) {
            keep.last_message_at = other.last_message_at;
            keep.last_message = other.last_message;
        }
        if (keep.name.empty()) keep.name = other.name;
        if (keep.assigned_to.empty()) keep.assigned_to = other.assigned_to;
        for (const std::string& label : other.labels) {
            if (std::find(keep.labels.begin(), keep.labels.end(), label) == keep.labels.end()) {
                keep.labels.push_back(label);
            }
        }
        keep.archived = keep.archived && other.archived;
        keep.pinned = keep.pinned || other.pinned;
        keep.muted = keep.muted || other.muted;
    }
    // The phone-number JID is canonical; a LID seen first becomes the alias.
    if (IsLid(keep.jid) && !IsLid(chat.jid)) {
        if (keep.lid.empty()) keep.lid = keep.jid;
        keep.jid = chat.jid;
    }
    if (!chat.lid.empty() && chat.lid != keep.jid) keep.lid = chat.lid;
    if (!chat.name.empty()) keep.name = chat.name;
    keep.is_group = keep.is_group || chat.is_group;
    if (keep.jid != found.jid || keep.lid != found.lid || fold) {
        keep.contact_name = keep.is_group ? std::string()
                                          : detail::ContactNameOfChat(conn_, keep.company_id, keep.session_id,
                                                                      keep.jid, keep.lid);
    }
    // Most calls find the chat as it is (every incoming message names its chat): no write then.
    const bool unchanged = !fold && keep.jid == found.jid && keep.lid == found.lid && keep.name == found.name &&
                           keep.is_group == found.is_group;
    locked_chats_[keep.id] = keep.company_id;
    if (fold) locked_chats_.erase(by_lid->id);
    if (unchanged) return keep;
    keep.updated_at = now;
    WriteChat(conn_, keep);
    return keep;
}

UpsertedContact SqlTransaction::UpsertContact(const Contact& contact) {
    detail::ContactWrite w = detail::WriteContact(conn_, dialect_.for_update, contact);
    UpsertedContact out{w.contact, w.changed, {}};
    if (!w.display_changed) return out;
    const Contact& c = w.contact;
    out.chats = All<Chat>(conn_.Query(kSetChatContactName, {c.company_id, c.session_id, c.jid,
                                                            c.lid.empty() ? c.jid : c.lid,
                                                            std::string(ContactDisplayName(c)), NowMs()}),
                          ReadChat);
    for (const Chat& chat : out.chats) locked_chats_[chat.id] = chat.company_id;
    return out;
}

RecordedMessage SqlTransaction::RecordMessage(const Message& message) {
    RecordedMessage out;
    // Locking the chat row serializes writers of one chat (PostgreSQL; SQLite has one writer);
    // a chat this transaction upserted is locked already.
    std::string company_id;
    if (auto held = locked_chats_.find(message.chat_id); held != locked_chats_.end()) {
        company_id = held->second;
    } else if (auto chat = First<Chat>(conn_.Query(kSelectChatInSession + dialect_.for_update,
                                                   {message.session_id, message.chat_id}),
                                       ReadChat)) {
        company_id = chat->company_id;
        locked_chats_[chat->id] = company_id;
    }
    if (company_id.empty() || (!message.company_id.empty() && company_id != message.company_id)) {
        throw ConstraintViolation("store: message.chat_id does not name a chat of the message's session");
    }
    auto find_existing = [&]() -> std::optional<Message> {
        if (!message.wa_message_id.empty()) {
            auto m = First<Message>(conn_.Query(kSelectMessageByWaId, {message.session_id, message.wa_message_id}),
                                    ReadMessage);
            if (m) return m;
        }
        if (!message.client_message_id.empty()) {
            return First<Message>(
                conn_.Query(kSelectMessageByClientId, {message.session_id, message.client_message_id}),
                ReadMessage);
        }
        return std::nullopt;
    };
    auto duplicate = [&](Message existing) {
        out.message = std::move(existing);
        auto chat = First<Chat>(conn_.Query(kSelectChatInSession, {out.message.session_id, out.message.chat_id}),
                                ReadChat);
        if (!chat) throw StoreError("store: a stored message's chat is gone");
        out.chat = std::move(*chat);
        out.inserted = false;
    };
    Message m = message;
    if (m.id.empty()) m.id = NewId();
    m.company_id = company_id;
    if (m.created_at == 0) m.created_at = NowMs();
    if (m.timestamp == 0) m.timestamp = m.created_at;
    const MediaInfo media = m.media.value_or(MediaInfo{});
    Rows inserted = conn_.Query(
        kInsertMessage,
        {m.id, m.company_id, m.session_id, m.chat_id, m.wa_message_id, m.from_me, m.sender_jid, m.sender_name,
         m.sender_phone, S(Name(m.type)), m.body, m.media.has_value(), media.mimetype, media.size, media.file_name,
         media.url, m.quoted_message_id, m.timestamp, S(Name(m.status)), m.sent_by, m.client_message_id, m.edited,
         m.deleted, m.from_history, m.created_at, m.sender_lid, m.failure_reason, media.sha256, MediaStatusText(m),
         media.duration, media.width, media.height, media.ref});
    if (inserted.empty()) {
        // Stored before (a redelivery, a retried send) or by a concurrent writer: the unique
        // indexes on (session, wa_message_id) and (session, client_message_id) decided.
        if (auto existing = find_existing()) {
            duplicate(std::move(*existing));
            return out;
        }
        throw UniqueViolation("store: message id already exists");
    }
    const std::int64_t unread = (!m.from_me && !m.from_history) ? 1 : 0;
    out.chat = ReadChat(conn_.Query(kUpdateChatOnMessage, {m.chat_id, m.timestamp, Preview(m), unread, NowMs()})[0]);
    out.message = std::move(m);
    out.inserted = true;
    return out;
}

}  // namespace

// Concurrent writers that collide on a unique index (PostgreSQL) run again and then find the
// winner's row; SQLite serializes writers and never gets here.
constexpr int kTransactAttempts = 4;

struct SqlRepository::GroupUnit {
    const std::function<void(Transaction&)>* fn;
    std::vector<Event> events;
    std::exception_ptr error;
    bool taken = false;  // in a group being committed
    bool done = false;
};

// One transaction for all of `group`; throws (everything rolled back) when any unit throws.
void SqlRepository::CommitTogether(const std::vector<GroupUnit*>& group) {
    db_->Write([&](Connection& conn) {
        SqlTransaction tx(conn, db_->dialect());
        for (GroupUnit* u : group) {
            u->events.clear();  // a unit that runs again starts over
            tx.BeginUnit(&u->events);
            (*u->fn)(tx);
        }
        tx.Finish();
    });
}

void SqlRepository::CommitGroup(const std::vector<GroupUnit*>& group) {
    // A ConnectionError (the database is down or does not answer in time) is every unit's: none
    // runs again, so the group's callers learn it within one timeout, not one per unit.
    std::exception_ptr unavailable;
    if (group.size() > 1) {
        try {
            return CommitTogether(group);
        } catch (const ConnectionError&) {
            unavailable = std::current_exception();
        } catch (...) {
            // Rolled back as a whole: each unit runs again alone, below.
        }
    }
    for (GroupUnit* u : group) {
        const std::vector<GroupUnit*> alone{u};
        for (int attempt = 1; !unavailable; ++attempt) {
            try {
                CommitTogether(alone);
                break;
            } catch (const ConnectionError&) {
                unavailable = std::current_exception();
            } catch (const StoreError& e) {
                // Worth running again: a concurrent insert of the same row (the unit's lookups
                // find it next time), or a deadlock with another group (groups lock chats and
                // counters in their units' order, not one global order).
                const bool again = dynamic_cast<const UniqueViolation*>(&e) || dynamic_cast<const TransientConflict*>(&e);
                if (again && attempt < kTransactAttempts) continue;
                u->error = std::current_exception();
                break;
            } catch (...) {
                u->error = std::current_exception();
                break;
            }
        }
        if (unavailable) u->error = unavailable;
    }
}

std::vector<Event> SqlRepository::Transact(const std::function<void(Transaction&)>& fn) {
    GroupUnit me{&fn};
    std::unique_lock lock(group_mutex_);
    group_queue_.push_back(&me);
    while (!me.done) {
        if (me.taken || groups_running_ >= kMaxGroupsRunning) {
            group_done_.wait(lock);
            continue;
        }
        // A group may start: this caller commits the oldest waiting units, its own among them
        // (or it comes round again).
        ++groups_running_;
        const auto n = static_cast<std::ptrdiff_t>(std::min(group_queue_.size(), kMaxGroup));
        const std::vector<GroupUnit*> group(group_queue_.begin(), group_queue_.begin() + n);
        group_queue_.erase(group_queue_.begin(), group_queue_.begin() + n);
        for (GroupUnit* u : group) u->taken = true;
        lock.unlock();
        CommitGroup(group);
        lock.lock();
        for (GroupUnit* u : group) u->done = true;
        --groups_running_;
        group_done_.notify_all();
    }
    if (me.error) std::rethrow_exception(me.error);
    return std::move(me.events);
}

}  // namespace wadesk::store
