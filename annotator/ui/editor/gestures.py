"""Which core edit each gesture of the view makes: pure functions, no Qt.

The view asks these what to push; a ``None`` answer means the gesture does nothing there
(e.g. accepting something already accepted).
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator import edits
from annotator.model import Relation, Span
from annotator.ui.editor.annotation_index import AnnotationIndex
from annotator.ui.editor.tokens import TokenIndex

Item = Span | Relation


def label_span(span: Span, label: str) -> edits.UpdateSpan | None:
    """A label key on a span sets that label; on a suggestion it also accepts it."""
    if span.label == label:
        return edits.accept_span(span) if span.status != "accepted" else None
    relabelled = edits.relabel_span(span, label).after
    return edits.UpdateSpan(before=span, after=relabelled.model_copy(update={"status": "accepted"}))


def label_relation(relation: Relation, label: str) -> edits.UpdateRelation | None:
    if relation.label == label and relation.status == "accepted":
        return None
    after = relation.model_copy(update={"label": label, "status": "accepted"})
    return edits.UpdateRelation(before=relation, after=after)


def accept(item: Item | None) -> edits.Edit | None:
    if isinstance(item, Span) and item.status == "suggested":
        return edits.accept_span(item)
    if isinstance(item, Relation) and item.status == "suggested":
        return edits.accept_relation(item)
    return None


def reject(item: Item | None, relations: Sequence[Relation]) -> edits.Edit | None:
    """Reject a suggestion (and what hangs on it); a span made by hand is simply removed."""
    if isinstance(item, Span):
        if item.origin == "human" and item.status == "accepted":
            return edits.remove_span(item, relations)
        return edits.reject_span(item, relations)
    if isinstance(item, Relation):
        return edits.reject_relation(item)
    return None


def delete(item: Item | None, relations: Sequence[Relation]) -> edits.Edit | None:
    if isinstance(item, Span):
        return edits.remove_span(item, relations)
    if isinstance(item, Relation):
        return edits.remove_relation(item)
    return None


def without_outer_spaces(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``[start, end)`` without the white space at its ends (a character-precise selection:
    no span starts or ends on a space or a line break); None when nothing else is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def moved_range(
    start: int, end: int, edge: str, step: int, tokens: TokenIndex
) -> tuple[int, int] | None:
    """``[start, end)`` with its ``"start"`` or ``"end"`` moved one token; None if it cannot."""
    if edge == "end":
        moved = tokens.next_end(end) if step > 0 else tokens.previous_end(end)
        return None if moved is None or moved <= start else (start, moved)
    moved = tokens.next_start(start) if step > 0 else tokens.previous_start(start)
    return None if moved is None or moved >= end else (moved, end)


def following(index: AnnotationIndex, item: Item | None) -> str | None:
    """What Tab reaches after ``item`` once it is gone (with, for a span, its relations)."""
    if item is None:
        return None
    order = index.tab_order()
    if item.id not in order:
        return None

    def goes_too(item_id: str) -> bool:
        relation = index.relation_by_id.get(item_id)
        return (
            isinstance(item, Span)
            and relation is not None
            and item.id
            in (
                relation.head,
                relation.child,
            )
        )

    # the first that stays after it, else the last that stays before it: a walk from it, not
    # a membership test in a list per item (1.5 s a key on 10,000 suggestions)
    position = order.index(item.id)
    after = (i for i in order[position + 1 :] if not goes_too(i))
    before = (i for i in reversed(order[:position]) if not goes_too(i))
    return next(after, None) or next(before, None)


def next_pending(index: AnnotationIndex, item_id: str) -> str | None:
    """The first pending suggestion after ``item_id`` in Tab order, wrapping around; None
    when nothing else is pending."""
    order = index.tab_order()
    if item_id not in order:
        return None
    at = order.index(item_id)
    for candidate in order[at + 1 :] + order[:at]:
        item = index.item(candidate)
        if item is not None and item.status == "suggested":
            return candidate
    return None


def neighbour(order: list[str], current: str | None, step: int) -> str:
    """The item ``step`` places from ``current`` in ``order``, wrapping around."""
    if current not in order:
        return order[0] if step >= 0 else order[-1]
    return order[(order.index(current) + step) % len(order)]
