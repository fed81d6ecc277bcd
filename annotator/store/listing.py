"""Document listing queries for the window's document list: filters, pages and neighbours.

Everything is done by SQLite so a list over 1,000,000 documents stays fast: the filter returns
only the matching ids (a few megabytes), and rows are read a page at a time by id. The text
filter looks its substring up in the trigram index ``documents_fts`` (migration m003), which
answers for three characters or more; shorter ones, and files opened read-only before that
migration, scan the texts with ``LIKE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotator.store.project import Project

UNFINISHED_STATUSES: tuple[str, ...] = ("new", "suggested", "in_progress")
# In a merged project: documents where some annotators' version is still pending and not
# everyone made it (score < 1: the share of the document's annotators behind a version).
IN_DISPUTE = "in_dispute"
DISPUTED_DOCUMENTS = (
    "SELECT s.doc_id FROM spans s WHERE s.status = 'suggested' AND s.origin LIKE 'annotator:%' "
    "AND s.score < 1 UNION SELECT r.doc_id FROM relations r WHERE r.status = 'suggested' "
    "AND r.origin LIKE 'annotator:%' AND r.score < 1"
)
TEXT_INDEX = "documents_fts"
TRIGRAM = 3  # the shortest substring the trigram index can answer


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """``text``: a substring of the text (case-insensitive for ASCII); ``status``: one status,
    or ``IN_DISPUTE``; ``label``: documents holding a non-rejected span with that label. Empty
    means any. ``by_priority``: the last ``annotator sample`` ranks first, in its order, then
    the rest."""

    text: str = ""
    status: str = ""
    label: str = ""
    by_priority: bool = False


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """What one line of the document list shows."""

    id: int
    title: str
    status: str
    accepted: int  # accepted spans
    suggested: int  # spans and relations still to accept or reject


def _where(document_filter: DocumentFilter, indexed: bool) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if document_filter.text:
        text = document_filter.text
        if indexed and len(text) >= TRIGRAM:
            clauses.append(f"d.id IN (SELECT rowid FROM {TEXT_INDEX} WHERE {TEXT_INDEX} MATCH ?)")
            params.append('"' + text.replace('"', '""') + '"')
        if not indexed or len(text) < TRIGRAM or not text.isascii():
            # The index folds the case of every letter, LIKE of ASCII ones only: a filter with
            # other letters is checked by LIKE too (three times slower than the index alone).
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append("d.text LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
    if document_filter.status == IN_DISPUTE:
        clauses.append(f"d.id IN ({DISPUTED_DOCUMENTS})")
    elif document_filter.status:
        clauses.append("d.status = ?")
        params.append(document_filter.status)
    if document_filter.label:
        clauses.append(
            "d.id IN (SELECT s.doc_id FROM spans s WHERE s.label = ? AND s.status != 'rejected')"
        )
        params.append(document_filter.label)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def filtered_ids(project: Project, document_filter: DocumentFilter) -> list[int]:
    """Ids of the matching documents, in id order.

    Sorted here rather than by ``ORDER BY``: without it SQLite scans the small status index
    instead of the table and its texts, about twice as fast on 100,000 documents.
    """
    where, params = _where(document_filter, project.db[TEXT_INDEX].exists())
    if document_filter.by_priority:
        rows = project.db.execute(f"SELECT d.id, d.priority FROM documents d{where}", params)
        return [
            doc_id
            for doc_id, _ in sorted(rows, key=lambda row: (row[1] is None, row[1] or 0, row[0]))
        ]
    return sorted(
        row[0] for row in project.db.execute(f"SELECT d.id FROM documents d{where}", params)
    )


def document_rows(project: Project, ids: Sequence[int]) -> dict[int, DocumentRow]:
    """The list rows of ``ids`` (a page), read in one query; missing ids are left out."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = project.db.execute(
        f"""
        SELECT d.id, json_extract(d.meta, '$.title'), substr(d.text, 1, 160), d.status,
               (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.status = 'accepted'),
               (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.status = 'suggested')
               + (SELECT count(*) FROM relations r WHERE r.doc_id = d.id
                  AND r.status = 'suggested')
        FROM documents d WHERE d.id IN ({marks})
        """,
        list(ids),
    )
    result = {}
    for doc_id, title, head, status, accepted, suggested in rows:
        result[doc_id] = DocumentRow(
            id=doc_id,
            title=_title(title, head),
            status=status,
            accepted=accepted,
            suggested=suggested,
        )
    return result


def _title(meta_title: Any, head: str) -> str:
    if isinstance(meta_title, str) and meta_title.strip():
        return meta_title.strip()
    words = " ".join(head.split())
    return words[:80] if words else "(empty)"


def status_counts(project: Project) -> dict[str, int]:
    """Documents per status (for the progress summary)."""
    return dict(project.db.execute("SELECT status, count(*) FROM documents GROUP BY status"))


def pending_suggestions(project: Project, doc_id: int) -> int:
    """Spans and relations still waiting for a decision in one document."""
    row = project.db.execute(
        "SELECT (SELECT count(*) FROM spans WHERE doc_id = ? AND status = 'suggested') + "
        "(SELECT count(*) FROM relations WHERE doc_id = ? AND status = 'suggested')",
        [doc_id, doc_id],
    ).fetchone()
    return int(row[0])


def document_position(project: Project, doc_id: int) -> tuple[int, int]:
    """(1-based position of ``doc_id`` in id order, total documents)."""
    row = project.db.execute(
        "SELECT (SELECT count(*) FROM documents WHERE id <= ?), (SELECT count(*) FROM documents)",
        [doc_id],
    ).fetchone()
    return int(row[0]), int(row[1])


def neighbour_document(
    project: Project, doc_id: int | None, forward: bool = True, unfinished_only: bool = False
) -> int | None:
    """The next (or previous) document in id order; with ``unfinished_only``, the next one not
    done or skipped, wrapping around to the start. ``None`` when there is none."""
    status_clause = ""
    params: list[Any] = []
    if unfinished_only:
        status_clause = f" AND status IN ({','.join('?' * len(UNFINISHED_STATUSES))})"
        params = list(UNFINISHED_STATUSES)
    current = -1 if doc_id is None else doc_id
    if forward:
        sql = f"SELECT id FROM documents WHERE id > ?{status_clause} ORDER BY id LIMIT 1"
    else:
        sql = f"SELECT id FROM documents WHERE id < ?{status_clause} ORDER BY id DESC LIMIT 1"
    if doc_id is None and not forward:
        current = 1 << 62
    row = project.db.execute(sql, [current, *params]).fetchone()
    if row is None and unfinished_only:
        wrap = -1 if forward else 1 << 62
        row = project.db.execute(sql, [wrap, *params]).fetchone()
        if row is not None and row[0] == doc_id:
            return None
    return None if row is None else int(row[0])


def awaiting_first_suggestions(project: Project) -> int:
    """New documents, when no suggestion run has ever been stored in the project (else 0):
    what the window offers to pre-annotate on opening."""
    if project.db.execute("SELECT 1 FROM edit_log WHERE kind = 'suggest' LIMIT 1").fetchone():
        return 0
    row = project.db.execute("SELECT count(*) FROM documents WHERE status = 'new'").fetchone()
    return int(row[0])
