"""The document list model: a lazy, filtered adapter over the store."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt

from annotator.errors import ProjectReadError
from annotator.model import Relation
from annotator.store import Project
from annotator.store.listing import DocumentFilter, IdReader
from annotator.ui.document_list_model import DocumentListModel


def test_model_passes_qtmodeltester(qtmodeltester, make_project: Callable[..., Project]) -> None:
    model = DocumentListModel(make_project(40), page_size=16)
    qtmodeltester.check(model, force_py=True)


def test_rows_show_title_status_and_counts(qapp, make_project: Callable[..., Project]) -> None:
    project = make_project(4)
    model = DocumentListModel(project)
    assert model.rowCount() == 4
    assert model.index(0, model.TITLE).data().startswith("Document 0 : Alice Martin")
    assert model.index(0, model.ACCEPTED).data() == "1"
    assert model.index(0, model.PENDING).data() == "1"
    assert model.index(1, model.PENDING).data() == ""
    assert model.index(0, 0).data(model.StatusRole) == "new"
    assert not model.index(0, model.TITLE).data(Qt.ItemDataRole.DecorationRole).isNull()


def test_filters_by_text_status_and_label(make_project: Callable[..., Project]) -> None:
    project = make_project(30)
    model = DocumentListModel(project)
    model.set_filter(DocumentFilter(text="document 1"))  # 1, 10..19
    assert model.rowCount() == 11
    model.set_filter(DocumentFilter(label="PER"))  # every third: 0, 3, ... 27
    assert model.rowCount() == 10
    first = model.doc_id_at(0)
    assert first is not None
    project.set_document_status(first, "done")
    model.set_filter(DocumentFilter(status="done"))
    assert [model.doc_id_at(row) for row in range(model.rowCount())] == [first]
    model.set_filter(DocumentFilter(status="done", label="ORG", text="zzz"))
    assert model.rowCount() == 0
    model.set_filter(DocumentFilter(text="%"))  # a LIKE wildcard is matched literally
    assert model.rowCount() == 0


def test_rows_are_read_lazily_by_page(make_project: Callable[..., Project]) -> None:
    project = make_project(5000)
    model = DocumentListModel(project, page_size=100, cached_pages=4)
    assert model.rowCount() == 5000
    assert model.pages_read == 0
    assert model.index(4999, model.ID).data() == str(model.doc_id_at(4999))
    assert model.pages_read == 1
    model.index(4950, model.TITLE).data()
    assert model.pages_read == 1  # same page, from the cache
    for row in range(0, 1000, 100):
        model.index(row, model.TITLE).data()
    assert model.pages_read == 11
    assert model.cached_page_count() == 4  # the cache stays small


def test_refresh_document_rereads_its_row(qtbot, make_project: Callable[..., Project]) -> None:
    project = make_project(3)
    model = DocumentListModel(project)
    doc_id = model.doc_id_at(1)
    assert doc_id is not None
    assert model.index(1, model.TITLE).data(model.StatusRole) == "new"
    project.set_document_status(doc_id, "done")
    with qtbot.waitSignal(model.dataChanged):
        model.refresh_document(doc_id)
    assert model.index(1, model.TITLE).data(model.StatusRole) == "done"
    assert model.row_of(doc_id) == 1
    assert model.row_of(10_000) is None


def test_to_review_counts_suggested_relations_too(qapp, make_project) -> None:
    project = make_project(1)
    person, org = project.spans(1)
    project.add_relations(
        [Relation(doc_id=1, head=person.id, child=org.id, label="works_for", status="suggested")]
    )
    model = DocumentListModel(project)
    assert model.index(0, model.PENDING).data() == "2"  # the ORG suggestion and the relation


def _list_in_chunks(monkeypatch: pytest.MonkeyPatch, first_ids: int, ids_per_step: int) -> None:
    """Lists of tens of documents grow a chunk at a time, as lists of a million do."""
    monkeypatch.setattr(DocumentListModel, "first_ids", first_ids)
    monkeypatch.setattr(DocumentListModel, "ids_per_step", ids_per_step)


def test_a_long_list_shows_its_first_rows_at_once_and_the_rest_between_events(
    qtbot, monkeypatch, make_project: Callable[..., Project]
) -> None:
    _list_in_chunks(monkeypatch, 10, 25)
    model = DocumentListModel(make_project(100), page_size=16)
    assert model.rowCount() == 10  # no waiting for the hundredth id
    assert model.is_listing()
    assert model.index(9, model.ID).data() == "10"  # page 0 is read short: rows 0 to 9
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.listing_finished):
        pass
    assert inserted == [(10, 34), (35, 59), (60, 84), (85, 99)]
    assert not model.is_listing()
    assert [model.doc_id_at(row) for row in range(100)] == list(range(1, 101))
    assert model.index(12, model.ID).data() == "13"  # the short page was read again


def test_a_new_filter_while_listing_lists_that_filter_alone(
    qtbot, monkeypatch, make_project: Callable[..., Project]
) -> None:
    _list_in_chunks(monkeypatch, 4, 4)
    model = DocumentListModel(make_project(60))
    assert model.is_listing()
    model.set_filter(DocumentFilter(text="document 1"))  # 1, 10..19
    with qtbot.waitSignal(model.listing_finished):
        pass
    assert [model.doc_id_at(row) for row in range(model.rowCount())] == [2, *range(11, 21)]


def test_ids_that_cannot_be_read_stop_the_listing_and_are_reported_once(
    qtbot, make_project: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(30)
    model = DocumentListModel(project)
    model.first_ids = model.ids_per_step = 10

    def damaged(reader: IdReader, limit: int | None = None) -> list[int]:
        raise ProjectReadError(f"{project.path}: the project file cannot be used: malformed")

    reported: list[str] = []
    model.read_failed.connect(reported.append)
    model.reload()
    assert model.rowCount() == 10 and model.is_listing()
    monkeypatch.setattr(IdReader, "read", damaged)
    qtbot.waitUntil(lambda: not model.is_listing())
    model.reload()  # the same failure again
    qtbot.wait(20)
    assert reported == [f"{project.path}: the project file cannot be used: malformed"]
    assert model.rowCount() == 0
