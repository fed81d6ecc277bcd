"""An export's documents as records: each document's selected spans and relations, read
from the project's rows a chunk of documents at a time, for a writer (``io.registry``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import partial
from itertools import islice
from operator import attrgetter
from typing import Any

from annotator.errors import StoredValueError
from annotator.io.records import (
    DocumentRecord,
    ExportDocument,
    ExportReport,
    RelationRecord,
    SpanColumns,
    SpanEssentials,
    SpanPlace,
    SpanRecord,
    first_unusable,
    spans_within,
)
from annotator.model.relation import unusable_relation
from annotator.model.span import SpanFields, unusable_span
from annotator.store import Project

_ID, _STATUS = attrgetter("id"), attrgetter("status")
_HEAD, _CHILD = attrgetter("head"), attrgetter("child")


def export_document(
    project: Project, doc_id: int, statuses: tuple[str, ...], report: ExportReport
) -> ExportDocument:
    """A document with its selected spans, the relations between selected spans, the pending
    suggestions the selection left out, and the order of the person's decisions on spans."""
    return next(export_documents(project, [doc_id], statuses, report))


def export_documents(
    project: Project,
    doc_ids: Sequence[int],
    statuses: tuple[str, ...],
    report: ExportReport,
    tokens: bool = True,
    decisions: bool = True,
    span_fields: SpanFields = "all",
) -> Iterator[ExportDocument]:
    """``export_document`` for each of ``doc_ids``, streamed from the project's rows a chunk of
    documents at a time (``Project.export_rows``), as records rather than models.
    ``decisions=False`` skips the edit log (``decided`` stays empty) for writers without use
    for it. ``span_fields="essentials"`` gives the spans as ``SpanEssentials`` (no origin,
    ``edited``, ``aligned`` or ``status_reason``), ``"places"`` as ``SpanPlace``s (no status
    or score either); either reads only the selected spans and relations, and leaves the
    pending suggestions out (``statuses_selected``), for writers that read none."""
    selected = frozenset(statuses)
    pending = frozenset() if "suggested" in statuses else frozenset({"suggested"})
    only_selected = span_fields != "all"
    # records made from rows, and fields taken, by C loops (map), not a Python loop per span
    span_record = partial(tuple.__new__, _SPAN_RECORDS[span_fields])
    relation_record = partial(tuple.__new__, RelationRecord)
    rows = project.export_rows(
        doc_ids, tokens, decisions, span_fields, statuses if only_selected else None
    )
    for row, offsets, span_rows, relation_rows, log, columns in _checked(
        project, _with_columns(rows, span_fields)
    ):
        spans: Sequence[Any]
        if span_fields != "places":
            spans = list(map(span_record, span_rows))
        elif span_rows is None:
            spans = []
        else:
            spans = columns or _place_rows(project, row[0], statuses)
        if only_selected or selected.issuperset(map(_STATUS, spans)):  # most: all are kept
            chosen, pending_spans = spans, []
        else:
            chosen = [span for span in spans if span.status in selected]
            pending_spans = [span for span in spans if span.status in pending]
        # those a writer takes; one no writer takes (rejected, not selected) is left alone
        length = len(row[1])
        if not spans_within(chosen, length) or not spans_within(pending_spans, length):
            _refuse_spans(project, row[0], [*chosen, *pending_spans], length)
        relations = list(map(relation_record, relation_rows))
        candidates = relations  # the relations of a selected status
        if relations and not only_selected:
            candidates = [relation for relation in relations if relation.status in selected]
        kept = candidates
        if candidates:
            span_ids = set(chosen.ids() if isinstance(chosen, SpanColumns) else map(_ID, chosen))
            if not (
                span_ids.issuperset(map(_HEAD, candidates))
                and span_ids.issuperset(map(_CHILD, candidates))
            ):
                every_span = None if only_selected else set(map(_ID, spans))
                kept = _relations_with_spans(
                    project, row[0], candidates, span_ids, every_span, report
                )
        yield ExportDocument(
            document=DocumentRecord(row, offsets),
            spans=chosen,
            relations=kept,
            pending_spans=pending_spans,
            # only the selected statuses read: none pending
            pending_relations=(
                [r for r in relations if r.status in pending]
                if pending and not only_selected
                else []
            ),
            decided=_decision_order(log) if log else {},
            spans_sorted=True,  # export_rows reads them by start, end, label
            statuses_selected=only_selected,
        )


GROUP = 500
"""Documents whose joined spans ``SpanColumns.group`` checks at once (``_with_columns``): the
store reads as many at a time."""


def _with_columns(rows: Iterator[tuple], span_fields: SpanFields) -> Iterator[tuple]:
    """``export_rows``' rows, each with its spans as ``SpanColumns`` (or None: read them as
    rows) when they are joined (``"places"``), made for ``GROUP`` documents at a time."""
    if span_fields != "places":
        yield from ((*row, None) for row in rows)
        return
    while group := list(islice(rows, GROUP)):
        yield from map(tuple.__add__, group, zip(SpanColumns.group([row[2] for row in group])))


def _checked(project: Project, rows: Iterator[tuple]) -> Iterator[tuple]:
    """``rows``, or the one-line ``StoredValueError`` when the store could not read them
    because of a value a crafted project file holds (a start stored as text: the spans
    cannot be sorted), as ``Project.unreadable_value`` names it."""
    try:
        yield from rows
    except (TypeError, ValueError, OverflowError):
        found = project.unreadable_value()
        if found is None:  # not the file's: our bug
            raise
        raise StoredValueError(f"{project.path}: {found}") from None


def _refuse_spans(project: Project, doc_id: int, spans: Sequence[Any], length: int) -> None:
    """Raise ``StoredValueError`` naming the first of a document's spans that lies outside
    its text, is empty, or has an offset that is not an integer (``spans_within``)."""
    span = first_unusable(spans, length)
    problem = (
        f"document {doc_id}: a span lies outside its text ({length} characters)"
        if span is None  # not found one by one: not expected
        else unusable_span(doc_id, span.id, span.start, span.end, span.label, length)
    )
    raise StoredValueError(f"{project.path}: {problem}")


def _place_rows(project: Project, doc_id: int, statuses: tuple[str, ...]) -> list[SpanPlace]:
    """A document's spans of ``statuses`` read as rows: those ``SpanColumns.group`` could not
    split."""
    rows = next(project.export_rows([doc_id], False, False, "essentials", statuses))[2]
    return [SpanPlace(*row[:5]) for row in rows]


def _relations_with_spans(
    project: Project,
    doc_id: int,
    relations: list[RelationRecord],
    span_ids: set[str],
    every_span: set[str] | None,
    report: ExportReport,
) -> list[RelationRecord]:
    """The relations whose two spans are exported; each other one named in the report.
    ``every_span``: the ids of all the document's spans, when read (else the store is asked
    for those the relations name). A relation to a span of no status here is another
    document's, or none (a crafted file): ``StoredValueError``, as for a span outside its text."""
    named = {end for relation in relations for end in (relation.head, relation.child)}
    missing = named - span_ids
    if every_span is None:
        every_span = span_ids | project.span_ids_in(doc_id, missing)
    for relation in relations:
        if relation.head not in every_span or relation.child not in every_span:
            problem = unusable_relation(doc_id, relation.id)
            raise StoredValueError(f"{project.path}: {problem}")
    kept = []
    for relation in relations:
        if relation.head in span_ids and relation.child in span_ids:
            kept.append(relation)
        else:
            report.count("relations_without_spans")
            report.warnings.append(
                f"document {doc_id}: relation {relation.label} left out because one "
                "of its spans is not exported (its status was not selected)"
            )
    return kept


_SPAN_RECORDS = {"all": SpanRecord, "essentials": SpanEssentials, "places": SpanPlace}


_SPAN_EDITS = frozenset({"add_span", "update_span", "group"})


def decision_order(project: Project, doc_id: int) -> dict[str, int]:
    """Span id -> the edit log id of the last edit a person made to it (add, accept, relabel,
    resize): a later decision has a higher number. Imported spans have none."""
    return _decision_order(project.edit_log(doc_id))


def _decision_order(log: list[dict[str, Any]]) -> dict[str, int]:
    # the edits' JSON walked as it is, not made into edits: a span that a crafted file held
    # and a person then removed (an empty one) is no edit the model would make again
    order: dict[str, int] = {}

    def visit(edit: Any, at: int) -> None:
        if not isinstance(edit, dict):  # nor anything else a crafted file's log may hold
            return
        kind = edit.get("kind")
        if kind == "group" and isinstance(edit.get("edits"), list):
            for part in edit["edits"]:
                visit(part, at)
        elif kind in _DECIDED_SPAN:
            span = edit.get(_DECIDED_SPAN[kind])
            if isinstance(span, dict) and isinstance(span.get("id"), str):
                order[span["id"]] = at

    for entry in log:
        if entry["kind"] in _SPAN_EDITS:
            try:
                visit(json.loads(entry["payload"]), entry["id"])
            except (TypeError, ValueError, RecursionError):  # groups nested a thousand deep
                continue
    return order


_DECIDED_SPAN = {"add_span": "span", "update_span": "after"}
"""The span an edit of each kind leaves decided, by its key in the edit's JSON."""
