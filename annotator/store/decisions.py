"""Every document's decisions, streamed in text-hash order, for comparing annotators' projects.

Projects of one corpus number their documents differently but hash their texts alike, so
three cursors walked in text-hash order (documents, spans, relations) go through several
projects side by side, one document at a time, with plain tuples: merging or measuring 10,000
documents never holds more than one of them, nor builds a model object per span. The rows of
one document are gathered by ``itertools.groupby``, without a Python step per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from annotator.store.project import Project

SpanRow = tuple[str, int, int, str, str, str]  # text hash (as read), start, end, label, status, id
SpanKey = tuple[int, int, str]  # start, end, label
RelationRow = tuple[SpanKey, SpanKey, str, str]  # head, child, label, status


@dataclass(frozen=True, slots=True)
class DocumentDecisions:
    text_hash: str
    doc_id: int
    status: str
    tokens_json: str  # compared as stored: the same tokenizer writes the same string
    spans: list[SpanRow]
    relations: list[RelationRow]
    text: str | None = None  # with ``with_text``: what a merge copies
    meta_json: str | None = None


def text_hashes(project: Project) -> Iterator[str]:
    """Every document's text hash, in order (by the index: no sort, one column)."""
    for (digest,) in project.db.conn.execute(
        "SELECT text_hash FROM documents INDEXED BY idx_documents_text_hash ORDER BY text_hash"
    ):
        yield digest


def decisions_by_hash(
    project: Project, status: str | None = None, with_text: bool = False, accepted: bool = False
) -> Iterator[DocumentDecisions]:
    """Documents (all, or those with ``status``) by text hash, with their decided spans and
    relations (accepted or rejected, or only the accepted ones with ``accepted``; pending
    suggestions are nobody's decision), and their text and meta if ``with_text``. A relation
    names its ends by offsets and label, as every project agrees on them.

    Each query walks the documents by the text-hash index (``CROSS JOIN`` keeps that order)
    and reaches a document's spans and relations by their ``doc_id`` index: no sort."""
    where, parameters = ("WHERE d.status = ?", [status]) if status else ("", [])
    also = " AND" if where else " WHERE"
    decided = "= 'accepted'" if accepted else "!= 'suggested'"
    by_hash = "documents d INDEXED BY idx_documents_text_hash"
    documents = project.db.execute(
        "SELECT d.text_hash, d.id, d.status, t.offsets, "
        f"{'d.text, d.meta' if with_text else 'NULL, NULL'} "
        f"FROM {by_hash} LEFT JOIN tokens t ON t.doc_id = d.id {where} ORDER BY d.text_hash",
        parameters,
    )
    spans = _grouped(
        project.db.conn.execute(
            "SELECT d.text_hash, s.start, s.end, s.label, s.status, s.id "
            f"FROM {by_hash} CROSS JOIN spans s ON s.doc_id = d.id {where}{also} "
            f"s.status {decided} ORDER BY d.text_hash",
            parameters,
        )
    )
    relations = _grouped(  # ends by id: found among the document's spans, read anyway
        project.db.conn.execute(
            "SELECT d.text_hash, r.head, r.child, r.label, r.status "
            f"FROM {by_hash} CROSS JOIN relations r ON r.doc_id = d.id "
            f"{where}{also} r.status {decided} ORDER BY d.text_hash",
            parameters,
        )
    )
    next_spans = next(spans, None)
    next_relations = next(relations, None)
    for text_hash, doc_id, doc_status, tokens_json, text, meta_json in documents:
        own_spans: list[SpanRow] = []
        own_relations: list[RelationRow] = []
        if next_spans is not None and next_spans[0] == text_hash:
            own_spans = next_spans[1]
            next_spans = next(spans, None)
        if next_relations is not None and next_relations[0] == text_hash:
            own_relations = _relation_rows(project, own_spans, next_relations[1])
            next_relations = next(relations, None)
        yield DocumentDecisions(
            text_hash,
            doc_id,
            doc_status,
            project.held_offsets(doc_id, tokens_json),
            own_spans,
            own_relations,
            text,
            meta_json,
        )


_SPAN_ID, _SPAN_KEY = itemgetter(5), itemgetter(1, 2, 3)


def _relation_rows(project: Project, spans: list[SpanRow], rows: list[tuple]) -> list[RelationRow]:
    """Relation rows ``(hash, head id, child id, label, status)`` with their ends as keys: from
    the document's decided spans, or read when an end is not one (a pending suggestion)."""
    key_of = dict(zip(map(_SPAN_ID, spans), map(_SPAN_KEY, spans), strict=True))
    missing = list({end for row in rows for end in row[1:3]}.difference(key_of))
    if missing:
        marks = ",".join("?" * len(missing))
        for span_id, start, end, label in project.db.conn.execute(
            f"SELECT id, start, end, label FROM spans WHERE id IN ({marks})", missing
        ):
            key_of[span_id] = (start, end, label)
    return [
        (key_of[head], key_of[child], label, status)
        for _hash, head, child, label, status in rows
        if head in key_of and child in key_of  # as the join: an end that is gone, no relation
    ]


def _grouped(
    cursor: Iterable[tuple], rows_of: Callable[[Iterable[tuple]], list[tuple]] = list
) -> Iterator[tuple[str, list[tuple]]]:
    """Rows ``(hash, *rest)`` in hash order, as ``(hash, rows_of(rows))`` one hash at a time."""
    for text_hash, rows in groupby(cursor, key=itemgetter(0)):
        yield text_hash, rows_of(rows)
