"""Text cut into words: one crude singular, irregular forms, CJK runs, and the common words."""

from __future__ import annotations

import re

# Plurals the suffix rules below would get wrong, mostly the Latin and Greek ones of the math
# vocabulary. Search (bot.core.qa_search) looks for every form of such a word: its Porter
# stemmer makes "matric" of "matrices" and "matrix" of "matrix", which never meet.
IRREGULAR = {
    "matrices": "matrix",
    "vertices": "vertex",
    "indices": "index",
    "appendices": "appendix",
    "simplices": "simplex",
    "helices": "helix",
    "vortices": "vortex",
    "analyses": "analysis",
    "hypotheses": "hypothesis",
    "theses": "thesis",
    "parentheses": "parenthesis",
    "bases": "basis",
    "axes": "axis",
    "radii": "radius",
    "loci": "locus",
    "foci": "focus",
    "moduli": "modulus",
    "calculi": "calculus",
    "tori": "torus",
    "nuclei": "nucleus",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "polyhedra": "polyhedron",
    "automata": "automaton",
    "minima": "minimum",
    "maxima": "maximum",
    "optima": "optimum",
    "extrema": "extremum",
    "spectra": "spectrum",
    "formulae": "formula",
    "lemmata": "lemma",
    "schemata": "schema",
    "corpora": "corpus",
    "derivatives": "derivative",
    "curves": "curve",
}
# Every spelling of each irregular word, its singular first.
_FORMS: dict[str, tuple[str, ...]] = {}
for _plural, _single in IRREGULAR.items():
    _FORMS[_single] = (*_FORMS.get(_single, (_single,)), _plural)
for _single, _all in list(_FORMS.items()):
    for _form in _all:
        _FORMS[_form] = _all

# Chinese, Japanese and Korean: words are not separated by spaces, so the search index keeps
# each of these characters as a word of its own (a zero-width space between two of them, which
# the tokenizer splits on and nobody sees) and looks for a word as the phrase of its characters.
CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3040-\u309f"
    "\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003134f"
)
_CJK_EDGE = re.compile(f"(?<=[{CJK}])(?=\\S)|(?<=[^\\s{CJK}])(?=[{CJK}])")
_CJK_RUN = re.compile(f"[{CJK}]+")
_CJK_ANY = re.compile(f"[{CJK}]")
SEPARATOR = "\u200b"  # zero-width space: a separator to the tokenizer, invisible to readers
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


def forms(word: str) -> tuple[str, ...]:
    """Every spelling of a word the irregular table knows, `word` first ("matrix" ->
    matrix, matrices); just (word,) for any other."""
    known = _FORMS.get(word.lower())
    if not known:
        return (word,)
    return (word, *(f for f in known if f != word.lower()))


def cjk_spaced(text: str) -> str:
    """`text` with SEPARATOR after each CJK character and before one that follows other text:
    what the search index reads, and how a query finds a CJK word inside a longer run
    ("日本語" in "日本語を勉強", "分解" in "SVD分解")."""
    # Most texts have none: one scan for a CJK character costs a ninth of the edges' search.
    return _CJK_EDGE.sub(SEPARATOR, text) if _CJK_ANY.search(text) else text


def cjk_bigrams(word: str) -> list[str]:
    """A word split for comparing questions: each CJK run as its pairs of characters (a single
    character alone), what lies between them as it is."""
    out: list[str] = []
    at = 0
    for run in _CJK_RUN.finditer(word):
        if run.start() > at:
            out.append(word[at : run.start()])
        chars = run.group()
        out += [chars[i : i + 2] for i in range(max(len(chars) - 1, 1))]
        at = run.end()
    if at < len(word):
        out.append(word[at:])
    return out


def without_controls(text: str) -> str:
    """Member text (Slack wire format) with its links and mentions blanked out."""
    return _CONTROL.sub(" ", text or "")
