"""The window's propagation search in a process of its own finds what the search finds in
this process, gives its answer back a piece at a time, and survives its process dying."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator import edits
from annotator.errors import AnnotatorError, ProjectReadOnlyError
from annotator.model import Document, Span
from annotator.services import suggesting
from annotator.services.propagation_process import PIECE, SearchProcess
from annotator.services.suggesting import PropagatedDocument
from annotator.store import Project

MENTIONS = 2 * PIECE + 50  # three pieces


@pytest.fixture
def process() -> Iterator[SearchProcess]:
    searcher = SearchProcess()
    yield searcher
    searcher.close(wait=True)


def _microsoft_everywhere(project: Project) -> Span:
    """A long document naming Microsoft ``MENTIONS`` times, a short one twice; the first
    mention accepted (stored), the span to propagate."""
    sentence = "Microsoft paie bien. "
    text = sentence * MENTIONS
    tokens = []
    for number in range(MENTIONS):
        at = number * len(sentence)
        tokens += [(at, at + 9), (at + 10, at + 14), (at + 15, at + 19), (at + 19, at + 20)]
    long_id, _ = project.add_document(Document(text=text, tokens=tuple(tokens)))
    project.add_document(
        Document(
            text="Microsoft recrute. Microsoft paie.",
            tokens=((0, 9), (10, 17), (17, 18), (19, 28), (29, 33), (33, 34)),
        )
    )
    span = Span(doc_id=long_id, start=0, end=9, label="ORG")
    project.apply(edits.add_span(span))
    return span


def _found(planned: list[PropagatedDocument]) -> list[tuple]:
    """What a search proposes, without the ids each search makes afresh."""
    return [
        (
            document.doc_id,
            document.revision,
            [s.model_dump(exclude={"id"}) for s in document.spans],
            document.withdrawn,
        )
        for document in planned
    ]


def test_the_process_finds_what_the_search_finds_here(project: Project, process) -> None:
    span = _microsoft_everywhere(project)
    here = suggesting.compute_propagation(project, span)
    pauses: list[int] = []
    there = process.search(project.path, span, pause=lambda: pauses.append(1))
    assert _found(there) == _found(here)
    assert sum(len(document.spans) for document in there) == MENTIONS - 1 + 2
    assert len(pauses) == 3 + 1  # before each piece: three of the long document, one short
    assert _found(process.search(project.path, span, doc_ids=(2,))) == _found(
        [document for document in here if document.doc_id == 2]
    )


def test_the_process_sees_what_was_committed_before_each_search(project: Project, process) -> None:
    span = _microsoft_everywhere(project)
    assert process.search(project.path, span, doc_ids=(2,))[0].spans
    project.set_document_status(2, "done")  # done documents are not searched
    assert process.search(project.path, span, doc_ids=(2,)) == []


def test_a_project_that_went_away_is_one_line(tmp_path: Path, process) -> None:
    span = Span(doc_id=1, start=0, end=9, label="ORG")
    missing = tmp_path / "gone.annotator"
    with pytest.raises(AnnotatorError, match="gone.annotator") as raised:
        process.search(missing, span)
    assert "\n" not in str(raised.value)


def test_a_search_process_that_died_is_started_again(project: Project, process) -> None:
    span = _microsoft_everywhere(project)
    assert process.search(project.path, span, doc_ids=(2,))
    [child] = multiprocessing.active_children()
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    with pytest.raises(AnnotatorError, match="the propagation search process stopped"):
        process.search(project.path, span, doc_ids=(2,))
    assert not process.running()
    assert process.search(project.path, span, doc_ids=(2,))  # a new process
    assert process.running()


def test_a_reader_cannot_write(project: Project, doc_id: int) -> None:
    with Project.reader(project.path) as reader:
        assert reader.document(doc_id).text.startswith("Brad Smith")
        with pytest.raises(ProjectReadOnlyError):
            reader.apply(edits.add_span(Span(doc_id=doc_id, start=0, end=4, label="PER")))
