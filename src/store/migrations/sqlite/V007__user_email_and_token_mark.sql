-- Accounts are found by their email as stored, in the one spelling the server computes
-- (auth::NormaliseEmail: NFKC_Casefold): lookups compare bytes and the database's lower() takes
-- no part. The server rewrites rows stored in an older spelling when it opens the database
-- (WadeskService::LoadViews).
DROP INDEX users_email_ci;
CREATE UNIQUE INDEX users_email ON users (email);
-- Tokens issued before this time (unix ms) are void: moved by a password change, a disable and
-- a sign-out everywhere. 0: no mark.
ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0;
