-- The archive, issue 16: one meaning of "answered", question text without the prefix, search
-- that finds Chinese and Japanese. Forward only; an existing archive is brought up to it here.

-- Answered now needs a reply (bot/core/questions.py ANSWERED): a ✅ on a question nobody
-- replied to no longer counts, so such questions are open again (and leave the FAQ).
UPDATE qa_questions SET status = 'open', accepted_answer_ts = NULL, resolved_at = NULL
 WHERE status = 'answered'
   AND NOT EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = qa_questions.id AND a.deleted = 0);
