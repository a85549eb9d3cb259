-- Members' ticks: which roadmap topics each member has marked done (issue 4, /progress).
-- One row per member and topic; unticking deletes the row. topic_id is not a foreign key:
-- topics live in roadmap.yaml, and a tick survives a topic being renamed away and back.
CREATE TABLE progress (
    user TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    done_at TEXT NOT NULL,
    PRIMARY KEY (user, topic_id)
);
