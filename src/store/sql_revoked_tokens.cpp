// Repository::RevokeToken / ListRevokedTokens (V012 revoked_tokens), for both backends.
#include "store/sql_repository.h"

#include "core/clock.h"

namespace wadesk::store {

namespace {

const std::string kPruneRevokedTokens = "DELETE FROM revoked_tokens WHERE expires_at < $1";
const std::string kInsertRevokedToken =
    "INSERT INTO revoked_tokens (token_id, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (token_id) DO NOTHING";
const std::string kListRevokedTokens =
    "SELECT token_id, user_id, expires_at FROM revoked_tokens WHERE expires_at >= $1 ORDER BY token_id";

}  // namespace

void SqlRepository::RevokeToken(const RevokedToken& token) {
    db_->Write([&](detail::Connection& conn) {
        conn.Exec(kPruneRevokedTokens, {NowMs()});
        conn.Exec(kInsertRevokedToken, {token.token_id, token.user_id, token.expires_at});
    });
}

std::vector<RevokedToken> SqlRepository::ListRevokedTokens(std::int64_t now_ms) {
    std::vector<RevokedToken> out;
    db_->Read([&](detail::Connection& conn) {
        const detail::Rows rows = conn.Query(kListRevokedTokens, {now_ms});
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.push_back(RevokedToken{std::string(rows[i].Text(0)), std::string(rows[i].Text(1)), rows[i].Int(2)});
    });
    return out;
}

}  // namespace wadesk::store
