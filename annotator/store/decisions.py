"""Every document's decisions, streamed in text-hash order, for comparing annotators' projects.

Projects of one corpus number their documents differently but hash their texts alike, so
three cursors sorted by the hash (documents, spans, relations) walk several projects side by
side, one document at a time, with plain tuples: merging or measuring 10,000 documents never
holds more than one of them, nor builds a model object per span.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from annotator.store.project import Project

SpanRow = tuple[str, int, int, str, str]  # id, start, end, label, status
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


def decisions_by_hash(project: Project, status: str | None = None) -> Iterator[DocumentDecisions]:
    """Documents (all, or those with ``status``) by text hash, with their decided spans and
    relations (accepted or rejected; pending suggestions are nobody's decision). A relation
    names its ends by offsets and label, as every project agrees on them."""
    where, parameters = ("WHERE d.status = ?", [status]) if status else ("", [])
    documents = project.db.execute(
        "SELECT d.text_hash, d.id, d.status, t.offsets FROM documents d "
        f"LEFT JOIN tokens t ON t.doc_id = d.id {where} ORDER BY d.text_hash",
        parameters,
    )
    spans = _grouped(
        project.db.conn.execute(
            "SELECT d.text_hash, s.id, s.start, s.end, s.label, s.status FROM documents d "
            f"JOIN spans s ON s.doc_id = d.id {where}{' AND' if where else ' WHERE'} "
            "s.status != 'suggested' ORDER BY d.text_hash",
            parameters,
        )
    )
    relations = _grouped(
        (text_hash, (h_start, h_end, h_label), (c_start, c_end, c_label), label, r_status)
        for text_hash, h_start, h_end, h_label, c_start, c_end, c_label, label, r_status in (
            project.db.conn.execute(
                "SELECT d.text_hash, h.start, h.end, h.label, c.start, c.end, c.label, r.label, "
                "r.status FROM documents d JOIN relations r ON r.doc_id = d.id "
                "JOIN spans h ON h.id = r.head JOIN spans c ON c.id = r.child "
                f"{where}{' AND' if where else ' WHERE'} r.status != 'suggested' "
                "ORDER BY d.text_hash",
                parameters,
            )
        )
    )
    next_spans = next(spans, None)
    next_relations = next(relations, None)
    for text_hash, doc_id, doc_status, tokens_json in documents:
        own_spans: list[SpanRow] = []
        own_relations: list[RelationRow] = []
        if next_spans is not None and next_spans[0] == text_hash:
            own_spans = next_spans[1]
            next_spans = next(spans, None)
        if next_relations is not None and next_relations[0] == text_hash:
            own_relations = next_relations[1]
            next_relations = next(relations, None)
        yield DocumentDecisions(
            text_hash,
            doc_id,
            doc_status,
            project.held_offsets(doc_id, tokens_json),
            own_spans,
            own_relations,
        )


def _grouped(cursor: Iterator[tuple]) -> Iterator[tuple[str, list[tuple]]]:
    """Rows ``(hash, *rest)`` sorted by hash, as ``(hash, [rest, ...])`` one hash at a time."""
    current: str | None = None
    rows: list[tuple] = []
    for row in cursor:
        if row[0] != current:
            if current is not None:
                yield current, rows
            current, rows = row[0], []
        rows.append(row[1:])
    if current is not None:
        yield current, rows
