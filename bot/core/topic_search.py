"""Find roadmap topics by keyword, forgiving of case and plurals, with "did you mean".

CONTRACT (used by /resources, /ask and /qa; keep these signatures):
  find_topics(roadmap, query) -> list[Topic]    best match first; [] when nothing matches
  find_named(roadmap, query) -> list[Topic]     the same, through an id, title or alias only
  suggest(roadmap, query, n=3) -> list[Topic]   close topics for "did you mean"
  resolve(roadmap, query) -> Resolution        the one topic named, else whom to ask about

How it matches: text is lower-cased, punctuation becomes spaces ("k-means" == "k means") and
each word is reduced to a crude singular ("forests" == "forest", "matrices" == "matrix"). A
query matches a field when it starts at a word of that field, also with the spaces squeezed
out ("kmeans", "crossvalidation") and as a word prefix ("eigen" -> "eigenvectors",
"backprop" -> "backpropagation"). Ids, titles and aliases weigh most, then key points, then
the summary and the stage title. When the whole phrase matches nowhere, every meaningful word
of it must match somewhere in the topic.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from bot.core.cache import Cache, Same
from bot.core.roadmap import Roadmap, Topic
from bot.core.words import singular

# Field weights: a hit in the title says far more than one in the summary.
W_ID = 10.0
W_TITLE = 10.0
W_ALIAS = 9.0
W_KEY_POINT = 4.0
W_SUMMARY = 2.0
W_STAGE = 1.0

# Multipliers by how well the query fits the field.
EXACT = 3.0  # the whole field is the query
WHOLE_WORDS = 1.5  # the query ends on a word boundary
PREFIX = 1.0  # the query ends inside a word ("eigen" in "eigenvectors")

# Short prefixes ("a", "de") would match half the roadmap; below this a word must be whole.
MIN_PREFIX = 3

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "what",
        "when",
        "where",
        "which",
        "why",
        "with",
        "about",
        "into",
    ]
)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def words(text: str) -> tuple[str, ...]:
    """Normalised words of `text`: lower case, punctuation as spaces, singular."""
    cleaned = _NON_WORD.sub(" ", text.lower().replace("'", ""))
    return tuple(singular(w) for w in cleaned.split())


@dataclass(frozen=True)
class _Field:
    weight: float
    joined: str  # the words with the spaces squeezed out
    starts: frozenset[int]  # where each word begins in `joined`
    ends: frozenset[int]  # where each word ends in `joined`
    name: bool  # an id, title or alias: a match here names the topic


def _field(weight: float, text: str, name: bool = False) -> _Field:
    parts = words(text)
    starts, ends, at = [], [], 0
    for w in parts:
        starts.append(at)
        at += len(w)
        ends.append(at)
    return _Field(weight, "".join(parts), frozenset(starts), frozenset(ends), name)


def _fields(roadmap: Roadmap, topic: Topic) -> list[_Field]:
    out = [
        _field(W_ID, topic.id, name=True),
        _field(W_TITLE, topic.title, name=True),
        *(_field(W_ALIAS, a, name=True) for a in topic.aliases),
        *(_field(W_KEY_POINT, k) for k in topic.key_points),
        _field(W_SUMMARY, topic.summary),
        _field(W_STAGE, roadmap.stage_title(topic.stage)),
    ]
    return [f for f in out if f.joined]


# Normalised fields per roadmap: the roadmap object (immutable, replaced whole on reload) is
# the key, so a reload is a new key. A few, for the roadmaps in use around a reload.
_INDEXES: Cache[list[list[_Field]]] = Cache(8)


def _index(roadmap: Roadmap) -> list[list[_Field]]:
    return _INDEXES.get(Same(roadmap), lambda: [_fields(roadmap, t) for t in roadmap.topics])


def _fit(query: tuple[str, ...], field: _Field) -> float:
    """How well `query` matches inside `field`: EXACT, WHOLE_WORDS, PREFIX or 0. The query
    must start where a word of the field starts; spaces are ignored on both sides."""
    q = "".join(query)
    if not q:
        return 0.0
    if q == field.joined:
        return EXACT
    best = 0.0
    at = field.joined.find(q)
    while at != -1:
        if at in field.starts:
            if at + len(q) in field.ends:
                return WHOLE_WORDS
            if len(q) >= MIN_PREFIX:
                best = PREFIX
        at = field.joined.find(q, at + 1)
    return best


def _best(query: tuple[str, ...], fields: list[_Field]) -> float:
    return max((f.weight * _fit(query, f) for f in fields), default=0.0)


def _score(query: tuple[str, ...], fields: list[_Field]) -> float:
    whole = _best(query, fields)
    if whole:
        return whole
    # The phrase is nowhere as such: every meaningful word must still be somewhere.
    meaningful = [w for w in query if w not in STOPWORDS] or list(query)
    if len(meaningful) < 2 and meaningful == list(query):
        return 0.0
    scores = [_best((w,), fields) for w in meaningful]
    if not all(scores):
        return 0.0
    return sum(scores) / len(scores) * 0.5


def find_topics(roadmap: Roadmap, query: str) -> list[Topic]:
    """Topics matching `query`, best match first (ties in roadmap order); [] when none."""
    return [topic for topic, _ in _ranked(roadmap, query)]


def find_named(roadmap: Roadmap, query: str) -> list[Topic]:
    """Topics whose id, title or an alias matches `query`, best first: the ones a member may
    mean by it (a word found only in a summary or key point, like "here", names no topic)."""
    return [topic for topic, _ in _ranked(roadmap, query, names_only=True)]


def _ranked(roadmap: Roadmap, query: str, names_only: bool = False) -> list[tuple[Topic, float]]:
    """Topics matching `query` with their scores, best first (`names_only`: by their names)."""
    q = words(query)
    if not q:
        return []
    scored = []
    for order, (topic, fields) in enumerate(zip(roadmap.topics, _index(roadmap), strict=True)):
        if topic.id == query.strip().lower():
            scored.append((-1e9, order, topic))
            continue
        score = _score(q, [f for f in fields if f.name] if names_only else fields)
        if score > 0:
            scored.append((-score, order, topic))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [(topic, -score) for score, _, topic in scored]


# How close (0..1) a misspelt id or name must be to be taken for it.
NEAR = 0.8
# Candidates a "which one?" offers.
MAX_CHOICES = 5


def _has_words(query: tuple[str, ...], name: str) -> bool:
    """`query`'s words appear whole and in order in `name` ("regression" in "Linear
    regression", not "eigen" in "Eigenvectors")."""
    found, n = words(name), len(query)
    return any(found[i : i + n] == query for i in range(len(found) - n + 1))


class Resolution(NamedTuple):
    """Which topic a member named: `topic`, else the candidates, best first (`several`: they
    all match the query and the member must pick; else they are only spelled close, or none)."""

    topic: Topic | None
    closest: list[Topic]
    several: bool = False


def resolve(
    roadmap: Roadmap, query: str, prefer: Collection[str] = (), near: bool = True
) -> Resolution:
    """The one topic `query` names, else the closest ones (see Resolution).

    Named means: its id or title is the query, or an alias no other topic's name shares; or
    it is the only topic found and found by a name (see _named). A word that only a summary
    or key point carries ("here"), or that more topics mention ("math", in one title and many
    summaries), is a question, not a guess: ticking or filtering the wrong topic would be
    silent. Of the candidates, the only one in
    `prefer` (e.g. the ticked ones, for an undo) is taken. With `near`, an id or name misspelt
    only a little ("eigenvector-svd") is taken too."""
    found = find_topics(roadmap, query)
    if found:
        return _named(roadmap, query, found, prefer)
    close = suggest(roadmap, query, 3)
    q = " ".join(words(query))
    if near and close and q:
        scores = [_similarity(q, t) for t in close]
        if scores[0] >= NEAR and (len(scores) == 1 or scores[1] < scores[0]):
            return Resolution(close[0], [])
    return Resolution(None, close)


def _named(roadmap: Roadmap, query: str, found: list[Topic], prefer: Collection[str]) -> Resolution:
    """The topic `query` names among those `found` (see resolve), else whom to ask about."""
    named = find_named(roadmap, query)
    if not named:  # only a summary or key point carries it: "did you mean", never a guess
        return Resolution(None, found[:3])
    q, qwords = "".join(words(query)), words(query)
    exact = [t for t in named if q in {"".join(words(t.id)), "".join(words(t.title))}]
    if len(exact) == 1:
        return Resolution(exact[0], [])
    if len(found) == 1:
        return Resolution(named[0], [])
    whole = [t for t in named if any(_has_words(qwords, n) for n in _names(t))]
    # An id that begins with the words, when no other topic has them in a name, is the one
    # meant ("eigenvectors", "neural"; not "math", last in one title, nor "machine learning",
    # the start of the PyTorch topic's title). So is an alias no other topic's name shares
    # ("svd"; not "regression", an alias of one topic and in two titles).
    if len(whole) == 1 and (
        words(whole[0].id)[: len(qwords)] == qwords
        or q in {"".join(words(a)) for a in whole[0].aliases}
    ):
        return Resolution(whole[0], [])
    candidates = whole or named
    preferred = [t for t in candidates if t.id in prefer]
    if len(preferred) == 1:
        return Resolution(preferred[0], [])
    if len(candidates) < 2:  # more topics mention it: offer them too
        candidates = candidates + [t for t in found if t not in candidates]
    return Resolution(None, candidates[:MAX_CHOICES], several=True)


def _names(topic: Topic) -> tuple[str, ...]:
    return (topic.id, topic.title, *topic.aliases)


def _similarity(query: str, topic: Topic) -> float:
    """Closest spelling of `query` to the topic's id, title, aliases or any of their words."""
    candidates = [topic.id, topic.title, *topic.aliases]
    texts = [" ".join(words(c)) for c in candidates]
    texts += [w for t in texts for w in t.split() if len(w) >= MIN_PREFIX]
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(query)
    best = 0.0
    for text in texts:
        matcher.set_seq1(text)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best


def suggest(roadmap: Roadmap, query: str, n: int = 3) -> list[Topic]:
    """Up to `n` topics whose names are spelled close to `query` ("did you mean"); the best
    matches first. Typos ("eigenvetors", "baysian") land here when find_topics finds nothing."""
    found = find_topics(roadmap, query)[:n]
    q = " ".join(words(query))
    if len(found) >= n or not q:
        return found
    scored = sorted(
        ((_similarity(q, t), order, t) for order, t in enumerate(roadmap.topics)),
        key=lambda s: (-s[0], s[1]),
    )
    for score, _, topic in scored:
        if len(found) >= n or score < 0.7:
            break
        if topic not in found:
            found.append(topic)
    return found
