-- Tokens signed out one by one (POST /api/auth/logout): the token's id (SHA-256 of the token, hex)
-- until the token's own expiry, after which the row is of no use and is pruned. A user's other
-- tokens stay valid; signing out everywhere moves users.tokens_valid_after instead.
CREATE TABLE revoked_tokens (
    token_id    TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
