-- A contact has two identities (wa-protocol §13): its phone-number JID and its LID. Chats already
-- carry both (wa_chats.jid is the phone-number JID when known, wa_chats.lid the LID alias); a
-- message's sender now does too: sender_phone (digits) and sender_lid (user@lid), each empty when
-- unknown. Rows written before this migration keep an empty sender_lid.
ALTER TABLE wa_messages ADD COLUMN sender_lid TEXT NOT NULL DEFAULT '';
