"""The domain: roadmap, calendar, progress, the Q&A archive, the post ledger. Plain values and SQLite."""
