"""Document listing queries for the window's document list: filters, pages and neighbours.

Everything is done by SQLite so a list over 1,000,000 documents stays fast: the filter returns
only the matching ids (a few megabytes), and rows are read a page at a time by id. The text
filter looks its substring up in the trigram index ``documents_fts`` (migration m005), which
answers for three characters or more; shorter ones, and files opened read-only before that
migration, scan the texts with ``LIKE``. An import leaves its texts out of the index, which
catches up afterwards (``Project.index_texts``, in the background in the window): until then
the documents past the index's border are scanned, so the filter's answer is the same, only
slower.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.errors import ProjectReadError
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
STATUS_COUNTS = "document_counts"  # documents per status, kept by triggers (m007)


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


class _Where:
    """The filter's SQL conditions on ``documents d``, with their parameters."""

    def __init__(
        self, document_filter: DocumentFilter, indexed: bool, border: int | None = None
    ) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []
        # the trigram index's query, when the text filter can use it: then the index, which
        # yields its rowids in order, drives the listing
        self.text_match: str | None = None
        # the index's border (``Project.text_index_from``): documents from this id on are not
        # in it yet (an import left them for later) and are scanned with ``like``
        self.border: int | None = None
        self.like: tuple[str, str] | None = None  # when not among the clauses already
        text = document_filter.text
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = ("d.text LIKE ? ESCAPE '\\'", f"%{escaped}%")
            if indexed and len(text) >= TRIGRAM:
                self.text_match = '"' + text.replace('"', '""') + '"'
            if not indexed or len(text) < TRIGRAM or not text.isascii():
                # The index folds the case of every letter, LIKE of ASCII ones only: a filter
                # with other letters is checked by LIKE too (three times slower than the index).
                self._add(*like)
            if self.text_match is not None and border is not None:
                self.border = border
                self.like = like if text.isascii() else None  # else a clause already
        if document_filter.status == IN_DISPUTE:
            self._add(f"d.id IN ({DISPUTED_DOCUMENTS})")
        elif document_filter.status:
            self._add("d.status = ?", document_filter.status)
        if document_filter.label:
            self._add(
                "d.id IN (SELECT s.doc_id FROM spans s WHERE s.label = ? "
                "AND s.status != 'rejected')",
                document_filter.label,
            )

    def _add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)


class IdReader:
    """The ids a filter matches, in the list's order, read a chunk at a time.

    The window lists a million documents without reading a million ids before its first paint:
    it reads the first screen, then the rest in chunks between events. Each chunk is a query of
    its own that starts after the last id read (keyset paging, no ``OFFSET``), so no statement
    stays open between chunks while the window writes. Id order reads the compact index on the
    ids (m007), or the text index, which yields its rowids in order; "Sample first" reads the
    ranked documents by the priority index, then the others in id order.
    """

    def __init__(self, project: Project, document_filter: DocumentFilter) -> None:
        self._db = project.db
        self._path = project.path
        indexed = project.db[TEXT_INDEX].exists()
        border = project.text_index_from() if indexed else None
        self._where = _Where(document_filter, indexed, border)
        # the texts the index holds first; past its border, the rest is scanned (in id order)
        self._reading_index = self._where.text_match is not None
        self._ranked_first = document_filter.by_priority
        self._reading_ranked = document_filter.by_priority  # still reading the ranked ones
        self._after_rank: tuple[int, int] | None = None  # the last (priority, id) read
        self._after_id = -1  # the last id read of the others
        # a label or dispute filter is a subquery over the spans that SQLite would run again
        # for every chunk: read at once, in one query
        self._at_once = bool(document_filter.label) or document_filter.status == IN_DISPUTE
        self.done = False

    def read(self, limit: int | None = None) -> list[int]:
        """The next ``limit`` ids (all the rest when ``None``, or for a filter read at once);
        fewer means the last ones."""
        ids: list[int] = []
        if self._at_once:
            limit = None
        with reading(self._path):
            while not self.done and (limit is None or len(ids) < limit):
                wanted = None if limit is None else limit - len(ids)
                ranked = self._reading_ranked
                sql, params = self._ranked_query(wanted) if ranked else self._query(wanted)
                rows = self._db.execute(sql, params).fetchall()
                if rows and ranked:
                    self._after_rank = (rows[-1][1], rows[-1][0])
                elif rows:
                    self._after_id = rows[-1][0]
                ids.extend(row[0] for row in rows)
                if wanted is None or len(rows) < wanted:
                    if ranked:
                        self._reading_ranked = False  # then the others, in id order
                    elif self._reading_index and self._where.border is not None:
                        self._reading_index = False  # then the texts past the border
                    else:
                        self.done = True
        return ids

    def _query(self, limit: int | None) -> tuple[str, list[Any]]:
        where = self._where
        clauses = [*where.clauses, "d.priority IS NULL"] if self._ranked_first else where.clauses
        if self._reading_index:
            # the text index drives: its rowids come in order; other conditions are checked
            # on each match (the join alone doubles the cost: only when there are some)
            join = " CROSS JOIN documents d ON d.id = f.rowid" if clauses else ""
            sql = (
                f"SELECT f.rowid FROM {TEXT_INDEX} f{join} "
                f"WHERE f.{TEXT_INDEX} MATCH ? AND f.rowid > ?"
            )
            params = [where.text_match, self._after_id]
            if where.border is not None:
                sql += " AND f.rowid < ?"
                params.append(where.border)
            order = "f.rowid"
        else:
            # SQLite reads the compact index of the ids (m007), not the table and its texts,
            # or, with a status, the status index (in id order within a status)
            sql = "SELECT d.id FROM documents d WHERE d.id > ?"
            params = [self._after_id]
            order = "d.id"
            if where.border is not None:  # past the text index's border: scanned
                sql += " AND d.id >= ?"
                params.append(where.border)
                if where.like is not None:
                    sql += f" AND {where.like[0]}"
                    params.append(where.like[1])
        sql += "".join(f" AND {clause}" for clause in clauses) + f" ORDER BY {order}"
        return _limited(sql, [*params, *where.params], limit)

    def _ranked_query(self, limit: int | None) -> tuple[str, list[Any]]:
        where = self._where
        clauses = ["d.priority IS NOT NULL", *where.clauses]
        params: list[Any] = list(where.params)
        if where.text_match is not None:
            text = f"d.id IN (SELECT rowid FROM {TEXT_INDEX} WHERE {TEXT_INDEX} MATCH ?)"
            text_params: list[Any] = [where.text_match]
            if where.border is not None:  # past the text index's border: scanned
                like = "" if where.like is None else f" AND {where.like[0]}"
                text = f"(d.id < ? AND {text} OR d.id >= ?{like})"
                text_params = [where.border, where.text_match, where.border]
                text_params += [] if where.like is None else [where.like[1]]
            clauses.append(text)
            params.extend(text_params)
        if self._after_rank is not None:
            clauses.append("(d.priority, d.id) > (?, ?)")
            params.extend(self._after_rank)
        sql = f"SELECT d.id, d.priority FROM documents d WHERE {' AND '.join(clauses)}"
        return _limited(f"{sql} ORDER BY d.priority, d.id", params, limit)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Reads for the list: a damaged page met now (a big file is not checked page by page on
    opening) is one line naming the file, not an ``sqlite3`` error."""
    try:
        yield
    except sqlite3.DatabaseError as error:
        raise ProjectReadError(f"{path}: the project file cannot be used: {error}") from None


def _limited(sql: str, params: list[Any], limit: int | None) -> tuple[str, list[Any]]:
    return (sql, params) if limit is None else (f"{sql} LIMIT ?", [*params, limit])


def filtered_ids(project: Project, document_filter: DocumentFilter) -> list[int]:
    """Ids of the matching documents, in the list's order (id order, or "Sample first")."""
    return IdReader(project, document_filter).read()


_ROWS_SQL = """
    SELECT d.id, json_extract(d.meta, '$.title'), substr(d.text, 1, 160), d.status,
           (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.status = 'accepted'),
           (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.status = 'suggested')
           + (SELECT count(*) FROM relations r WHERE r.doc_id = d.id
              AND r.status = 'suggested')
    FROM documents d WHERE d.id IN ({marks})
"""


def document_rows(project: Project, ids: Sequence[int]) -> dict[int, DocumentRow]:
    """The list rows of ``ids`` (a page), read in one query; missing ids are left out."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    with reading(project.path):
        rows = project.db.execute(_ROWS_SQL.format(marks=marks), list(ids)).fetchall()
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
    """Documents per status (for the progress summary), from the counts the triggers of m007
    keep; a file opened read-only before m007 counts its documents."""
    if project.db[STATUS_COUNTS].exists():
        sql = f"SELECT status, documents FROM {STATUS_COUNTS} WHERE documents > 0"
    else:
        sql = "SELECT status, count(*) FROM documents GROUP BY status"
    return dict(project.db.execute(sql).fetchall())


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
    return status_counts(project).get("new", 0)
