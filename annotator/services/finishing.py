"""Marking documents done from the command line: the window's Ctrl+Enter, without a window.

A done document means "what is left is wrong", so the pending suggestions of each document
are accepted or rejected first (``pending``), in the same logged edit as the status change.
Every document is checked before any is changed: one refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotator import edits
from annotator.errors import AnnotatorError, ValidationError
from annotator.store import Project
from annotator.wording import counted

REFUSALS_NAMED = 10  # documents listed after the first refused one


@dataclass
class DoneReport:
    """What ``mark_done`` changed."""

    marked: list[int] = field(default_factory=list)
    already_done: list[int] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0


def mark_done(
    project: Project, doc_ids: Sequence[int], pending: edits.PendingChoice | None = None
) -> DoneReport:
    """Mark ``doc_ids`` done, deciding their pending suggestions by ``pending``; one
    transaction. Raises (nothing changed) for a missing document, for pending suggestions
    without ``pending``, and for ``accept`` where two suggestions share tokens."""
    if not doc_ids:
        raise AnnotatorError(f"{project.path}: name at least one document id")
    report = DoneReport()
    planned: list[edits.Edit] = []
    refused: list[tuple[int, str]] = []  # every document refused, not the first alone
    for doc_id in dict.fromkeys(doc_ids):
        status = project.document_status(doc_id)  # NotFoundError names the missing id
        try:
            edit = edits.finish_document(
                doc_id, status, project.spans(doc_id), project.relations(doc_id), pending
            )
        except AnnotatorError as error:
            refused.append((doc_id, str(error)))
            continue
        if edit is None:
            report.already_done.append(doc_id)
            continue
        planned.append(edit)
        report.marked.append(doc_id)
        for change in edits.leaves(edit):
            if isinstance(change, edits.UpdateSpan | edits.UpdateRelation):
                report.accepted += change.after.status == "accepted"
                report.rejected += change.after.status == "rejected"
    if refused:
        others = [str(doc_id) for doc_id, _ in refused[1:]]
        also = ""
        if others:
            listed = ", ".join(others[:REFUSALS_NAMED]) + (
                ", ..." if len(others) > REFUSALS_NAMED else ""
            )
            also = f" (and {counted(len(others), 'other document')} too: {listed})"
        raise ValidationError(f"{project.path}: {refused[0][1]}{also}; nothing changed")
    with project.transaction():
        for edit in planned:
            project.apply(edit)  # a person's decision: logged with the annotator's name
    return report


def mark_done_in_file(
    path: str | Path, doc_ids: Sequence[int], pending: edits.PendingChoice | None = None
) -> DoneReport:
    """``mark_done`` on a project file, opened for writing and closed after."""
    with Project.open(path) as project:
        return mark_done(project, doc_ids, pending)
