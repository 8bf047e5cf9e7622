-- Exact counts behind the `total` of the chat and message listings, kept by the database itself
-- (as message_counts_daily is, V003): every row inserted into or deleted from wa_chats and
-- wa_messages, and every message moved to another chat, counts once, whoever writes it
-- (the repository, a bulk load, an operator's SQL). Inserts and deletes are counted per
-- statement from its transition table, so a bulk load updates each chat once per statement.
-- Both start exact from the rows present.
ALTER TABLE wa_chats ADD COLUMN message_count BIGINT NOT NULL DEFAULT 0;
UPDATE wa_chats c SET message_count = m.n
FROM (SELECT chat_id, COUNT(*) AS n FROM wa_messages GROUP BY chat_id) m
WHERE c.id = m.chat_id;

CREATE FUNCTION wa_messages_count_chat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wa_chats c SET message_count = c.message_count + d.n
    FROM (SELECT chat_id, COUNT(*) AS n FROM new_rows GROUP BY chat_id) d
    WHERE c.id = d.chat_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER wa_messages_count_chat AFTER INSERT ON wa_messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wa_messages_count_chat();
CREATE FUNCTION wa_messages_uncount_chat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wa_chats c SET message_count = c.message_count - d.n
    FROM (SELECT chat_id, COUNT(*) AS n FROM old_rows GROUP BY chat_id) d
    WHERE c.id = d.chat_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER wa_messages_uncount_chat AFTER DELETE ON wa_messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION wa_messages_uncount_chat();
CREATE FUNCTION wa_messages_move_chat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wa_chats SET message_count = message_count - 1 WHERE id = OLD.chat_id;
    UPDATE wa_chats SET message_count = message_count + 1 WHERE id = NEW.chat_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER wa_messages_move_chat AFTER UPDATE OF chat_id ON wa_messages
    FOR EACH ROW WHEN (OLD.chat_id IS DISTINCT FROM NEW.chat_id) EXECUTE FUNCTION wa_messages_move_chat();

CREATE TABLE session_chat_counts (
    company_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    chats      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, session_id)
);
INSERT INTO session_chat_counts (company_id, session_id, chats)
SELECT company_id, session_id, COUNT(*) FROM wa_chats GROUP BY company_id, session_id;
CREATE FUNCTION wa_chats_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO session_chat_counts (company_id, session_id, chats)
    SELECT company_id, session_id, COUNT(*) FROM new_rows GROUP BY company_id, session_id
    ON CONFLICT (company_id, session_id) DO UPDATE SET chats = session_chat_counts.chats + EXCLUDED.chats;
    RETURN NULL;
END
$$;
CREATE TRIGGER wa_chats_count AFTER INSERT ON wa_chats
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wa_chats_count();
CREATE FUNCTION wa_chats_uncount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE session_chat_counts s SET chats = s.chats - d.n
    FROM (SELECT company_id, session_id, COUNT(*) AS n FROM old_rows GROUP BY company_id, session_id) d
    WHERE s.company_id = d.company_id AND s.session_id = d.session_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER wa_chats_uncount AFTER DELETE ON wa_chats
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION wa_chats_uncount();
