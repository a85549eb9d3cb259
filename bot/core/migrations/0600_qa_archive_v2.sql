-- The archive, issue 16: one meaning of "answered", question text without the prefix, search
-- that finds Chinese and Japanese. Forward only; an existing archive is brought up to it here.

-- Answered now needs a reply (bot/core/questions.py ANSWERED): a ✅ on a question nobody
-- replied to no longer counts, so such questions are open again (and leave the FAQ).
UPDATE qa_questions SET status = 'open', accepted_answer_ts = NULL, resolved_at = NULL
 WHERE status = 'answered'
   AND NOT EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = qa_questions.id AND a.deleted = 0);

-- A question keeps its text without the "Q:" that only marked it (bot.core.ingest.without_prefix;
-- the default prefix: a group that set another keeps those until edited). `body` follows, and
-- with it the search index (the update trigger of 0300).
UPDATE qa_questions
   SET text = trim(substr(ltrim(text, ' ' || char(9, 10, 13)), 3), ' ' || char(9, 10, 13)),
       body = trim(substr(ltrim(body, ' ' || char(9, 10, 13)), 3), ' ' || char(9, 10, 13))
 WHERE lower(substr(ltrim(text, ' ' || char(9, 10, 13)), 1, 2)) = 'q:'
   AND lower(substr(ltrim(body, ' ' || char(9, 10, 13)), 1, 2)) = 'q:'
   AND trim(substr(ltrim(text, ' ' || char(9, 10, 13)), 3), ' ' || char(9, 10, 13)) != '';
