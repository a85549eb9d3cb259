-- Study buddies and the rotating discussion lead (issue 19, items 2 and 4).
-- IF NOT EXISTS: applying it to a file that has these tables already (a restore of a newer
-- backup, the upgrade test re-running the last step) changes nothing.

-- Who is in the study channel, as the bot last read it (conversations.members): who may be
-- paired or lead when Slack cannot be asked at that moment.
CREATE TABLE IF NOT EXISTS channel_members (
    channel TEXT NOT NULL,
    user TEXT NOT NULL,
    PRIMARY KEY (channel, user)
);

-- Members who want a study buddy each week (/buddy on; /buddy off deletes the row).
CREATE TABLE IF NOT EXISTS buddy_members (
    user TEXT PRIMARY KEY,
    since TEXT NOT NULL
);

-- A round of pairings: the members' seating for the circle method (JSON list, null = a bye).
-- Each week of a round uses one of its slots, so a steady group meets every pair once before
-- any pair meets again.
CREATE TABLE IF NOT EXISTS buddy_rounds (
    id INTEGER PRIMARY KEY,
    started_week TEXT NOT NULL,
    seating TEXT NOT NULL
);

-- A week's pairing, claimed before any DM is sent: at most one per week, across restarts and
-- processes. status: 'paired', 'alone' (one member, told there is no partner), 'none'.
CREATE TABLE IF NOT EXISTS buddy_weeks (
    week TEXT PRIMARY KEY,
    claimed_at TEXT NOT NULL,
    status TEXT NOT NULL,
    round INTEGER,
    slot INTEGER
);

-- The groups of a week (members: JSON list of user ids) and how their group DM went
-- ('claimed' until sent; 'sent' or 'failed', never retried).
CREATE TABLE IF NOT EXISTS buddy_groups (
    week TEXT NOT NULL,
    grp INTEGER NOT NULL,
    members TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'claimed',
    PRIMARY KEY (week, grp)
);

-- Discussion-lead volunteers (/lead on), in the order they volunteered.
CREATE TABLE IF NOT EXISTS lead_volunteers (
    user TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    since TEXT NOT NULL
);

-- Each week's lead, chosen once (the rotation, or an organizer: by_user) and kept, so the
-- weekly post names the same lead however often it is rendered.
CREATE TABLE IF NOT EXISTS lead_weeks (
    week TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    chosen_at TEXT NOT NULL,
    by_user TEXT
);

-- The lead's reminder a day before, claimed before it is sent: at most one per week and lead.
CREATE TABLE IF NOT EXISTS lead_dms (
    week TEXT NOT NULL,
    user TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (week, user)
);
