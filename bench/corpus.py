"""Realistic study-channel text: questions and answers about math for ML, in Slack's wire format
(mentions as <@U…>, links as <url|label>, &, < and > escaped), deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

CONCEPTS = [
    "eigenvectors",
    "eigenvalues",
    "the determinant",
    "matrix multiplication",
    "the SVD",
    "singular values",
    "the rank of a matrix",
    "the null space",
    "orthogonal projections",
    "the Gram-Schmidt process",
    "positive definite matrices",
    "the trace",
    "the inverse matrix",
    "linear independence",
    "a basis change",
    "the dot product",
    "cosine similarity",
    "norms",
    "the chain rule",
    "partial derivatives",
    "the gradient",
    "the Jacobian",
    "the Hessian",
    "gradient descent",
    "learning rate schedules",
    "Taylor series",
    "convexity",
    "Lagrange multipliers",
    "backpropagation",
    "automatic differentiation",
    "integrals",
    "Bayes' theorem",
    "conditional probability",
    "the normal distribution",
    "variance",
    "the covariance matrix",
    "expectation",
    "maximum likelihood",
    "MAP estimation",
    "the central limit theorem",
    "entropy",
    "cross-entropy",
    "KL divergence",
    "softmax",
    "logistic regression",
    "least squares",
    "PCA",
    "regularization",
    "overfitting",
    "the bias-variance tradeoff",
    "hypothesis tests",
    "p-values",
    "confidence intervals",
    "Markov chains",
    "sampling",
    "Monte Carlo estimates",
    "the log-sum-exp trick",
    "numerical stability",
    "floating point error",
    "broadcasting in NumPy",
    "tensors",
]
# The long tail: concepts that come up now and then (about 1 message in 30 mentions one).
RARE = [
    "the Cayley-Hamilton theorem",
    "the Kronecker product",
    "the Wishart distribution",
    "the Sherman-Morrison formula",
    "Jensen's inequality",
    "the Moore-Penrose pseudoinverse",
    "Gershgorin circles",
    "the Frobenius norm",
    "Householder reflections",
    "the Fisher information",
]
SOURCES = [
    "3Blue1Brown's Essence of Linear Algebra",
    "Gilbert Strang's lectures",
    "Khan Academy",
    "Mathematics for Machine Learning (Deisenroth)",
    "the Stanford CS229 notes",
    "Linear Algebra Done Right",
    "Think Stats",
    "the fast.ai course",
    "the week's reading",
    "Andrew Ng's course",
    "Goodfellow's Deep Learning book, chapter 4",
    "the PyTorch docs",
]
CODE = [
    "`np.linalg.eig`",
    "`np.linalg.svd`",
    "`torch.autograd.grad`",
    "`A @ x`",
    "`x.T @ x`",
    "`np.cov(X, rowvar=False)`",
    "`loss.backward()`",
    "`scipy.stats.norm.pdf`",
    "`np.einsum`",
]
ASK = [
    "Can someone explain why {c} matters for {d}?",
    "I'm stuck on {c} in {s}. How does it relate to {d}?",
    "What's the intuition behind {c}? {s} lost me when it got to {d}.",
    "Is there a way to see {c} geometrically, or is it just algebra?",
    "When I run {k} I get something different from what {s} says about {c}. What am I missing?",
    "Do we need to know {c} by heart before moving on to {d}?",
    "Why does {c} show up in {d} at all?",
    "How would you explain {c} to someone who only knows {d}?",
    "Quick one: is {c} the same thing as {d} &amp; if not, what's the difference?",
    "Any good exercise for {c}? I did the one from {s} but it didn't click.",
    "<@{u}> mentioned {c} yesterday, can someone expand on how it connects to {d}?",
    "How do I check my implementation of {c} with {k}?",
]
CONTEXT = [
    "I've been going through {s} this week.",
    "Coming from web dev, so the notation is still new to me.",
    "I re-watched the section twice.",
    "My numbers are off by a small amount and I'm not sure if that's expected.",
    "The proof makes sense line by line but I can't see the big picture.",
    "Sorry if this was covered already &gt; I searched but didn't find it.",
    "Trying to do the code exercise before the Monday post.",
]
ANSWER = [
    "Think of {c} as {d} seen from a different basis, then the formulas line up.",
    "{s} has a good explanation; the key step is that {c} stays fixed while {d} changes.",
    "Try it in code: {k} on a 2x2 example makes {c} very concrete.",
    "Short answer: yes, {c} is what makes {d} work. Long answer in the thread above.",
    "I had the same problem. What helped was writing out {c} by hand for a tiny case.",
    "Not quite: {c} &lt;= {d} only holds when the matrix is symmetric.",
    "<@{u}> that's floating point, you'll see differences around 1e-7 with {k}.",
    "Here's the passage: <https://example.org/notes/{n}|notes on {c}>. Section 2 is the one.",
    "You don't need every proof. Knowing what {c} does to {d} is enough for now.",
    "+1 to the above. Also {s} covers {c} in the second half.",
]
CLOSER = [
    "Hope that helps!",
    "Happy to pair on it Thursday.",
    "The exercise at the end is worth doing.",
    "It clicked for me after the third example.",
    "",
    "",
]


@dataclass(frozen=True)
class Message:
    user: str
    text: str


class Corpus:
    """`Corpus(seed).question()` / `.answer()`: varied, plausible messages, 15–80 words."""

    def __init__(self, seed: int = 8, users: int = 60) -> None:
        self.random = random.Random(seed)
        self.users = [f"U0{n:07d}" for n in range(1, users + 1)]

    def _fill(self, template: str) -> str:
        r = self.random
        c, d = r.sample(CONCEPTS, 2)
        if r.random() < 0.03:
            c = r.choice(RARE)
        return template.format(
            c=c,
            d=d,
            s=r.choice(SOURCES),
            k=r.choice(CODE),
            u=r.choice(self.users),
            n=r.randrange(1, 400),
        )

    def user(self) -> str:
        # A few members ask most of the questions, as in a real channel.
        return self.users[min(int(self.random.paretovariate(1.2)) - 1, len(self.users) - 1)]

    def question(self) -> Message:
        r = self.random
        parts = [self._fill(r.choice(ASK))]
        if r.random() < 0.6:
            parts.insert(0, self._fill(r.choice(CONTEXT)))
        if r.random() < 0.3:
            parts.append(self._fill(r.choice(ASK)))
        return Message(self.user(), " ".join(parts))

    def answer(self) -> Message:
        r = self.random
        parts = [self._fill(r.choice(ANSWER)) for _ in range(r.choice((1, 1, 2, 3)))]
        parts.append(r.choice(CLOSER))
        return Message(r.choice(self.users), " ".join(p for p in parts if p))


# What members type into /qa: common and rare concepts, one and two words.
QUERIES = [
    "eigenvectors",
    "gradient descent",
    "chain rule",
    "bayes",
    "determinant",
    "svd",
    "backpropagation",
    "covariance",
    "jacobian",
    "convexity",
    "taylor series",
    "softmax",
    "kl divergence",
    "lagrange multipliers",
    "markov",
    "hessian",
    "entropy",
    "regularization",
    "floating point",
    "einsum",
    # rare ones
    "kronecker",
    "wishart",
    "jensen inequality",
    "pseudoinverse",
    "fisher information",
]
