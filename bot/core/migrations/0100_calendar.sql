-- Organizer changes to the reading calendar: skip a week, extend a topic, pause, resume.
CREATE TABLE calendar_changes (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('skip', 'extend', 'pause', 'resume')),
    week_start TEXT NOT NULL,
    topic_id TEXT,
    by_user TEXT,
    created_at TEXT NOT NULL
);
