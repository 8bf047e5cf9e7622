-- The file of a media message (image, video, audio, voice, document, sticker): the SHA-256 (hex)
-- of the decrypted bytes, which names them in the blob store; where the download stands
-- ('pending', 'ready', 'failed', 'too_large'; '' for messages without a file); what the message
-- states of the file (seconds, pixels; 0 when not stated); and media_ref, the JSON reference
-- WhatsApp gave for it (direct path, media key, hashes) so it can be fetched again on demand.
ALTER TABLE wa_messages ADD COLUMN media_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE wa_messages ADD COLUMN media_status TEXT NOT NULL DEFAULT '';
ALTER TABLE wa_messages ADD COLUMN media_duration INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wa_messages ADD COLUMN media_width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wa_messages ADD COLUMN media_height INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wa_messages ADD COLUMN media_ref TEXT NOT NULL DEFAULT '';
