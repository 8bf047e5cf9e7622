// Repository::RecordReceipt / ListReceipts (V013 wa_message_receipts), for both backends: one row
// per recipient of an outgoing message, moved forward only (delivered < read < played).
#include <algorithm>
#include <array>

#include "store/errors.h"
#include "store/sql_repository.h"

namespace wadesk::store {

namespace {

const std::string kUpsertReceipt =
    "INSERT INTO wa_message_receipts (message_id, company_id, session_id, jid, phone, lid, status, status_rank, "
    "reached_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
    "ON CONFLICT (message_id, jid) DO UPDATE SET status = excluded.status, status_rank = excluded.status_rank, "
    "reached_at = excluded.reached_at, "
    "phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE wa_message_receipts.phone END, "
    "lid = CASE WHEN excluded.lid <> '' THEN excluded.lid ELSE wa_message_receipts.lid END "
    "WHERE excluded.status_rank > wa_message_receipts.status_rank";

// The name: the contact's own name, else its push name, else the member's name in the group.
const std::string kListReceipts =
    "SELECT r.jid, r.phone, r.lid, r.status, r.reached_at, r.session_id, "
    "COALESCE((SELECT CASE WHEN c.name <> '' THEN c.name ELSE c.push_name END FROM wa_contacts c "
    "  WHERE c.session_id = r.session_id AND (c.jid = r.jid OR (r.lid <> '' AND c.lid = r.lid)) "
    "  ORDER BY c.jid LIMIT 1), ''), "
    "COALESCE((SELECT p.name FROM wa_group_participants p "
    "  WHERE p.chat_id = m.chat_id AND (p.jid = r.jid OR (r.lid <> '' AND p.lid = r.lid)) "
    "  ORDER BY p.position LIMIT 1), '') "
    "FROM wa_message_receipts r JOIN wa_messages m ON m.id = r.message_id "
    "WHERE r.company_id = $1 AND r.message_id = $2 "
    "ORDER BY r.status_rank DESC, r.reached_at, r.jid";

constexpr std::array<MessageStatus, 3> kReceiptStatuses = {MessageStatus::kDelivered, MessageStatus::kRead,
                                                          MessageStatus::kPlayed};

std::int64_t RankOf(MessageStatus status) {
    auto it = std::find(kReceiptStatuses.begin(), kReceiptStatuses.end(), status);
    if (it == kReceiptStatuses.end()) return 0;
    return static_cast<std::int64_t>(it - kReceiptStatuses.begin()) + 1;
}

}  // namespace

bool SqlRepository::RecordReceipt(const MessageReceipt& r) {
    const std::int64_t rank = RankOf(r.status);
    if (rank == 0) throw ConstraintViolation("receipt status must be delivered, read or played");
    if (r.jid.empty()) throw ConstraintViolation("a receipt names its recipient");
    std::int64_t changed = 0;
    db_->Write([&](detail::Connection& conn) {
        changed = conn.Exec(kUpsertReceipt, {r.message_id, r.company_id, r.session_id, r.jid, r.phone, r.lid,
                                             std::string(Name(r.status)), rank, r.at});
    });
    return changed > 0;
}

std::vector<MessageReceipt> SqlRepository::ListReceipts(std::string_view company_id, std::string_view message_id) {
    std::vector<MessageReceipt> out;
    db_->Read([&](detail::Connection& conn) {
        const detail::Rows rows = conn.Query(kListReceipts, {std::string(company_id), std::string(message_id)});
        for (std::size_t i = 0; i < rows.size(); ++i) {
            MessageReceipt r;
            r.message_id = std::string(message_id);
            r.company_id = std::string(company_id);
            r.jid = std::string(rows[i].Text(0));
            r.phone = std::string(rows[i].Text(1));
            r.lid = std::string(rows[i].Text(2));
            // The schema allows delivered, read and played only.
            r.status = domain::ParseMessageStatus(rows[i].Text(3)).value_or(MessageStatus::kDelivered);
            r.at = rows[i].Int(4);
            r.session_id = std::string(rows[i].Text(5));
            r.name = std::string(rows[i].Text(6));
            if (r.name.empty()) r.name = std::string(rows[i].Text(7));
            out.push_back(std::move(r));
        }
    });
    return out;
}

}  // namespace wadesk::store
