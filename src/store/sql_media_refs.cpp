// Repository::ListClearMediaRefs / ReplaceMediaRef: the rows whose media reference still names its
// media key in clear (stored before the keys were sealed at rest), for both backends.
#include "store/sql_repository.h"

namespace wadesk::store {

namespace {

// A sealed reference names "mediaKeySealed", never "mediaKey" followed by a quote.
const std::string kListClearMediaRefs =
    "SELECT id, media_ref FROM wa_messages WHERE session_id = $1 AND media_ref LIKE '%\"mediaKey\"%' "
    "ORDER BY id LIMIT $2";
const std::string kReplaceMediaRef =
    "UPDATE wa_messages SET media_ref = $4 WHERE session_id = $1 AND id = $2 AND media_ref = $3";

}  // namespace

std::vector<std::pair<std::string, std::string>> SqlRepository::ListClearMediaRefs(std::string_view session_id,
                                                                                   int limit) {
    std::vector<std::pair<std::string, std::string>> out;
    db_->Read([&](detail::Connection& conn) {
        const detail::Rows rows =
            conn.Query(kListClearMediaRefs, {std::string(session_id), static_cast<std::int64_t>(std::max(1, limit))});
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.emplace_back(std::string(rows[i].Text(0)), std::string(rows[i].Text(1)));
    });
    return out;
}

bool SqlRepository::ReplaceMediaRef(std::string_view session_id, std::string_view id, std::string_view expected,
                                    std::string_view ref) {
    std::int64_t changed = 0;
    db_->Write([&](detail::Connection& conn) {
        changed = conn.Exec(kReplaceMediaRef,
                            {std::string(session_id), std::string(id), std::string(expected), std::string(ref)});
    });
    return changed > 0;
}

}  // namespace wadesk::store
