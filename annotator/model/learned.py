"""Relation patterns learned from accepted relations, and the examples they are learned from."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

LEARNED_ORIGIN_PREFIX = "rule:learned:"
"""The origin of a learned pattern's suggestions is this prefix and the pattern's id."""

LEARNED_MIN_DECISIONS = 5
LEARNED_MIN_PRECISION = 0.5
"""A learned pattern is dropped once at least ``LEARNED_MIN_DECISIONS`` of its suggestions were
decided and fewer than ``LEARNED_MIN_PRECISION`` of them were accepted."""


class LearnedPattern(BaseModel):
    """A ``DependencyMatcher`` pattern with nodes ``head`` and ``child``, for ``label`` between
    a ``head_label`` span and a ``child_label`` span. Its ``id`` is made from its content, so
    the same pattern learned twice is one. ``accepted``/``rejected`` count the decisions on
    its suggestions (origin ``rule:learned:<id>``)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    label: str
    head_label: str
    child_label: str
    pattern: tuple[dict[str, Any], ...]
    accepted: int = 0
    rejected: int = 0

    @property
    def origin(self) -> str:
        return LEARNED_ORIGIN_PREFIX + self.id

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def score(self) -> float:
        """Laplace-smoothed precision: (accepted + 1) / (decided + 2); 0.5 before any decision."""
        return round((self.accepted + 1) / (self.decided + 2), 4)

    @property
    def dropped(self) -> bool:
        """Enough decisions, and too few of them acceptances: not used any more."""
        return (
            self.decided >= LEARNED_MIN_DECISIONS
            and self.accepted / self.decided < LEARNED_MIN_PRECISION
        )


class RelationExample(BaseModel):
    """An accepted relation as the learner sees it: a passage of text and the (start, end,
    entity label) of its two ends in that passage."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    text: str
    label: str
    head: tuple[int, int, str]
    child: tuple[int, int, str]
