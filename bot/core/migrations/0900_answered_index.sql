-- "Asked before" looks for earlier questions among the answered ones only (bot/core/similar.py),
-- in an index of those alone. The index of every question gains a segment with each batch of
-- messages archived, and a lookup seeks every segment for every word: during a busy hour
-- "asked before" took several times longer than on a compact index (BENCHMARKS.md). A question
-- enters this index when it becomes answered, which is rare next to the messages arriving, so
-- it stays compact between the nightly merges (bot/core/search_index.py).
-- Answered is the stored status that bot.core.questions.answered_sql() reads.
CREATE VIRTUAL TABLE qa_answered_fts USING fts5 (
    body, content = 'qa_questions', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO qa_answered_fts (rowid, body)
    SELECT id, body FROM qa_questions WHERE status = 'answered' AND deleted = 0;

CREATE TRIGGER qa_answered_fts_insert AFTER INSERT ON qa_questions
    WHEN new.deleted = 0 AND new.status = 'answered'
BEGIN
    INSERT INTO qa_answered_fts (rowid, body) VALUES (new.id, new.body);
END;
-- Only when what the index holds changes: a status refresh that leaves it answered does not
-- take the question out and put it back.
CREATE TRIGGER qa_answered_fts_update AFTER UPDATE OF body, deleted, status ON qa_questions
    WHEN old.body IS NOT new.body OR old.deleted IS NOT new.deleted OR old.status IS NOT new.status
BEGIN
    INSERT INTO qa_answered_fts (qa_answered_fts, rowid, body)
        SELECT 'delete', old.id, old.body WHERE old.deleted = 0 AND old.status = 'answered';
    INSERT INTO qa_answered_fts (rowid, body)
        SELECT new.id, new.body WHERE new.deleted = 0 AND new.status = 'answered';
END;
CREATE TRIGGER qa_answered_fts_delete AFTER DELETE ON qa_questions
    WHEN old.deleted = 0 AND old.status = 'answered'
BEGIN
    INSERT INTO qa_answered_fts (qa_answered_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
