-- The Q&A archive (issue 5). `text` is Slack's wire format (&, <, > escaped, <@U…> mentions);
-- `body` is the same text made plain (bot.text.plain), which is what full-text search indexes,
-- so searching "amp" does not find every message with an "&", and snippets never cut a mention.
-- Times are ISO 8601 in UTC with microseconds, so they compare as strings.
CREATE TABLE qa_questions (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    thread_ts TEXT,                  -- set when asked inside a post's thread
    user TEXT,                       -- NULL when anonymous: who asked is kept nowhere
    text TEXT NOT NULL,
    body TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    topic_id TEXT,
    week TEXT,
    source TEXT NOT NULL DEFAULT 'channel'
        CHECK (source IN ('channel', 'thread', 'ask', 'backfill')),
    anonymous INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    accepted_answer_ts TEXT,
    resolved_at TEXT,
    answer_count INTEGER NOT NULL DEFAULT 0,
    permalink TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    -- "asked before" is looked up once per question; the first event to claim it wins.
    asked_before_checked INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel, ts),
    CHECK (anonymous = 0 OR user IS NULL)
);
CREATE INDEX qa_questions_asked ON qa_questions (asked_at);
CREATE INDEX qa_questions_status ON qa_questions (status, asked_at);
CREATE INDEX qa_questions_topic ON qa_questions (topic_id, asked_at);
CREATE INDEX qa_questions_user ON qa_questions (user, asked_at);
CREATE INDEX qa_questions_thread ON qa_questions (channel, thread_ts) WHERE thread_ts IS NOT NULL;

CREATE TABLE qa_answers (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES qa_questions (id),
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    user TEXT NOT NULL,
    text TEXT NOT NULL,
    body TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel, ts)
);
CREATE INDEX qa_answers_question ON qa_answers (question_id, ts);
CREATE INDEX qa_answers_time ON qa_answers (answered_at);

-- Thread replies whose parent has not arrived (or is not a question): linked when it does.
CREATE TABLE qa_pending (
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    user TEXT NOT NULL,
    text TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, ts)
);
CREATE INDEX qa_pending_thread ON qa_pending (channel, thread_ts);
CREATE INDEX qa_pending_received ON qa_pending (received_at);

-- ✅ reactions and "Mark answered" presses. A question's status is derived from these, so a
-- removed reaction reopens it and repeated events change nothing. `organizer`: 1 counts as an
-- organizer's mark, 0 does not (or need not: the asker's own marks always count), NULL until
-- users.info has been asked, after the ack.
CREATE TABLE qa_marks (
    channel TEXT NOT NULL,
    item_ts TEXT NOT NULL,
    user TEXT NOT NULL,
    kind TEXT NOT NULL,              -- a reaction name, or 'button'
    marked_at TEXT NOT NULL,
    organizer INTEGER,
    PRIMARY KEY (channel, item_ts, user, kind)
);
CREATE INDEX qa_marks_unverified ON qa_marks (marked_at) WHERE organizer IS NULL;

-- Small facts the archive learns from Slack, e.g. the workspace URL for offline permalinks.
CREATE TABLE qa_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Full-text search over live (not deleted) questions and answers, kept in sync by triggers.
CREATE VIRTUAL TABLE qa_questions_fts USING fts5 (
    body, content = 'qa_questions', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE qa_answers_fts USING fts5 (
    body, content = 'qa_answers', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER qa_questions_fts_insert AFTER INSERT ON qa_questions WHEN new.deleted = 0
BEGIN
    INSERT INTO qa_questions_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER qa_questions_fts_update AFTER UPDATE OF body, deleted ON qa_questions
BEGIN
    INSERT INTO qa_questions_fts (qa_questions_fts, rowid, body)
        SELECT 'delete', old.id, old.body WHERE old.deleted = 0;
    INSERT INTO qa_questions_fts (rowid, body) SELECT new.id, new.body WHERE new.deleted = 0;
END;
CREATE TRIGGER qa_questions_fts_delete AFTER DELETE ON qa_questions WHEN old.deleted = 0
BEGIN
    INSERT INTO qa_questions_fts (qa_questions_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

CREATE TRIGGER qa_answers_fts_insert AFTER INSERT ON qa_answers WHEN new.deleted = 0
BEGIN
    INSERT INTO qa_answers_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER qa_answers_fts_update AFTER UPDATE OF body, deleted ON qa_answers
BEGIN
    INSERT INTO qa_answers_fts (qa_answers_fts, rowid, body)
        SELECT 'delete', old.id, old.body WHERE old.deleted = 0;
    INSERT INTO qa_answers_fts (rowid, body) SELECT new.id, new.body WHERE new.deleted = 0;
END;
CREATE TRIGGER qa_answers_fts_delete AFTER DELETE ON qa_answers WHEN old.deleted = 0
BEGIN
    INSERT INTO qa_answers_fts (qa_answers_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
