"""What the view shows of one document's annotations, indexed for painting and hit tests.

Rejected spans and relations are hidden (not painted, not selectable): the undo stack brings
them back. Overlapping spans get stacked levels (0 = closest to the text) so each stays
visible and clickable.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from annotator.model import Relation, Span


def assign_levels(spans: Iterable[Span]) -> dict[str, int]:
    """Greedy interval colouring: longer spans first at a start, each on the lowest free level."""
    level_ends: list[int] = []
    levels: dict[str, int] = {}
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.label, s.id)):
        for level, end in enumerate(level_ends):
            if end <= span.start:
                level_ends[level] = span.end
                levels[span.id] = level
                break
        else:
            levels[span.id] = len(level_ends)
            level_ends.append(span.end)
    return levels


class AnnotationIndex:
    """An immutable snapshot of the annotations the view paints."""

    def __init__(
        self,
        spans: Iterable[Span] = (),
        relations: Iterable[Relation] = (),
        misaligned: Iterable[str] = (),
    ) -> None:
        self.all_spans = {span.id: span for span in spans}
        self.all_relations = {relation.id: relation for relation in relations}
        self.spans = sorted(
            (s for s in self.all_spans.values() if s.status != "rejected"),
            key=lambda s: (s.start, s.end, s.label, s.id),
        )
        self.span_by_id = {span.id: span for span in self.spans}
        self.relations = [
            r
            for r in self.all_relations.values()
            if r.status != "rejected" and r.head in self.span_by_id and r.child in self.span_by_id
        ]
        self.relations.sort(
            key=lambda r: (self.span_by_id[r.head].start, self.span_by_id[r.child].start, r.id)
        )
        self.relation_by_id = {relation.id: relation for relation in self.relations}
        self.misaligned = frozenset(misaligned)
        self.levels = assign_levels(self.spans)
        self._starts = [span.start for span in self.spans]
        self._anchor_starts = sorted(
            self.span_by_id[span_id].start
            for relation in self.relations
            for span_id in (relation.head, relation.child)
        )
        self._longest = max((span.end - span.start for span in self.spans), default=0)

    def item(self, item_id: str | None) -> Span | Relation | None:
        if item_id is None:
            return None
        return self.span_by_id.get(item_id) or self.relation_by_id.get(item_id)

    def spans_between(self, start: int, end: int) -> list[Span]:
        """Shown spans overlapping ``[start, end)``, in document order."""
        low = bisect_left(self._starts, start - self._longest)
        high = bisect_left(self._starts, end)
        return [s for s in self.spans[low:high] if s.end > start]

    def spans_at(self, offset: int) -> list[Span]:
        """Shown spans holding the character at ``offset``, innermost first."""
        found = self.spans_between(offset, offset + 1)
        return sorted(found, key=lambda s: (s.end - s.start, -self.levels[s.id]))

    def rows_between(self, start: int, end: int) -> int:
        """How many stacked levels a line over ``[start, end)`` needs (none without spans)."""
        found = self.spans_between(start, end)
        return 1 + max((self.levels[s.id] for s in found), default=-1)

    def has_arc_anchor(self, start: int, end: int) -> bool:
        """Whether a relation arc ends at a span starting in ``[start, end)``."""
        index = bisect_left(self._anchor_starts, start)
        return index < len(self._anchor_starts) and self._anchor_starts[index] < end

    def relations_of(self, span_id: str) -> list[Relation]:
        return [r for r in self.relations if span_id in (r.head, r.child)]

    def tab_order(self) -> list[str]:
        """Spans in document order, then relations."""
        return [s.id for s in self.spans] + [r.id for r in self.relations]
