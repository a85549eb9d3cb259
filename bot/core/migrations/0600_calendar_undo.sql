-- Organizers can undo a calendar change and start a new round ('restart': the calendar begins
-- again at week_start, the changes before it no longer apply). An undone change is kept, with
-- who undid it and when, and no longer applies. SQLite cannot alter a CHECK: the table is
-- rebuilt with the same ids.
CREATE TABLE calendar_changes_next (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('skip', 'extend', 'pause', 'resume', 'restart')),
    week_start TEXT NOT NULL,
    topic_id TEXT,
    by_user TEXT,
    created_at TEXT NOT NULL,
    undone_at TEXT,
    undone_by TEXT
);

INSERT INTO calendar_changes_next (id, kind, week_start, topic_id, by_user, created_at)
    SELECT id, kind, week_start, topic_id, by_user, created_at FROM calendar_changes;

DROP TABLE calendar_changes;

ALTER TABLE calendar_changes_next RENAME TO calendar_changes;
