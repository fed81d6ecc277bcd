"""Whole-pool queries for choosing what to annotate (``services.sampling``), and the priority
order a sample leaves in the project for the document list to sort by.

One query each over the whole project, so that they stay a few seconds on a million documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from annotator.store.listing import UNFINISHED_STATUSES
from annotator.store.project import Project


def pool_ids(project: Project) -> list[int]:
    """The documents a sample chooses from: every one not done or skipped, in id order."""
    return project.document_ids(UNFINISHED_STATUSES)


def suggested_scores(project: Project) -> dict[int, list[float]]:
    """Scores of the pending suggestions that carry one, per document."""
    scores: dict[int, list[float]] = {}
    for doc_id, score in project.db.execute(
        "SELECT doc_id, score FROM spans WHERE status = 'suggested' AND score IS NOT NULL"
    ):
        scores.setdefault(doc_id, []).append(score)
    return scores


def suggested_keys(project: Project) -> dict[int, dict[str, set[tuple[int, int, str]]]]:
    """{document: {origin: {(start, end, label)}}} of the pending suggestions."""
    keys: dict[int, dict[str, set[tuple[int, int, str]]]] = {}
    for doc_id, origin, start, end, label in project.db.execute(
        "SELECT doc_id, origin, start, end, label FROM spans WHERE status = 'suggested'"
    ):
        keys.setdefault(doc_id, {}).setdefault(origin, set()).add((start, end, label))
    return keys


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
