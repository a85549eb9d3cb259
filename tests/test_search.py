"""Topic search: case, plurals, prefixes, phrases, ranking and "did you mean"."""

from __future__ import annotations

import pytest

from bot.core.roadmap_load import load
from bot.core.topic_search import find_topics, suggest, words
from bot.core.words import singular
from tests.conftest import FIXTURES, ROADMAP

SMALL = load(FIXTURES / "roadmaps" / "small.yaml")


def ids(topics) -> list[str]:
    return [t.id for t in topics]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("eigen", "eigen"),  # prefix of a title word
        ("EIGENVECTORS", "eigen"),  # case
        ("eigenvector", "eigen"),  # singular of a plural title word
        ("SVD", "eigen"),  # alias
        ("singular value decompositions", "eigen"),  # plural alias phrase
        ("backprop", "derivatives"),  # prefix of an alias
        ("chain rule", "derivatives"),
        ("chain rules", "derivatives"),
        ("random forest", "trees"),
        ("Random Forests", "trees"),
        ("decision tree", "trees"),
        ("k-means", "clustering"),  # key point, punctuation-insensitive
        ("kmeans", "clustering"),  # spaces squeezed out
        ("K Means", "clustering"),
        ("cross validation", "evaluation"),
        ("cross-validation", "evaluation"),
        ("crossvalidation", "evaluation"),
        ("  clustering  ", "clustering"),
        ("trees", "trees"),  # the id itself
        ("matrices", "eigen"),  # irregular plural meets "matrix" in the summary
    ],
)
def test_queries_land_on_the_right_topic(query: str, expected: str) -> None:
    found = find_topics(SMALL, query)
    assert found, query
    assert found[0].id == expected


def test_nothing_matches_gives_empty_list() -> None:
    assert find_topics(SMALL, "quantum chromodynamics") == []
    assert find_topics(SMALL, "") == []
    assert find_topics(SMALL, "   ") == []
    assert find_topics(SMALL, "!!!") == []


def test_short_fragments_do_not_match_everything() -> None:
    # "de" is a prefix of "derivatives", "decision", "decomposition": too short to mean any.
    assert find_topics(SMALL, "de") == []


def test_key_point_hit_outranks_stage_title_hit() -> None:
    # "learning" is in a key point of trees and in the stage title of all three ML topics.
    assert ids(find_topics(SMALL, "learning")) == ["trees", "clustering", "evaluation"]


def test_every_word_must_match_when_the_phrase_does_not() -> None:
    assert ids(find_topics(SMALL, "chain derivatives")) == ["derivatives"]
    assert find_topics(SMALL, "chain forests") == []


def test_stopwords_are_ignored_between_words() -> None:
    assert ids(find_topics(SMALL, "the chain of rule"))[:1] == ["derivatives"]


def test_ties_keep_roadmap_order() -> None:
    found = ids(find_topics(SMALL, "machine learning"))  # stage title of the ML topics
    assert found[:3] == ["trees", "clustering", "evaluation"]


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("eigenvetors", "eigen"), ("clusterng", "clustering"), ("derivitives", "derivatives")],
)
def test_suggest_did_you_mean(typo: str, expected: str) -> None:
    assert find_topics(SMALL, typo) == []
    assert expected in ids(suggest(SMALL, typo))


def test_suggest_respects_n_and_puts_matches_first() -> None:
    assert len(suggest(SMALL, "tree", n=1)) == 1
    assert ids(suggest(SMALL, "random forest"))[0] == "trees"
    assert suggest(SMALL, "zzzzqqq") == []


def test_plural_rules() -> None:
    assert singular("forests") == "forest"
    assert singular("probabilities") == "probability"
    assert singular("matrices") == "matrix"
    assert singular("series") == "series"
    assert singular("analysis") == "analysis"
    assert words("K-Means, Bayes' theorem") == ("k", "mean", "bayes", "theorem")


# issue 3's examples, on the real curriculum.
REAL = load(ROADMAP)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("eigen", "eigenvectors-svd"),
        ("SVD", "eigenvectors-svd"),
        ("backprop", "derivatives-chain-rule"),
        ("chain rule", "derivatives-chain-rule"),
        ("bayes", "bayesian-statistics"),
        ("k-means", "clustering"),
        ("random forest", "decision-trees-random-forests"),
        ("cross validation", "evaluation-validation"),
        ("pandas", "pandas"),
        ("transformers", "transformers"),
        ("Eigenvalues", "eigenvectors-svd"),
        ("BACKPROPAGATION", "derivatives-chain-rule"),
        ("Bayes' theorem", "bayesian-statistics"),
        ("kmeans", "clustering"),
        ("Random Forests", "decision-trees-random-forests"),
        ("cross-validation", "evaluation-validation"),
        ("hugging face", "transformers"),
    ],
)
def test_issue_examples_land_on_the_right_topic_of_the_real_roadmap(
    query: str, expected: str
) -> None:
    assert find_topics(REAL, query)[0].id == expected


def test_did_you_mean_on_the_real_roadmap() -> None:
    assert find_topics(REAL, "eigenvetcors") == []
    assert ids(suggest(REAL, "eigenvetcors"))[0] == "eigenvectors-svd"
    assert ids(suggest(REAL, "baysian"))[0] == "bayesian-statistics"
