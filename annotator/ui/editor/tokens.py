"""Token boundaries of one document, for snapping selections and moving span edges.

Snapping follows spaCy's ``Doc.char_span(alignment_mode="expand")``: every token that overlaps
the selection is taken whole. The UI may not import spaCy, so this works on the token offsets
the project stores.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from annotator.model.document import TokenOffsets


class TokenIndex:
    """Sorted token starts and ends; a document without tokens snaps to characters.

    Snapping, stepping and moving edges skip spaCy's whitespace tokens (a line break, extra
    spaces): ``Right`` walked onto a paragraph break, a label key then made an entity of it,
    and the export trained it. ``aligned`` still counts them, as the store does."""

    def __init__(self, tokens: TokenOffsets, text: str) -> None:
        self._all_starts = [start for start, _ in tokens]
        self._all_ends = [end for _, end in tokens]
        # a whitespace token is whitespace from its first character; no other token starts so
        words = [(start, end) for start, end in tokens if not text[start : start + 1].isspace()]
        self.starts = [start for start, _ in words]
        self.ends = [end for _, end in words]
        self.text_length = len(text)

    @property
    def empty(self) -> bool:
        return not self._all_starts

    def aligned(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` is on token boundaries, as the store flags spans."""
        if self.empty:
            return True
        starts, ends = self._all_starts, self._all_ends
        first, last = bisect_left(starts, start), bisect_left(ends, end)
        return (
            first < len(starts)
            and starts[first] == start
            and last < len(ends)
            and ends[last] == end
        )

    def snap(self, start: int, end: int) -> tuple[int, int] | None:
        """The smallest token-aligned range covering ``[start, end)``; None over whitespace only."""
        start, end = max(0, start), min(self.text_length, end)
        if start >= end:
            return None
        if self.empty:
            return start, end
        first = bisect_right(self.ends, start)  # first token ending after start
        last = bisect_left(self.starts, end) - 1  # last token starting before end
        if first > last:
            return None
        return self.starts[first], self.ends[last]

    def token_at(self, offset: int) -> tuple[int, int] | None:
        """The token holding ``offset``, else the next one; None past the last token."""
        if self.empty:
            return (offset, offset + 1) if 0 <= offset < self.text_length else None
        index = bisect_right(self.ends, offset)
        if index >= len(self.starts):
            return None
        return self.starts[index], self.ends[index]

    def token_before(self, offset: int) -> tuple[int, int] | None:
        """The last token ending at or before ``offset``."""
        if self.empty:
            return (offset - 1, offset) if 0 < offset <= self.text_length else None
        index = bisect_right(self.ends, offset) - 1
        if index < 0:
            return None
        return self.starts[index], self.ends[index]

    def next_end(self, offset: int) -> int | None:
        """The first token end after ``offset`` (one token further)."""
        if self.empty:
            return offset + 1 if offset < self.text_length else None
        index = bisect_right(self.ends, offset)
        return self.ends[index] if index < len(self.ends) else None

    def previous_end(self, offset: int) -> int | None:
        if self.empty:
            return offset - 1 if offset > 0 else None
        index = bisect_left(self.ends, offset) - 1
        return self.ends[index] if index >= 0 else None

    def next_start(self, offset: int) -> int | None:
        if self.empty:
            return offset + 1 if offset < self.text_length else None
        index = bisect_right(self.starts, offset)
        return self.starts[index] if index < len(self.starts) else None

    def previous_start(self, offset: int) -> int | None:
        if self.empty:
            return offset - 1 if offset > 0 else None
        index = bisect_left(self.starts, offset) - 1
        return self.starts[index] if index >= 0 else None
