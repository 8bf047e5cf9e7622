-- Why an outgoing message could not be sent (status 'failed'): "no_devices", "key_fetch_failed",
-- "encryption_failed", "server_error_<code>", ...; empty otherwise.
ALTER TABLE wa_messages ADD COLUMN failure_reason TEXT NOT NULL DEFAULT '';
-- The outgoing messages still waiting to leave, per session, oldest first: what a session sends
-- when it is connected again.
CREATE INDEX wa_messages_pending ON wa_messages (session_id, ts, id) WHERE status = 'pending';
