"""Corpus-wide text queries for suggestions: what propagation learns from and where it looks.

Done by SQLite so that they stay quick on large projects (``substr`` and ``instr`` count
characters, as Python's offsets do).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager

from annotator.errors import NotFoundError
from annotator.store.project import Project


@contextmanager
def read_snapshot(project: Project) -> Iterator[Project]:
    """Reads inside see one state of the file while other connections write (WAL), so a
    document's revision and its spans always go together. Inside a transaction, that one."""
    with project.snapshot():
        yield project


def document_text(project: Project, doc_id: int) -> str:
    """The text alone, without parsing the tokens as ``Project.document`` does."""
    row = project.db.execute("SELECT text FROM documents WHERE id = ?", [doc_id]).fetchone()
    if row is None:
        raise NotFoundError(f"{project.path}: no document {doc_id}")
    return row[0]


def decided_span_texts(project: Project) -> list[tuple[str, str, str, int]]:
    """(covered text, label, status, count) of every accepted or rejected span."""
    return project.db.execute(
        """
        SELECT substr(d.text, s.start + 1, s.end - s.start), s.label, s.status, count(*)
        FROM spans s JOIN documents d ON d.id = s.doc_id
        WHERE s.status IN ('accepted', 'rejected')
        GROUP BY 1, 2, 3
        """
    ).fetchall()


AROUND = 40
"""How many characters before and of each accepted span ``text_around_accepted_spans`` reads."""


def text_around_accepted_spans(project: Project, width: int = AROUND) -> list[tuple[str, str, str]]:
    """(the ``width`` characters before, the first ``width`` of the span, label) of each
    accepted span: what propagation learns the words before and opening each label from.
    Not grouped in SQL: grouping by these strings costs three times the scan."""
    return project.db.execute(
        """
        SELECT substr(d.text, max(s.start - ? + 1, 1), min(s.start, ?)),
               substr(d.text, s.start + 1, min(s.end - s.start, ?)), s.label
        FROM spans s JOIN documents d ON d.id = s.doc_id
        WHERE s.status = 'accepted'
        """,
        [width, width, width],
    ).fetchall()


def decided_span_text_counts(project: Project, text: str) -> list[tuple[str, str, int]]:
    """(label, status, count) of the accepted and rejected spans covering ``text``, over the
    whole project: the rows of ``decided_span_texts`` for that one text."""
    rows = project.db.execute(
        """
        SELECT s.label, s.status, count(*)
        FROM spans s JOIN documents d ON d.id = s.doc_id
        WHERE s.status IN ('accepted', 'rejected')
          AND s.end - s.start = length(?) AND substr(d.text, s.start + 1, s.end - s.start) = ?
        GROUP BY 1, 2
        """,
        [text, text],
    )
    return rows.fetchall()


def document_ids_with_pending(project: Project, origin: str, statuses: Iterable[str]) -> list[int]:
    """Ids of the documents of these statuses holding pending suggestions of ``origin``."""
    wanted = list(statuses)
    rows = project.db.execute(
        f"""
        SELECT DISTINCT s.doc_id FROM spans s JOIN documents d ON d.id = s.doc_id
        WHERE s.status = 'suggested' AND s.origin = ?
          AND d.status IN ({",".join("?" * len(wanted))})
        ORDER BY s.doc_id
        """,
        [origin, *wanted],
    )
    return [row[0] for row in rows]


def document_ids_containing(
    project: Project, needle: str, statuses: Iterable[str] | None = None
) -> list[int]:
    """Ids of the documents whose text contains ``needle`` (case-sensitive), in id order."""
    sql = "SELECT id FROM documents WHERE instr(text, ?) > 0"
    params: list[str] = [needle]
    if statuses is not None:
        wanted = list(statuses)
        sql += f" AND status IN ({','.join('?' * len(wanted))})"
        params += wanted
    return [row[0] for row in project.db.execute(sql + " ORDER BY id", params)]


_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"\W")
_WORDS_PIECE = 32_768
"""Characters of text one ``findall`` reads in ``words_in``."""


def words_in(text: str) -> Iterator[str]:
    """Every word (``\\w+``) of ``text``, in order, found a piece at a time: one ``findall``
    over a 100,000-word document holds the GIL for tens of milliseconds, which a keystroke
    would wait for while propagation searches in a worker. Pieces end before a non-word
    character, so no word is cut."""
    begin = 0
    while begin < len(text):
        cut = _NOT_WORD.search(text, begin + _WORDS_PIECE)
        end = len(text) if cut is None else cut.start()
        yield from _WORD.findall(text, begin, end)
        begin = end


_FILTERED_WORDS = 16
"""Up to this many words, only the documents containing one of them are read."""


def word_counts(project: Project, words: Collection[str]) -> Counter[str]:
    """How often each of ``words`` occurs as a whole word (case-sensitive) in all documents.

    SQLite's ``instr`` picks the documents for a few words (propagating one string); for
    more (a suggestion run's strings), every text is read once.
    """
    wanted = set(words)
    counts: Counter[str] = Counter()
    if not wanted:
        return counts
    sql, params = "SELECT text FROM documents", list(wanted)
    if len(wanted) <= _FILTERED_WORDS:
        sql += " WHERE " + " OR ".join("instr(text, ?) > 0" for _ in params)
    else:
        params = []
    for (text,) in project.db.execute(sql, params):
        counts.update(word for word in words_in(text) if word in wanted)
    return counts
