"""Whole-pool queries for choosing what to annotate (``services.sampling``), and the priority
order a sample leaves in the project for the document list to sort by.

One query each over the whole project, so that they stay a few seconds on a million documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import itemgetter

from annotator.store.listing import UNFINISHED_STATUSES
from annotator.store.project import Project


def pool_ids(project: Project) -> list[int]:
    """The documents a sample chooses from: every one not done or skipped, in id order."""
    return project.document_ids(UNFINISHED_STATUSES)


def suggestion_closeness(project: Project) -> dict[int, float]:
    """{document: the sum over its scored pending suggestions of how near 0.5 each is} (1 at
    0.5, 0 at 0 or 1): about how many of its suggestions are in doubt. Not the most uncertain
    one alone: a model's per-sentence probabilities put one near 0.5 in most documents of 500
    tokens (42 of the 73 Europeana documents, ``benchmarks/bench_scores.py``), so the maximum
    barely tells them apart. Aggregated by SQLite: one number a document."""
    return dict(
        project.db.execute(
            "SELECT doc_id, sum(1.0 - abs(2.0 * score - 1.0)) FROM spans "
            "WHERE status = 'suggested' AND score IS NOT NULL GROUP BY doc_id"
        )
    )


def scored_suggestion_counts(project: Project) -> dict[str, int]:
    """{origin: its pending suggestions with a score}: what ``uncertain`` ranks by."""
    return dict(
        project.db.execute(
            "SELECT origin, count(*) FROM spans WHERE status = 'suggested' AND score IS NOT NULL "
            "GROUP BY origin ORDER BY count(*) DESC, origin"
        )
    )


def suggestion_origins(project: Project, at_most: int) -> list[str]:
    """Up to ``at_most`` origins of pending suggestions: whether two suggesters can differ."""
    return [
        row[0]
        for row in project.db.execute(
            "SELECT DISTINCT origin FROM spans WHERE status = 'suggested' LIMIT ?", [at_most]
        )
    ]


def suggested_keys_by_document(
    project: Project,
) -> Iterator[tuple[int, dict[str, set[tuple[int, int, str]]]]]:
    """(document, {origin: {(start, end, label)}}) of the pending suggestions, one document at
    a time in id order (read along the ``doc_id`` index), so memory holds one document's."""
    rows = project.db.execute(
        "SELECT doc_id, origin, start, end, label FROM spans WHERE status = 'suggested' "
        "ORDER BY doc_id"
    )
    for doc_id, group in groupby(rows, key=itemgetter(0)):
        keys: dict[str, set[tuple[int, int, str]]] = {}
        for _, origin, start, end, label in group:
            keys.setdefault(origin, set()).add((start, end, label))
        yield doc_id, keys


def suggested_labels(project: Project) -> dict[int, Counter[str]]:
    """Labels of the pending suggestions, counted per document."""
    labels: dict[int, Counter[str]] = {}
    for doc_id, label, count in project.db.execute(
        "SELECT doc_id, label, count(*) FROM spans WHERE status = 'suggested' GROUP BY 1, 2"
    ):
        labels.setdefault(doc_id, Counter())[label] = count
    return labels


def accepted_label_counts(project: Project) -> Counter[str]:
    """Accepted spans per label over the project: how many examples each label already has."""
    return Counter(
        dict(
            project.db.execute(
                "SELECT label, count(*) FROM spans WHERE status = 'accepted' GROUP BY label"
            )
        )
    )


def set_priorities(project: Project, ranked: Sequence[int]) -> None:
    """Rank ``ranked`` 1, 2, ... and clear the previous sample's ranks, in one transaction."""
    with project.transaction():
        project.db.execute("UPDATE documents SET priority = NULL WHERE priority IS NOT NULL")
        project.db.conn.executemany(
            "UPDATE documents SET priority = ? WHERE id = ?",
            [(rank, doc_id) for rank, doc_id in enumerate(ranked, start=1)],
        )
        project.log_event(
            "sample", f"priority order of {len(ranked)} document(s)", {"documents": list(ranked)}
        )


def priorities(project: Project) -> dict[int, int]:
    """{document: rank} of the last sample kept in this project."""
    return dict(project.db.execute("SELECT id, priority FROM documents WHERE priority IS NOT NULL"))


def sample_fingerprint(project: Project) -> list[int] | None:
    """What tells one kept sample from the next: its size and its first ranked ids, or
    ``None`` when no sample is kept. Read along the ``priority`` index (a few rows), so the
    window can tell at opening whether ``annotator sample`` ranked the project anew."""
    count = project.db.execute(
        "SELECT count(*) FROM documents WHERE priority IS NOT NULL"
    ).fetchone()[0]
    if not count:
        return None
    first = project.db.execute(
        "SELECT id FROM documents WHERE priority IS NOT NULL ORDER BY priority, id LIMIT 5"
    )
    return [int(count), *(int(row[0]) for row in first)]


# -- walking the documents in "Sample first" order -------------------------------------------------

_FAR = 1 << 62
_RANKED_AFTER = (
    "priority IS NOT NULL AND priority >= ? AND (priority > ? OR id > ?) "
    "ORDER BY priority, id LIMIT 1"
)
_RANKED_BEFORE = (
    "priority IS NOT NULL AND priority <= ? AND (priority < ? OR id < ?) "
    "ORDER BY priority DESC, id DESC LIMIT 1"
)
_UNRANKED_AFTER = "priority IS NULL AND id > ? ORDER BY id LIMIT 1"
_UNRANKED_BEFORE = "priority IS NULL AND id < ? ORDER BY id DESC LIMIT 1"


def neighbour_by_priority(
    project: Project, doc_id: int | None, forward: bool = True, unfinished_only: bool = False
) -> int | None:
    """``listing.neighbour_document`` in the document list's "Sample first" order: the ranked
    documents by rank, then the others by id. A few indexed lookups (the ``priority`` index),
    so a step stays instant on a million documents."""
    statuses = UNFINISHED_STATUSES if unfinished_only else ()
    found = _step(project, _position(project, doc_id, forward), forward, statuses)
    if found is None and unfinished_only:  # wrap around, as in id order
        found = _step(project, _position(project, None, forward), forward, statuses)
        if found == doc_id:
            return None
    return found


def position_by_priority(project: Project, doc_id: int) -> tuple[int, int]:
    """``listing.document_position`` in the "Sample first" order: (1-based position of
    ``doc_id``, total documents), counted along the ``priority`` index."""
    ranked, rank, _ = _position(project, doc_id, forward=True)
    count = "SELECT count(*) FROM documents WHERE "
    if ranked:
        before = "priority IS NOT NULL AND (priority < ? OR (priority = ? AND id <= ?))"
        counts = [(count + before, [rank, rank, doc_id])]
    else:  # every ranked one, then the others up to it: two ranges of the index, not a scan
        counts = [
            (count + "priority IS NOT NULL", []),
            (count + "priority IS NULL AND id <= ?", [doc_id]),
        ]
    position = sum(project.db.execute(sql, params).fetchone()[0] for sql, params in counts)
    total = project.db.execute("SELECT count(*) FROM documents").fetchone()[0]
    return int(position), int(total)


def _position(project: Project, doc_id: int | None, forward: bool) -> tuple[bool, int, int]:
    """(ranked, rank, id) of ``doc_id`` in the order; ``None``: before the first document going
    forward, after the last going back."""
    if doc_id is None:
        return (True, -_FAR, -_FAR) if forward else (False, 0, _FAR)
    row = project.db.execute("SELECT priority FROM documents WHERE id = ?", [doc_id]).fetchone()
    rank = None if row is None else row[0]
    return (rank is not None, rank or 0, doc_id)


def _step(
    project: Project, position: tuple[bool, int, int], forward: bool, statuses: Sequence[str]
) -> int | None:
    ranked, rank, doc_id = position
    queries: list[tuple[str, list[int]]] = []
    if forward:
        if ranked:
            queries.append((_RANKED_AFTER, [rank, rank, doc_id]))
        queries.append((_UNRANKED_AFTER, [doc_id if not ranked else -_FAR]))
    else:
        if not ranked:
            queries.append((_UNRANKED_BEFORE, [doc_id]))
        queries.append((_RANKED_BEFORE, [rank, rank, doc_id] if ranked else [_FAR, _FAR, _FAR]))
    # ``+status``: walk the priority index, not the status one (which would sort a million rows)
    status_clause = f"+status IN ({','.join('?' * len(statuses))}) AND " if statuses else ""
    for condition, params in queries:
        row = project.db.execute(
            f"SELECT id FROM documents WHERE {status_clause}{condition}", [*statuses, *params]
        ).fetchone()
        if row is not None:
            return int(row[0])
    return None
