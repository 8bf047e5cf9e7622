-- Who received and read an outgoing message: one row per recipient (a group's member, or the
-- contact of a 1:1 chat), not per device, with the best status its devices reported
-- (delivered < read < played; status_rank 1..3) and when that status was first reached.
-- `jid` is the recipient's phone-number JID when known, else its LID JID.
CREATE TABLE wa_message_receipts (
    message_id  TEXT NOT NULL REFERENCES wa_messages(id) ON DELETE CASCADE,
    company_id  TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    jid         TEXT NOT NULL,
    phone       TEXT NOT NULL DEFAULT '',
    lid         TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('delivered', 'read', 'played')),
    status_rank INTEGER NOT NULL,
    reached_at  BIGINT NOT NULL,
    PRIMARY KEY (message_id, jid)
);
