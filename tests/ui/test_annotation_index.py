"""The view's annotation snapshot, updated edit by edit, equals one built from scratch."""

from __future__ import annotations

import random

import pytest

from annotator.model import Relation, Span
from annotator.ui.editor.annotation_index import AnnotationIndex

TEXT_LENGTH = 400
LABELS = ("PER", "ORG", "LOC")


def _random_span(chance: random.Random) -> Span:
    start = chance.randrange(0, TEXT_LENGTH - 12)
    return Span(
        doc_id=1,
        start=start,
        end=start + chance.randrange(1, 12),
        label=chance.choice(LABELS),
        status=chance.choice(("suggested", "accepted")),
        origin="model:m@1",
    )


def _same(updated: AnnotationIndex, fresh: AnnotationIndex) -> None:
    assert updated.spans == fresh.spans
    assert updated.span_by_id == fresh.span_by_id
    assert updated.levels == fresh.levels
    assert updated.relations == fresh.relations
    assert updated.relation_by_id == fresh.relation_by_id
    assert updated.all_spans == fresh.all_spans
    assert updated.all_relations == fresh.all_relations
    assert updated.tab_order() == fresh.tab_order()
    for offset in range(TEXT_LENGTH):
        window = (offset, offset + 1)
        assert updated.rows_between(*window) == fresh.rows_between(*window)
        assert updated.has_arc_anchor(*window) == fresh.has_arc_anchor(*window)
        assert updated.spans_between(offset, offset + 7) == fresh.spans_between(offset, offset + 7)


def _inside(offset: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in ranges)


@pytest.mark.parametrize("seed", range(12))
def test_updated_snapshots_equal_fresh_ones_and_name_where_geometry_moved(seed: int) -> None:
    chance = random.Random(seed)
    spans = {s.id: s for s in (_random_span(chance) for _ in range(60))}
    relations: dict[str, Relation] = {}
    ids = list(spans)
    for _ in range(10):
        head, child = chance.sample(ids, 2)
        relation = Relation(doc_id=1, head=head, child=child, label="works_for")
        relations[relation.id] = relation
    index = AnnotationIndex(spans.values(), relations.values())
    for _ in range(80):
        changed_spans: set[str] = set()
        changed_relations: set[str] = set()
        move = chance.choice(("add", "accept", "reject", "resize", "relabel", "relate", "unrelate"))
        span = spans[chance.choice(list(spans))]
        if move == "add":
            span = _random_span(chance)
            spans[span.id] = span
        elif move == "accept":
            spans[span.id] = span.model_copy(update={"status": "accepted"})
        elif move == "reject":
            spans[span.id] = span.model_copy(update={"status": "rejected"})
        elif move == "resize":
            end = min(TEXT_LENGTH, span.end + chance.randrange(-1, 9))
            spans[span.id] = span.model_copy(update={"end": max(span.start + 1, end)})
        elif move == "relabel":
            spans[span.id] = span.model_copy(update={"label": chance.choice(LABELS)})
        elif move == "relate":
            head, child = chance.sample(list(spans), 2)
            relation = Relation(doc_id=1, head=head, child=child, label="works_for")
            relations[relation.id] = relation
            changed_relations.add(relation.id)
        elif relations:
            relation_id = chance.choice(list(relations))
            del relations[relation_id]
            changed_relations.add(relation_id)
        if move not in ("relate", "unrelate"):
            changed_spans.add(span.id)
        updated = index.updated(spans, relations, (), changed_spans, changed_relations)
        fresh = AnnotationIndex(spans.values(), relations.values())
        _same(updated, fresh)
        ranges = updated.changed_ranges or []
        for offset in range(TEXT_LENGTH):
            window = (offset, offset + 1)
            if index.rows_between(*window) != fresh.rows_between(*window) or (
                index.has_arc_anchor(*window) != fresh.has_arc_anchor(*window)
            ):
                assert _inside(offset, ranges), (move, offset, ranges)
        index = updated


def test_accepting_changes_no_geometry() -> None:
    span = Span(doc_id=1, start=0, end=4, label="PER", status="suggested", origin="model:m@1")
    index = AnnotationIndex([span])
    accepted = span.model_copy(update={"status": "accepted"})
    updated = index.updated({span.id: accepted}, {}, (), {span.id}, ())
    assert updated.spans == [accepted]
    assert updated.changed_ranges == []
    assert index.spans == [span]  # the snapshot it came from stays as it was
