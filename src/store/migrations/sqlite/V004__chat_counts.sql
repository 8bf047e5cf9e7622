-- Exact counts behind the `total` of the chat and message listings, kept by the database itself
-- (as message_counts_daily is, V003): every row inserted into or deleted from wa_chats and
-- wa_messages, and every message moved to another chat, counts once, whoever writes it
-- (the repository, a bulk load, an operator's SQL). Both start exact from the rows present.
ALTER TABLE wa_chats ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
UPDATE wa_chats SET message_count = (SELECT COUNT(*) FROM wa_messages WHERE wa_messages.chat_id = wa_chats.id);
CREATE TRIGGER wa_messages_count_chat AFTER INSERT ON wa_messages
BEGIN
    UPDATE wa_chats SET message_count = message_count + 1 WHERE id = NEW.chat_id;
END;
CREATE TRIGGER wa_messages_uncount_chat AFTER DELETE ON wa_messages
BEGIN
    UPDATE wa_chats SET message_count = message_count - 1 WHERE id = OLD.chat_id;
END;
CREATE TRIGGER wa_messages_move_chat AFTER UPDATE OF chat_id ON wa_messages WHEN OLD.chat_id <> NEW.chat_id
BEGIN
    UPDATE wa_chats SET message_count = message_count - 1 WHERE id = OLD.chat_id;
    UPDATE wa_chats SET message_count = message_count + 1 WHERE id = NEW.chat_id;
END;

CREATE TABLE session_chat_counts (
    company_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    chats      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, session_id)
);
INSERT INTO session_chat_counts (company_id, session_id, chats)
SELECT company_id, session_id, COUNT(*) FROM wa_chats GROUP BY company_id, session_id;
CREATE TRIGGER wa_chats_count AFTER INSERT ON wa_chats
BEGIN
    INSERT INTO session_chat_counts (company_id, session_id, chats) VALUES (NEW.company_id, NEW.session_id, 1)
    ON CONFLICT (company_id, session_id) DO UPDATE SET chats = chats + 1;
END;
CREATE TRIGGER wa_chats_uncount AFTER DELETE ON wa_chats
BEGIN
    UPDATE session_chat_counts SET chats = chats - 1
    WHERE company_id = OLD.company_id AND session_id = OLD.session_id;
END;
