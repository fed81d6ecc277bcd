"""Precision, recall and F of a set of proposed annotations against the gold ones.

Plain Python, so that ``annotator stats`` shows every suggester's figures without loading
spaCy; the arithmetic is spaCy's ``PRFScore``'s (``tests`` check they agree).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[Hashable, ...]
"""An annotation's identity; its last item is the label."""


@dataclass
class Counts:
    """True positives, false positives and false negatives, as spaCy's ``PRFScore`` keeps."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp + 1e-100)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn + 1e-100)

    @property
    def fscore(self) -> float:
        p, r = self.precision, self.recall
        return 2 * ((p * r) / (p + r + 1e-100))


@dataclass
class Scores:
    """Micro-averaged P/R/F over every label, and per label."""

    total: Counts = field(default_factory=Counts)
    per_label: dict[str, Counts] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            **_figures(self.total),
            "per_label": {label: _figures(s) for label, s in sorted(self.per_label.items())},
        }


def _figures(score: Counts) -> dict[str, Any]:
    return {
        "p": round(score.precision, 4),
        "r": round(score.recall, 4),
        "f": round(score.fscore, 4),
        "tp": score.tp,
        "fp": score.fp,
        "fn": score.fn,
    }


def score_keys(
    proposed: Iterable[Key], gold: Iterable[Key], wrong: Mapping[str, int] | None = None
) -> Scores:
    """Score ``proposed`` against ``gold``; ``wrong`` adds proposals known to be wrong by label
    (a suggestion a person had to correct: its first form is no longer stored)."""
    candidates, truth = set(proposed), set(gold)
    scores = Scores()
    labels = {str(key[-1]) for key in candidates | truth} | set(wrong or ())
    for label in labels:
        mine = {k for k in candidates if k[-1] == label}
        right = {k for k in truth if k[-1] == label}
        score = Counts(
            tp=len(mine & right),
            fp=len(mine - right) + (wrong or {}).get(label, 0),
            fn=len(right - mine),
        )
        scores.per_label[label] = score
        scores.total += score
    return scores
