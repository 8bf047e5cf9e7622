-- The members of a group chat as WhatsApp last told them (w:g2 metadata, w:gp2 notifications),
-- in WhatsApp's order. `jid` is the member's phone-number JID when known, else its LID JID.
CREATE TABLE wa_group_participants (
    chat_id    TEXT NOT NULL REFERENCES wa_chats(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    jid        TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    lid        TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    admin      TEXT NOT NULL DEFAULT 'none' CHECK (admin IN ('none', 'admin', 'superadmin')),
    PRIMARY KEY (chat_id, jid)
);
