"""What the view shows of one document's annotations, indexed for painting and hit tests.

Rejected spans and relations are hidden (not painted, not selectable): the undo stack brings
them back. Overlapping spans get stacked levels (0 = closest to the text) so each stays
visible and clickable.

A keystroke changes one or two annotations of a document that may hold 10,000: ``updated``
makes the next snapshot from the previous one by moving only those (a sorted insert, and the
levels of the group of overlapping spans around them), instead of sorting everything again.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Collection, Iterable, Mapping
from functools import cached_property

from annotator.model import Relation, Span

SpanKey = tuple[int, int, str, str]
Range = tuple[int, int]


def assign_levels(spans: Iterable[Span]) -> dict[str, int]:
    """Greedy interval colouring: longer spans first at a start, each on the lowest free level.

    A span starting where every earlier one has ended starts afresh on level 0, so each group
    of overlapping spans can be coloured on its own (``AnnotationIndex.updated`` does)."""
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


def _key(span: Span) -> SpanKey:
    return (span.start, span.end, span.label, span.id)


def _shown(span: Span | None) -> Span | None:
    return span if span is not None and span.status != "rejected" else None


def _anchor_ranges(relation: Relation, *indexes: AnnotationIndex) -> list[Range]:
    """Where a relation's arc ends: its spans' places in either snapshot."""
    found = []
    for index in indexes:
        for span_id in (relation.head, relation.child):
            span = index.span_by_id.get(span_id)
            if span is not None:
                found.append((span.start, span.end))
    return found


class AnnotationIndex:
    """An immutable snapshot of the annotations the view paints.

    ``changed_ranges``: where the geometry (stacked rows, arc room) may differ from the
    snapshot it was ``updated`` from; ``None`` for a snapshot built from scratch.
    """

    def __init__(
        self,
        spans: Iterable[Span] = (),
        relations: Iterable[Relation] = (),
        misaligned: Iterable[str] = (),
    ) -> None:
        self.all_spans = {span.id: span for span in spans}
        self.spans = sorted(
            (s for s in self.all_spans.values() if s.status != "rejected"), key=_key
        )
        self.span_by_id = {span.id: span for span in self.spans}
        self.levels = assign_levels(self.spans)
        self._keys = [_key(span) for span in self.spans]
        self._starts = [span.start for span in self.spans]
        self._longest = max((span.end - span.start for span in self.spans), default=0)
        self.misaligned = frozenset(misaligned)
        self.changed_ranges: list[Range] | None = None
        self._set_relations({relation.id: relation for relation in relations})

    def _set_relations(self, relations: dict[str, Relation]) -> None:
        self.all_relations = relations
        self.relations = [
            r
            for r in relations.values()
            if r.status != "rejected" and r.head in self.span_by_id and r.child in self.span_by_id
        ]
        self.relations.sort(
            key=lambda r: (self.span_by_id[r.head].start, self.span_by_id[r.child].start, r.id)
        )
        self.relation_by_id = {relation.id: relation for relation in self.relations}
        self._anchor_starts = sorted(
            self.span_by_id[span_id].start
            for relation in self.relations
            for span_id in (relation.head, relation.child)
        )

    def updated(
        self,
        spans: Mapping[str, Span],
        relations: Mapping[str, Relation],
        misaligned: Iterable[str],
        changed_spans: Collection[str],
        changed_relations: Collection[str],
    ) -> AnnotationIndex:
        """The snapshot after the spans and relations of the given ids changed (added, removed
        or replaced) to what ``spans`` and ``relations`` now hold; this one stays as it was."""
        new = object.__new__(AnnotationIndex)
        new.all_spans = dict(spans)
        new.spans = list(self.spans)
        new.span_by_id = dict(self.span_by_id)
        new.levels = dict(self.levels)
        new._keys = list(self._keys)
        new._starts = list(self._starts)
        new._longest = self._longest
        new.misaligned = frozenset(misaligned)
        ranges: list[Range] = []
        shown_changed = False
        for span_id in changed_spans:
            before, after = self.span_by_id.get(span_id), _shown(spans.get(span_id))
            if before is not None and after is not None and _key(before) == _key(after):
                new._replace(after)  # same place and label (e.g. accepted): no geometry change
                continue
            shown_changed = True
            if before is not None:
                new._remove(before)
                ranges.append((before.start, before.end))
            if after is not None:
                new._insert(after)
                ranges.append((after.start, after.end))
        ranges = [new._relevel(start, end) for start, end in ranges]
        if shown_changed or changed_relations:
            new._set_relations(dict(relations))
            moved = set(self.relation_by_id) ^ set(new.relation_by_id)
            for relation_id in moved | set(changed_relations):
                for relation in (self.relation_by_id.get(relation_id), relations.get(relation_id)):
                    if relation is not None:
                        ranges += _anchor_ranges(relation, self, new)
        else:
            new.all_relations = dict(relations)
            new.relations = self.relations
            new.relation_by_id = self.relation_by_id
            new._anchor_starts = self._anchor_starts
            if "_tab_order" in self.__dict__:  # the same ids in the same order
                new.__dict__["_tab_order"] = self._tab_order
        new.changed_ranges = ranges
        return new

    def _replace(self, span: Span) -> None:
        index = bisect_left(self._keys, _key(span))
        self.spans[index] = span
        self.span_by_id[span.id] = span

    def _remove(self, span: Span) -> None:
        index = bisect_left(self._keys, _key(span))
        del self.spans[index], self._keys[index], self._starts[index]
        del self.span_by_id[span.id], self.levels[span.id]
        if span.end - span.start == self._longest:
            self._longest = max((s.end - s.start for s in self.spans), default=0)

    def _insert(self, span: Span) -> None:
        key = _key(span)
        index = bisect_left(self._keys, key)
        self._keys.insert(index, key)
        self.spans.insert(index, span)
        insort(self._starts, span.start)
        self.span_by_id[span.id] = span
        self.levels[span.id] = 0
        self._longest = max(self._longest, span.end - span.start)

    def _relevel(self, start: int, end: int) -> Range:
        """Colour again the group of overlapping spans around ``[start, end)``; returns the
        range that group covers (where stacked rows may have changed)."""
        while True:
            group = self.spans_between(start, end)
            wider = (min([start, *(s.start for s in group)]), max([end, *(s.end for s in group)]))
            if wider == (start, end):
                break
            start, end = wider
        self.levels.update(assign_levels(group))
        return start, end

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
        return self._tab_order

    @cached_property
    def _tab_order(self) -> list[str]:
        """Made once per snapshot: Tab asks for it at every press."""
        return [s.id for s in self.spans] + [r.id for r in self.relations]
