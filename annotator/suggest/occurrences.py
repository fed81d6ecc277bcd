"""Plain-Python string search for propagation: no spaCy, so the GUI can call it at once.

A string the annotator accepted with a label is proposed at its other occurrences, on token
boundaries; ``AcceptedStrings`` remembers how often each (string, label) was accepted and
rejected, which gives the score of a propagated suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from annotator.model import TokenBoundaries

PROPAGATION = "propagation"
"""The origin of propagated suggestions."""


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
        """The (text, label) pairs accepted at least once: what propagation proposes."""
        return (key for key, (accepted, _) in self.counts.items() if accepted and key[0].strip())

    def score(self, text: str, label: str) -> float:
        """Share of this string's decisions with this label that were acceptances."""
        accepted, rejected = self.counts.get((text, label), (0, 0))
        total = accepted + rejected
        return round(accepted / total, 4) if total else 0.0

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
