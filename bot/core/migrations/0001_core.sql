-- Events already handled: Slack re-delivers (X-Slack-Retry-Num); each event_id is handled once.
CREATE TABLE events_seen (
    event_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL DEFAULT (datetime('now'))
);

-- Small organizer-changeable values (e.g. the posting channel set with /studygroup channel).
CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
