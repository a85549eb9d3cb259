"""Figures: a set of samples summarised as median, p95 and p99, and checked against a target."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linearly interpolated between the two nearest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Target:
    """`stat op value`, e.g. p99 < 100 (ms)."""

    op: str
    value: float
    stat: str = "median"

    def met(self, figure: Figure) -> bool:
        return OPS[self.op](getattr(figure, self.stat), self.value)

    def __str__(self) -> str:
        return f"{self.stat} {self.op} {self.value:g}"


@dataclass
class Figure:
    """One measured quantity. `higher_is_better` decides which tail "p99" means:
    for a latency the slowest 1 %, for a throughput or a ratio the lowest 1 %."""

    bench: str
    name: str
    unit: str
    samples: list[float]
    higher_is_better: bool = False
    target: Target | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return percentile(self.samples, 50)

    def _tail(self, q: float) -> float:
        return percentile(self.samples, 100 - q if self.higher_is_better else q)

    @property
    def p95(self) -> float:
        return self._tail(95)

    @property
    def p99(self) -> float:
        return self._tail(99)

    @property
    def ok(self) -> bool | None:
        return None if self.target is None else self.target.met(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "bench": self.bench,
            "name": self.name,
            "unit": self.unit,
            "n": len(self.samples),
            "median": self.median,
            "p95": self.p95,
            "p99": self.p99,
            "min": min(self.samples) if self.samples else None,
            "max": max(self.samples) if self.samples else None,
            "higher_is_better": self.higher_is_better,
            "target": str(self.target) if self.target else None,
            "ok": self.ok,
            "note": self.note,
            **self.extra,
        }


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Pairwise ratios of measurements taken in the same repeat."""
    return [a / b for a, b in zip(numerators, denominators, strict=True) if b]


def fmt(value: float) -> str:
    """A number to 3 significant figures, without scientific notation for everyday sizes."""
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def table(figures: Sequence[Figure], judge: bool = True) -> str:
    """A Markdown table (it also reads well in a terminal); `judge=False` leaves "ok" blank."""
    rows = [("benchmark", "figure", "unit", "median", "p95", "p99", "n", "target", "ok")]
    for f in figures:
        ok = {None: "", True: "yes", False: "NO"}[f.ok if judge else None]
        rows.append(
            (
                f.bench,
                f.name,
                f.unit,
                fmt(f.median),
                fmt(f.p95),
                fmt(f.p99),
                str(len(f.samples)),
                str(f.target or ""),
                ok,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
