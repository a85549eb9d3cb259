-- The group decides its pace (issue 19): "Need another week on this topic?" in the nudge.
-- IF NOT EXISTS: applying it to a file that has these tables already changes nothing.

-- Whether the vote is on: one row, turned on and off by organizers (/studygroup vote on|off).
CREATE TABLE IF NOT EXISTS pace_vote_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enabled INTEGER NOT NULL,
    changed_by TEXT,
    changed_at TEXT NOT NULL
);

-- One vote per member and week: changing it replaces it.
CREATE TABLE IF NOT EXISTS pace_votes (
    week TEXT NOT NULL,
    user TEXT NOT NULL,
    choice TEXT NOT NULL CHECK (choice IN ('yes', 'no')),
    voted_at TEXT NOT NULL,
    PRIMARY KEY (week, user)
);

-- A week's vote: when it first passed (the organizers' notice, claimed then, so at most
-- once), a veto, and how the recap decided it (once; the calendar change it made, if any).
CREATE TABLE IF NOT EXISTS pace_weeks (
    week TEXT PRIMARY KEY,
    topic_id TEXT NOT NULL,
    passed_at TEXT,
    vetoed_by TEXT,
    vetoed_at TEXT,
    outcome TEXT CHECK (outcome IN ('extended', 'vetoed', 'not-passed')),
    yes INTEGER,
    no INTEGER,
    change_id INTEGER,
    closed_at TEXT
);
