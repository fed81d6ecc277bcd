"""Fixtures for the window's tests; every Qt warning in these tests fails the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from annotator.model import Document, Span
from annotator.store import Project


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))


def add_documents(project: Project, count: int, spans_every: int = 3) -> list[int]:
    """``count`` short documents; every ``spans_every``-th gets an accepted PER span and a
    suggested ORG span. Whitespace tokens."""
    ids = []
    with project.transaction():
        for number in range(count):
            text = f"Document {number} : Alice Martin rejoint Acme à Paris."
            tokens = tuple((m_start, m_start + len(word)) for m_start, word in _words(text))
            doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
            ids.append(doc_id)
            if number % spans_every == 0:
                start = text.index("Alice")
                project.insert_span(Span(doc_id=doc_id, start=start, end=start + 12, label="PER"))
                acme = text.index("Acme")
                project.insert_span(
                    Span(
                        doc_id=doc_id,
                        start=acme,
                        end=acme + 4,
                        label="ORG",
                        status="suggested",
                        origin="model:test@1",
                        score=0.8,
                    )
                )
    return ids


def _words(text: str) -> Iterator[tuple[int, str]]:
    position = 0
    for word in text.split(" "):
        yield position, word
        position += len(word) + 1


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[Callable[..., Project]]:
    """Create a project file with ``count`` documents; closed after the test."""
    opened: list[Project] = []

    def make(count: int = 10, name: str = "ui.annotator") -> Project:
        project = Project.create(tmp_path / name)
        add_documents(project, count)
        opened.append(project)
        return project

    yield make
    for project in opened:
        project.close()  # closing twice is harmless
