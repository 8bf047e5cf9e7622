-- message_counts_daily is kept by the database itself: every row inserted into (deleted from)
-- wa_messages, by RecordMessage, a bulk load or an operator's SQL, counts once (no longer). The table is rebuilt from
-- wa_messages so that it is exact from here on.
CREATE TRIGGER wa_messages_count_daily AFTER INSERT ON wa_messages
BEGIN
    INSERT INTO message_counts_daily (company_id, session_id, day, incoming, outgoing)
    VALUES (NEW.company_id, NEW.session_id, NEW.ts / 86400000,
            CASE WHEN NEW.from_me THEN 0 ELSE 1 END, CASE WHEN NEW.from_me THEN 1 ELSE 0 END)
    ON CONFLICT (company_id, day, session_id) DO UPDATE SET
        incoming = incoming + excluded.incoming,
        outgoing = outgoing + excluded.outgoing;
END;
CREATE TRIGGER wa_messages_uncount_daily AFTER DELETE ON wa_messages
BEGIN
    UPDATE message_counts_daily SET
        incoming = incoming - CASE WHEN OLD.from_me THEN 0 ELSE 1 END,
        outgoing = outgoing - CASE WHEN OLD.from_me THEN 1 ELSE 0 END
    WHERE company_id = OLD.company_id AND day = OLD.ts / 86400000 AND session_id = OLD.session_id;
END;
DELETE FROM message_counts_daily;
INSERT INTO message_counts_daily (company_id, session_id, day, incoming, outgoing)
SELECT company_id, session_id, ts / 86400000,
       SUM(CASE WHEN from_me THEN 0 ELSE 1 END), SUM(CASE WHEN from_me THEN 1 ELSE 0 END)
FROM wa_messages GROUP BY company_id, session_id, ts / 86400000;
