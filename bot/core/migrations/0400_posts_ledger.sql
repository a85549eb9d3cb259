-- The scheduled posts' ledger: a post is claimed here (BEGIN IMMEDIATE) before it is sent, so
-- two processes on one database send it once. `week` is the calendar Week.key (its start date,
-- ISO). `attempt` 0 is the week's post; `studybot post --force` adds attempts 1, 2, ...
CREATE TABLE posts_ledger (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('weekly', 'nudge', 'recap')),
    channel TEXT NOT NULL,
    week TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    -- claimed: someone is sending it (or died doing so); sent: ts is the message; failed: retry
    status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
    ts TEXT,
    topic_id TEXT,
    due_at TEXT,
    owner TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    sent_at TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    reported INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, channel, week, attempt)
);

CREATE INDEX posts_ledger_recent ON posts_ledger (claimed_at);
CREATE INDEX posts_ledger_ts ON posts_ledger (channel, ts);
