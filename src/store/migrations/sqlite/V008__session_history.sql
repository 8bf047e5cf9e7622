-- How much of the phone's history a session imports when it links: 'none', 'recent' (the
-- phone's default push) or 'full' (the companion asks for everything).
ALTER TABLE wa_sessions ADD COLUMN history_sync TEXT NOT NULL DEFAULT 'recent'
    CHECK (history_sync IN ('none', 'recent', 'full'));
