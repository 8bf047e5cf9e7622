-- The contacts of a session (wa-protocol §13): who WhatsApp names behind a JID. Learned from the
-- push names of incoming messages, from history sync (push-name chunks, conversation names) and
-- from PN<->LID mappings. Like a chat, a contact has one canonical JID (the phone-number JID when
-- known, else its LID) and its LID alias; phone is the digits of the phone-number JID.
-- name is the phone's name for the contact (its address book), push_name the name the contact
-- gave itself. Rows reference the company, not the session, so a kept history keeps its names.
CREATE TABLE wa_contacts (
    id          TEXT COLLATE "C" PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    jid         TEXT NOT NULL,
    lid         TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    push_name   TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX wa_contacts_jid ON wa_contacts (session_id, jid);
CREATE UNIQUE INDEX wa_contacts_lid ON wa_contacts (session_id, lid) WHERE lid <> '';

-- The name a 1:1 chat shows when it has no name of its own: its contact's name, else push name.
-- Kept by the store whenever the contact or the chat's identities change.
ALTER TABLE wa_chats ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
