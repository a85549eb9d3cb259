-- Members already greeted on joining the study channel (once per member).
CREATE TABLE welcomed (
    user TEXT PRIMARY KEY,
    welcomed_at TEXT NOT NULL
);
