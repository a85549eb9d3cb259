"""Which roadmap topic a question is about: BM25 over the topics' names, key points and resources.

A question is filed by what it is about, not by the week it was asked in: "What is the intuition
behind SVD?" asked in the integrals week belongs with the SVD. Each topic is a document of
fields, weighted (ids, titles and aliases most, then key points, then the summary and resource
titles); a question's words are scored against them with BM25 (rare words count most: "svd"
names one topic, "khan" twenty). Words are those of bot.core.topic_search (lower case, crude
singular), with each pair of neighbours also joined ("k means" meets "kmeans") and a longer
word of the topics found by its start ("eigen" -> eigenvectors).

The best topic is taken only above a threshold (higher for a topic none of whose names the
question uses: everyday words turn up in some key point), and the week's own topic is kept
whenever it matches nearly as well: a question that names nothing of the roadmap stays with
the calendar.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass

from bot.core.cache import Cache, Same
from bot.core.roadmap import Roadmap, Topic
from bot.core.topic_search import words
from bot.core.words import STOPWORDS

# Field weights (a word's count in a field is multiplied by its field's weight).
W_NAME = 3.0  # id, title, aliases
W_KEY_POINT = 1.5
W_SUMMARY = 1.0
W_RESOURCE = 1.0
# BM25's saturation and length normalization (low: a topic with many resources is no less
# about its title).
K1 = 1.2
B = 0.4
# A query word no topic has, matched by the start of a longer word of the topics (or the other
# way round), counts this much.
PREFIX_SHARE = 0.6
MIN_PREFIX = 4
# The best topic must score at least this share of what one title word found in one topic only
# would score: a single distinctive name, key point or resource word is enough, common words
# ("course", "khan") are not.
MIN_SHARE = 0.75
# The week's topic stays when it scores at least this share of the best one.
KEEP_WEEK = 0.5
# A topic none of whose names (id, title, aliases) the question uses needs this much more: a
# word only in its key points or readings ("still", "notes", "cover", "bit") is more often the
# way members talk ("is the meeting still on?") than what the question is about.
BODY_SHARE = 1.0
# Words too common to say what a question is about, beyond words.STOPWORDS: the roadmap's own
# (in many topics' resources) and how members talk about studying ("this week is hard").
_NOISE = frozenset(
    {"free", "pdf", "online", "ch", "ed", "chapter", "part", "intro", "introduction"}
    | {"week", "weeks", "exercise", "exercises", "hard", "harder", "easy", "tip", "tips"}
    | {"finding", "find", "stuck", "help", "book", "books", "buy", "read", "reading"}
)


def terms(text: str) -> list[str]:
    """The words of `text` that say what it is about, and each pair of neighbours joined."""
    found = [w for w in words(text) if len(w) > 1 and w not in STOPWORDS and w not in _NOISE]
    joined = [a + b for a, b in zip(found, found[1:], strict=False)]
    return found + joined


@dataclass(frozen=True)
class _Index:
    topics: tuple[Topic, ...]
    idf: dict[str, float]
    unit: float  # the score of one title word found in one topic only: the threshold's scale
    vocabulary: tuple[str, ...]  # every term, sorted (for the prefix lookups)
    postings: dict[str, tuple[tuple[int, float], ...]]  # term -> (topic's place, count)
    norm: tuple[float, ...]  # per topic: BM25's length normalisation
    # A term's first MIN_PREFIX letters -> the lengths of the terms starting so, ascending:
    # the only prefixes of a query word worth looking up.
    lengths: dict[str, tuple[int, ...]]
    names: tuple[frozenset[str], ...]  # per topic: the terms of its id, title and aliases

    def wanted(self, query: list[str]) -> dict[str, float]:
        """The index's terms the query words stand for, each with its share (1, or
        PREFIX_SHARE for a word found by its start)."""
        wanted: dict[str, float] = {}
        for term in dict.fromkeys(query):
            if term in self.idf:
                wanted[term] = 1.0
            elif len(term) >= MIN_PREFIX:
                # "eigen" finds eigenvector, "eigenvalue" finds a topic's "eigen".
                at = bisect.bisect_left(self.vocabulary, term)
                while at < len(self.vocabulary) and self.vocabulary[at].startswith(term):
                    wanted.setdefault(self.vocabulary[at], PREFIX_SHARE)
                    at += 1
                # Only prefixes as long as a term starting the same way: most words have
                # none, and a member's 40,000-letter "word" is not cut 40,000 times.
                for k in self.lengths.get(term[:MIN_PREFIX], ()):
                    if k >= len(term):
                        break
                    if term[:k] in self.idf:
                        wanted.setdefault(term[:k], PREFIX_SHARE)
        return wanted

    def score_terms(self, wanted: dict[str, float]) -> dict[int, float]:
        """BM25 of the topics holding any of these index terms (from `wanted`), by place."""
        # Through the postings: only the topics holding a term are touched (a question names
        # a few of the roadmap's thousand terms). Each topic's terms are added in the query's
        # order, as a loop over the topics would add them.
        scores: dict[int, float] = {}
        for term, share in wanted.items():
            weight = share * self.idf[term]
            for at, count in self.postings.get(term, ()):
                gain = weight * count * (K1 + 1) / (count + self.norm[at])
                scores[at] = scores.get(at, 0.0) + gain
        return scores


def _document(topic: Topic) -> dict[str, float]:
    doc: dict[str, float] = {}
    fields = [
        (W_NAME, topic.id.replace("-", " ")),
        (W_NAME, topic.title),
        *((W_NAME, alias) for alias in topic.aliases),
        *((W_KEY_POINT, point) for point in topic.key_points),
        (W_SUMMARY, topic.summary),
        *((W_RESOURCE, r.title) for r in topic.resources),
    ]
    for weight, text in fields:
        for term in terms(text):
            doc[term] = doc.get(term, 0.0) + weight
    return doc


def _names(topic: Topic) -> frozenset[str]:
    named = [topic.id.replace("-", " "), topic.title, *topic.aliases]
    return frozenset(term for text in named for term in terms(text))


def _build(roadmap: Roadmap) -> _Index:
    topics = roadmap.topics
    docs = [_document(t) for t in topics]
    n = max(len(docs), 1)
    df: Counter[str] = Counter(term for doc in docs for term in doc)
    idf = {term: math.log(1 + (n - k + 0.5) / (k + 0.5)) for term, k in df.items()}
    lengths = tuple(float(sum(doc.values())) for doc in docs)
    average = (sum(lengths) / len(lengths)) if lengths else 1.0
    average = average or 1.0
    unit = math.log(1 + (n - 0.5) / 1.5) * W_NAME * (K1 + 1) / (W_NAME + K1)
    postings: dict[str, list[tuple[int, float]]] = {}
    for at, doc in enumerate(docs):
        for term, count in doc.items():
            postings.setdefault(term, []).append((at, count))
    norm = tuple(K1 * (1 - B + B * length / average) for length in lengths)
    starts: dict[str, set[int]] = {}
    for term in idf:
        if len(term) >= MIN_PREFIX:
            starts.setdefault(term[:MIN_PREFIX], set()).add(len(term))
    return _Index(
        topics,
        idf,
        unit,
        tuple(sorted(idf)),
        {term: tuple(found) for term, found in postings.items()},
        norm,
        {start: tuple(sorted(found)) for start, found in starts.items()},
        tuple(_names(t) for t in topics),
    )


# One index per roadmap object (immutable, replaced whole on reload): see bot.core.cache.
_INDEXES: Cache[_Index] = Cache(8)


def _index(roadmap: Roadmap) -> _Index:
    return _INDEXES.get(Same(roadmap), lambda: _build(roadmap))


def _shares(roadmap: Roadmap, text: str) -> list[tuple[Topic, float, bool]]:
    """Every topic `text` scores on (in the roadmap's order), with its score as a share of
    one distinctive title word (1.0), and whether the question uses one of its names. A
    topic it does not score on has a share of 0."""
    index = _index(roadmap)
    wanted = index.wanted(terms(text))
    scores = index.score_terms(wanted)
    return [
        (index.topics[at], scores[at] / index.unit, not index.names[at].isdisjoint(wanted))
        for at in sorted(scores)
    ]


def _about(share: float, named: bool) -> bool:
    """Enough to say a question is about a topic: one distinctive word, or more when none of
    the topic's names is used."""
    return share >= (MIN_SHARE if named else BODY_SHARE)


def ranked(roadmap: Roadmap, text: str) -> list[tuple[Topic, float]]:
    """The topics `text` is about, best first, each with its score as a share of one
    distinctive title word (1.0); only those above the threshold (MIN_SHARE, or BODY_SHARE
    for a topic none of whose names it uses)."""
    found = [
        (topic, share) for topic, share, named in _shares(roadmap, text) if _about(share, named)
    ]
    return sorted(found, key=lambda item: -item[1])


def file_under(roadmap: Roadmap, text: str, week_topic: str | None) -> str | None:
    """The id of the topic a question belongs to: the best match above the threshold, unless
    the week's topic (`week_topic`, an id or None) matches nearly as well; else the week's."""
    shares = _shares(roadmap, text)
    found = [(topic, share) for topic, share, named in shares if _about(share, named)]
    best, best_share = max(found, key=lambda item: item[1], default=(None, 0.0))
    if best is None:
        return week_topic
    mine = next((share for topic, share, _ in shares if topic.id == week_topic), 0.0)
    if week_topic is not None and mine >= KEEP_WEEK * best_share:
        return week_topic
    return best.id
