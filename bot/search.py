"""Find roadmap topics by keyword, forgiving of case and plurals, with "did you mean".

CONTRACT (used by /resources and /ask; keep these signatures):
  find_topics(roadmap, query) -> list[Topic]    best match first; [] when nothing matches
  suggest(roadmap, query, n=3) -> list[Topic]   close topics for "did you mean"
"""

from __future__ import annotations

from bot.roadmap import Roadmap, Topic


def find_topics(roadmap: Roadmap, query: str) -> list[Topic]:
    q = query.strip().lower()
    if not q:
        return []
    exact = [t for t in roadmap.topics if t.id == q]
    if exact:
        return exact
    return [t for t in roadmap.topics if q in t.title.lower() or q in " ".join(t.aliases).lower()]


def suggest(roadmap: Roadmap, query: str, n: int = 3) -> list[Topic]:
    import difflib

    titles = {t.title.lower(): t for t in roadmap.topics}
    close = difflib.get_close_matches(query.lower(), list(titles), n=n, cutoff=0.3)
    return [titles[c] for c in close]
