-- wadesk schema, version 1 (PostgreSQL). Times are unix milliseconds. Chat and message ids use
-- the "C" collation so that (ts, id) ordering and keyset cursors compare bytes, as SQLite does.
CREATE TABLE companies (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    max_sessions INTEGER NOT NULL DEFAULT 10,
    created_at   BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    company_id    TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager')),
    password_hash TEXT NOT NULL DEFAULT '',
    external_id   TEXT NOT NULL DEFAULT '',
    disabled      BOOLEAN NOT NULL DEFAULT false,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email_ci ON users (lower(email));
CREATE INDEX users_company ON users (company_id, created_at);
CREATE UNIQUE INDEX users_external ON users (company_id, external_id) WHERE external_id <> '';

CREATE TABLE wa_sessions (
    id            TEXT PRIMARY KEY,
    company_id    TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('initializing', 'qr', 'connected', 'reconnecting',
                                                  'disconnected', 'logged_out', 'failed')),
    status_reason TEXT NOT NULL DEFAULT '',
    phone_number  TEXT NOT NULL DEFAULT '',
    display_name  TEXT NOT NULL DEFAULT '',
    jid           TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    connected_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX wa_sessions_company ON wa_sessions (company_id, created_at);
CREATE INDEX wa_sessions_status ON wa_sessions (status);

CREATE TABLE wa_access (
    company_id       TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    session_id       TEXT NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    can_read         BOOLEAN NOT NULL DEFAULT false,
    can_write        BOOLEAN NOT NULL DEFAULT false,
    can_manage_chats BOOLEAN NOT NULL DEFAULT false,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX wa_access_user ON wa_access (user_id);

-- Chats and messages outlive their session (DeleteSession without purge keeps the history),
-- so they reference the company, not the session.
CREATE TABLE wa_chats (
    id              TEXT COLLATE "C" PRIMARY KEY,
    company_id      TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    jid             TEXT NOT NULL,
    lid             TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    is_group        BOOLEAN NOT NULL DEFAULT false,
    unread_count    INTEGER NOT NULL DEFAULT 0,
    last_message    TEXT NOT NULL DEFAULT '',
    last_message_at BIGINT NOT NULL DEFAULT 0,
    archived        BOOLEAN NOT NULL DEFAULT false,
    pinned          BOOLEAN NOT NULL DEFAULT false,
    muted           BOOLEAN NOT NULL DEFAULT false,
    assigned_to     TEXT NOT NULL DEFAULT '',
    labels          TEXT NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX wa_chats_jid ON wa_chats (session_id, jid);
CREATE UNIQUE INDEX wa_chats_lid ON wa_chats (session_id, lid) WHERE lid <> '';
CREATE INDEX wa_chats_activity ON wa_chats (session_id, last_message_at DESC, id DESC);

CREATE TABLE wa_messages (
    id                TEXT COLLATE "C" PRIMARY KEY,
    company_id        TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    session_id        TEXT NOT NULL,
    chat_id           TEXT NOT NULL REFERENCES wa_chats(id) ON DELETE CASCADE,
    wa_message_id     TEXT NOT NULL DEFAULT '',
    from_me           BOOLEAN NOT NULL DEFAULT false,
    sender_jid        TEXT NOT NULL DEFAULT '',
    sender_name       TEXT NOT NULL DEFAULT '',
    sender_phone      TEXT NOT NULL DEFAULT '',
    type              TEXT NOT NULL DEFAULT 'text',
    body              TEXT NOT NULL DEFAULT '',
    has_media         BOOLEAN NOT NULL DEFAULT false,
    media_mimetype    TEXT NOT NULL DEFAULT '',
    media_size        BIGINT NOT NULL DEFAULT 0,
    media_file_name   TEXT NOT NULL DEFAULT '',
    media_url         TEXT NOT NULL DEFAULT '',
    quoted_message_id TEXT NOT NULL DEFAULT '',
    ts                BIGINT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'played', 'failed')),
    sent_by           TEXT NOT NULL DEFAULT '',
    client_message_id TEXT NOT NULL DEFAULT '',
    edited            BOOLEAN NOT NULL DEFAULT false,
    deleted           BOOLEAN NOT NULL DEFAULT false,
    from_history      BOOLEAN NOT NULL DEFAULT false,
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX wa_messages_wa_id ON wa_messages (session_id, wa_message_id) WHERE wa_message_id <> '';
CREATE UNIQUE INDEX wa_messages_client_id ON wa_messages (session_id, client_message_id) WHERE client_message_id <> '';
CREATE INDEX wa_messages_chat_ts ON wa_messages (chat_id, ts DESC, id DESC);
CREATE INDEX wa_messages_company_ts ON wa_messages (company_id, ts, session_id, from_me);
CREATE INDEX wa_messages_session ON wa_messages (session_id);

CREATE TABLE wa_credentials (
    session_id TEXT NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    cred_key   TEXT NOT NULL,
    cred_value BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, cred_key)
);

CREATE TABLE events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id   TEXT NOT NULL,
    session_id   TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL,
    payload_json TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL
);
CREATE INDEX events_company ON events (company_id, id);
CREATE INDEX events_session ON events (session_id);

CREATE TABLE audit_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL DEFAULT '',
    target_id    TEXT NOT NULL DEFAULT '',
    details_json TEXT NOT NULL DEFAULT '{}',
    ip           TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX audit_log_company ON audit_log (company_id, id);

-- Sends waiting for the node that owns their session (for later use).
CREATE TABLE outbox (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL REFERENCES wa_messages(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_session ON outbox (session_id, id);
CREATE INDEX outbox_message ON outbox (message_id);
