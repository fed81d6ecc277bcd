"""Catching the text index up after an import, a batch at a time (``services.indexing``)."""

from __future__ import annotations

import pytest

from annotator.errors import Cancelled
from annotator.model import text_hash
from annotator.services.indexing import ensure_text_index
from annotator.store import Project

TEXTS = [f"Dépêche {number} de {'Lyon' if number % 3 == 0 else 'Paris'}." for number in range(12)]


def _import(project: Project) -> list[int]:
    rows = [(text, text_hash(text), "{}", "new", None) for text in TEXTS]
    return project.add_document_rows(rows, index_texts=False)


def test_every_text_is_indexed_with_progress_after_each_batch(project: Project) -> None:
    _import(project)
    seen: list[tuple[int, int | None]] = []
    assert ensure_text_index(project, progress=lambda *p: seen.append(p), batch=5) == 12
    assert seen == [(0, 12), (5, 12), (10, 12), (12, 12)]
    assert project.text_index_from() is None
    project.db.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")


def test_a_cancelled_pass_keeps_its_batches_and_the_next_one_resumes(project: Project) -> None:
    ids = _import(project)
    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(Cancelled, match="10 texts were indexed"):
        ensure_text_index(project, cancel=cancel, batch=5)
    assert project.text_index_from() == ids[10]
    assert ensure_text_index(project, batch=None) == 2
    assert project.text_index_from() is None


def test_a_whole_index_has_nothing_to_do(project: Project) -> None:
    assert ensure_text_index(project) == 0
