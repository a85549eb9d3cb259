"""Text cut into words: one crude singular, and the words too common to tell questions apart."""

from __future__ import annotations

import re

# Plurals the suffix rules below would get wrong.
IRREGULAR = {
    "matrices": "matrix",
    "vertices": "vertex",
    "indices": "index",
    "analyses": "analysis",
    "hypotheses": "hypothesis",
    "bases": "basis",
    "axes": "axis",
    "derivatives": "derivative",
    "curves": "curve",
}
# Words that end in s without being plurals.
KEEP = frozenset({"series", "species", "bayes", "news", "lens", "gauss", "pandas", "numpy"})

# Words nearly every question has: search leaves them out when other words remain, and
# "asked before" compares questions without them.
STOPWORDS = frozenset(
    """a about above after again all also am an and any anyone are as at be because been
    before being between both but by can could did do does doing don done each else ever
    few for from get gets getting got had has have having he her here hers him his how i if
    in into is it its just know like ll me might more most my need no nor not now of off
    on once one only or other our out over own please q re really same she should so some
    someone such than thanks that the their them then there these they this those through
    to too under until up us ve very want was way we were what when where which while who
    whom why will with would you your yours""".split()  # noqa: SIM905 - a readable word list
)

# Slack escapes &, < and > in member text; what remains in <...> is a link or a mention.
_CONTROL = re.compile(r"<[^<>]*>")


def singular(word: str) -> str:
    """A crude singular of a lower-case word, so 'forests', 'probabilities' and 'matrices'
    meet 'forest', 'probability' and 'matrix'."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) <= 3 or word in KEEP:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def without_controls(text: str) -> str:
    """Member text (Slack wire format) with its links and mentions blanked out."""
    return _CONTROL.sub(" ", text or "")
