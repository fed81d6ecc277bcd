"""Plain-Python string search for propagation: no spaCy, so the GUI can call it at once.

A string the annotator accepted with a label is proposed at its other occurrences, on token
boundaries; ``AcceptedStrings`` remembers how often each (string, label) was accepted and
rejected, which decides whether it propagates at all and gives the score of its suggestions.
``free_places`` keeps propagation out of the spans already there ("Trump" is not proposed
inside "Donald Trump"). Both the suggestion run and the window's propagation use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from annotator.model import Span, TokenBoundaries

PROPAGATION = "propagation"
"""The origin of propagated suggestions."""

MIN_PROPAGATED_LENGTH = 3
"""Shorter strings ("AI", "M.", "de") are too ambiguous to propose everywhere they occur."""


@dataclass
class AcceptedStrings:
    """(text, label) -> [accepted, rejected] counts over the corpus."""

    counts: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, text: str, label: str, status: str, count: int = 1) -> None:
        entry = self.counts.setdefault((text, label), [0, 0])
        if status == "accepted":
            entry[0] += count
        elif status == "rejected":
            entry[1] += count

    def accepted(self) -> Iterator[tuple[str, str]]:
        """The (text, label) pairs that propagate: see ``propagates``."""
        return (key for key in self.counts if self.propagates(*key))

    def propagates(self, text: str, label: str) -> bool:
        """Accepted at least once, not rejected more often than accepted, and long enough."""
        accepted, rejected = self.counts.get((text, label), (0, 0))
        return accepted > 0 and rejected <= accepted and len(text.strip()) >= MIN_PROPAGATED_LENGTH

    def score(self, text: str, label: str) -> float:
        """The string's measured acceptance rate with this label, Laplace-smoothed:
        (accepted + 1) / (accepted + rejected + 2), so one acceptance alone gives 0.67."""
        accepted, rejected = self.counts.get((text, label), (0, 0))
        return round((accepted + 1) / (accepted + rejected + 2), 4)

    def __len__(self) -> int:
        return sum(1 for _ in self.accepted())


def _is_word_character(character: str) -> bool:
    return character.isalnum() or character == "_"


def on_word_boundaries(text: str, start: int, end: int) -> bool:
    """Fallback when a document has no tokens: no letter or digit glued on either side."""
    before_ok = start == 0 or not (
        _is_word_character(text[start - 1]) and _is_word_character(text[start])
    )
    after_ok = end == len(text) or not (
        _is_word_character(text[end - 1]) and _is_word_character(text[end])
    )
    return before_ok and after_ok


def find_occurrences(
    text: str, needle: str, boundaries: TokenBoundaries | None = None
) -> Iterable[tuple[int, int]]:
    """(start, end) of every occurrence of ``needle`` in ``text`` on token boundaries.

    With ``boundaries`` from the document's tokens, an occurrence must start at a token start
    and end at a token end; without tokens, it must not cut a word.
    """
    if not needle:
        return
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        if boundaries is not None and not boundaries.empty:
            if boundaries.aligned(start, end):
                yield start, end
        elif on_word_boundaries(text, start, end):
            yield start, end
        start = text.find(needle, start + 1)


def free_places(candidates: Sequence[Span], spans: Iterable[Span]) -> list[Span]:
    """The propagated ``candidates`` that do not clash with ``spans`` (already there, any
    status) nor with a longer or better-scored candidate, in text order.

    A candidate clashes with a span it overlaps when that span is accepted, longer (the
    candidate would sit inside or across it), or of the same label (nested or crossing). A
    span on exactly the same characters with another status is left to the caller (a
    rejected one is counted, an identical one is not added twice); of two candidates on the
    same characters with different labels, the better-scored one is kept.
    """
    there = list(spans)
    kept: list[Span] = []
    ranked = sorted(candidates, key=lambda s: (s.start - s.end, -(s.score or 0.0), s.start))
    for candidate in ranked:
        if any(_clashes(candidate, other) for other in there) or any(
            _overlap(candidate, other) for other in kept
        ):
            continue
        kept.append(candidate)
    return sorted(kept, key=lambda s: (s.start, s.end, s.label))


def _overlap(first: Span, second: Span) -> bool:
    return first.start < second.end and second.start < first.end


def _clashes(candidate: Span, other: Span) -> bool:
    if not _overlap(candidate, other):
        return False
    if other.status == "accepted":
        return True
    if (other.start, other.end) == (candidate.start, candidate.end):
        return False
    if other.end - other.start > candidate.end - candidate.start:
        return True
    return other.label == candidate.label
