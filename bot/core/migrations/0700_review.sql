-- Personal spaced review (issue 19): each member's recall cards, scheduled by FSRS.
-- A card is (topic id, recall index); its state is fsrs's own Card.to_dict() as JSON, and its
-- due time is copied out (UTC ISO 8601) so "what is due" is one indexed query.
-- IF NOT EXISTS: applying it to a file that has these tables already (a restore of a newer
-- backup, the upgrade test re-running the last step) changes nothing.
CREATE TABLE IF NOT EXISTS review_cards (
    user TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    card TEXT NOT NULL,
    due TEXT NOT NULL,
    PRIMARY KEY (user, topic_id, idx)
);
CREATE INDEX IF NOT EXISTS review_cards_due ON review_cards (user, due);

-- Every grade given (the export, and the streak: days with at least one review).
CREATE TABLE IF NOT EXISTS review_log (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    rating TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    local_day TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_log_user ON review_log (user, local_day);

-- A member's choices: which cards (ticked topics or all the group covered), and the daily DM
-- (local HH:MM in the member's own time zone, from users.info; NULL = no DM); tz is also
-- the member's day for the streak (NULL: the roadmap's time zone).
CREATE TABLE IF NOT EXISTS review_settings (
    user TEXT PRIMARY KEY,
    scope TEXT NOT NULL DEFAULT 'ticked' CHECK (scope IN ('ticked', 'group')),
    remind_at TEXT,
    remind_since TEXT,  -- when the DM was turned on: no DM for a time before it
    tz TEXT
);

-- The daily DM, claimed before it is sent: at most one per member and local day, across
-- restarts and processes. status: 'sent', or 'nothing-due' (checked at the time; no DM).
CREATE TABLE IF NOT EXISTS review_dms (
    user TEXT NOT NULL,
    day TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (user, day)
);
