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
    """{document: how near 0.5 its most uncertain scored pending suggestion is} (1 at 0.5, 0 at
    0 or 1), aggregated by SQLite: one number a document, whatever the suggestions."""
    return dict(
        project.db.execute(
            "SELECT doc_id, max(1.0 - abs(2.0 * score - 1.0)) FROM spans "
            "WHERE status = 'suggested' AND score IS NOT NULL GROUP BY doc_id"
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
