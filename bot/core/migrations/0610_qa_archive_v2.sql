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

-- Chinese, Japanese and Korean are written without spaces, so the index saw a whole run of
-- characters as one word: "日本語" found nothing in "日本語を勉強しています". `body` now keeps a
-- zero-width space (char 8203, which the tokenizer splits on) after each CJK character and
-- before one that follows other text (bot.core.words.cjk_spaced); queries look for a word as
-- the phrase of its characters. Here the bodies already kept get the same, character by
-- character (the character classes are words.CJK, the spaces Python's str.isspace()), and the
-- update triggers of 0300 reindex each changed row.

-- Chinese, Japanese and Korean are written without spaces, so the index saw a whole run of
-- characters as one word: "日本語" found nothing in "日本語を勉強しています". `body` now keeps a
-- zero-width space (char 8203, which the tokenizer splits on) after each CJK character and
-- before one that follows other text (bot.core.words.cjk_spaced); queries look for a word as
-- the phrase of its characters. Here the bodies already kept get the same, character by
-- character (the classes are words.CJK, the spaces Python's str.isspace()), and the update
-- triggers of 0300 reindex each row changed.
CREATE TEMP TABLE qa_cjk_bodies AS
WITH RECURSIVE walk (kind, id, rest, prev, out) AS (
    SELECT 'q', id, body, '', '' FROM qa_questions WHERE body GLOB '*[⺀-⿟々-〇〡-〩〱-〵〸-〼぀-ゟ゠-ヿㇰ-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]*'
    UNION ALL
    SELECT 'a', id, body, '', '' FROM qa_answers WHERE body GLOB '*[⺀-⿟々-〇〡-〩〱-〵〸-〼぀-ゟ゠-ヿㇰ-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]*'
    UNION ALL
    SELECT kind, id, substr(rest, 2), substr(rest, 1, 1),
           out || CASE WHEN prev != '' AND (
               (prev GLOB '[⺀-⿟々-〇〡-〩〱-〵〸-〼぀-ゟ゠-ヿㇰ-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]'
                AND unicode(substr(rest, 1, 1)) NOT IN (9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192,
              8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288))
               OR (substr(rest, 1, 1) GLOB '[⺀-⿟々-〇〡-〩〱-〵〸-〼぀-ゟ゠-ヿㇰ-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]'
                AND NOT prev GLOB '[⺀-⿟々-〇〡-〩〱-〵〸-〼぀-ゟ゠-ヿㇰ-ㇿ㐀-䶿一-鿿가-힯豈-﫿ｦ-ﾟ𠀀-𱍏]'
                AND unicode(prev) NOT IN (9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192,
              8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288))
           ) THEN char(8203) ELSE '' END || substr(rest, 1, 1)
      FROM walk WHERE rest != ''
)
SELECT kind, id, out FROM walk WHERE rest = '';
UPDATE qa_questions SET body = (SELECT out FROM qa_cjk_bodies WHERE kind = 'q' AND id = qa_questions.id)
 WHERE id IN (SELECT id FROM qa_cjk_bodies WHERE kind = 'q');
UPDATE qa_answers SET body = (SELECT out FROM qa_cjk_bodies WHERE kind = 'a' AND id = qa_answers.id)
 WHERE id IN (SELECT id FROM qa_cjk_bodies WHERE kind = 'a');
DROP TABLE qa_cjk_bodies;
