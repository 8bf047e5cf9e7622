-- Messages per company, session and UTC day (day = ts / 86400000), kept by RecordMessage, so
-- statistics read a few rows per day instead of scanning every message.
CREATE TABLE message_counts_daily (
    company_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    day        BIGINT NOT NULL,
    incoming   BIGINT NOT NULL DEFAULT 0,
    outgoing   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, day, session_id)
);
INSERT INTO message_counts_daily (company_id, session_id, day, incoming, outgoing)
SELECT company_id, session_id, ts / 86400000,
       SUM(CASE WHEN from_me THEN 0 ELSE 1 END), SUM(CASE WHEN from_me THEN 1 ELSE 0 END)
FROM wa_messages GROUP BY company_id, session_id, ts / 86400000;
