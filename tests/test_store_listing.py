"""The document list's ids, read a chunk at a time in the list's order."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_files import older_project_file, project_with_a_damaged_page

import annotator.store.project as store_project
from annotator.errors import ProjectReadError
from annotator.model import Document, Span, text_hash
from annotator.store import Project
from annotator.store.listing import (
    DocumentFilter,
    IdReader,
    awaiting_first_suggestions,
    document_rows,
    filtered_ids,
    status_counts,
)
from annotator.store.pool import position_by_priority

FILTERS = (
    DocumentFilter(),
    DocumentFilter(text="lyon"),  # the text index drives
    DocumentFilter(text="yo"),  # too short for it: LIKE
    DocumentFilter(text="Société"),  # the index, then LIKE on what it found
    DocumentFilter(status="done"),
    DocumentFilter(label="PER"),
    DocumentFilter(text="Lyon", status="new", label="PER"),
    DocumentFilter(by_priority=True),
    DocumentFilter(text="Lyon", by_priority=True),
    DocumentFilter(status="done", by_priority=True),
)


@pytest.fixture
def pool(project: Project) -> Project:
    """40 documents: every third in Lyon, every fifth done, every fourth with a PER span,
    seven ranked by a sample (with a tie of ranks), in an order other than their ids."""
    return _fill(project)


def _fill(project: Project, indexed: int | None = None) -> Project:
    """The pool; ``indexed``: only the first ones in the text index, as an import leaves it
    while the index catches up."""
    texts = [
        f"Document {number} à {'Lyon' if number % 3 == 0 else 'Paris'}, Société {number}."
        for number in range(40)
    ]
    if indexed is None:
        documents = [Document(text=t) for t in texts]
        ids = [doc_id for doc_id, _ in project.add_documents_bulk(documents)]
    else:
        rows = [(text, text_hash(text), "{}", "new", None) for text in texts]
        ids = project.add_document_rows(rows, index_texts=False)
        project.index_texts(limit=indexed)
    for doc_id in ids[::5]:
        project.set_document_status(doc_id, "done")
    project.add_spans(
        [Span(doc_id=doc_id, start=0, end=8, label="PER", origin="manual") for doc_id in ids[::4]]
    )
    ranks = {ids[30]: 1, ids[3]: 2, ids[12]: 3, ids[9]: 3, ids[0]: 5, ids[25]: 6, ids[39]: 7}
    for doc_id, rank in ranks.items():
        project.db.execute("UPDATE documents SET priority = ? WHERE id = ?", [rank, doc_id])
    return project


def _expected(project: Project, document_filter: DocumentFilter) -> list[int]:
    """The list, worked out in Python from every document."""
    rows = project.db.execute("SELECT id, text, status, priority FROM documents").fetchall()
    labelled = {
        doc_id
        for (doc_id,) in project.db.execute(
            "SELECT doc_id FROM spans WHERE label = ? AND status != 'rejected'",
            [document_filter.label],
        )
    }
    text = document_filter.text
    kept = [
        (doc_id, priority)
        for doc_id, body, status, priority in rows
        if (not text or (text.lower() in body.lower() if text.isascii() else text in body))
        and document_filter.status in ("", status)
        and (not document_filter.label or doc_id in labelled)
    ]
    if document_filter.by_priority:
        kept.sort(key=lambda row: (row[1] is None, row[1] or 0, row[0]))
    else:
        kept.sort()
    return [doc_id for doc_id, _ in kept]


@pytest.mark.parametrize("document_filter", FILTERS, ids=repr)
@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
def test_chunks_add_up_to_the_whole_list_in_order(
    pool: Project, document_filter: DocumentFilter, chunk: int
) -> None:
    expected = _expected(pool, document_filter)
    assert expected  # every filter here matches something
    reader = IdReader(pool, document_filter)
    read: list[int] = []
    while not reader.done:
        more = reader.read(chunk)
        assert len(more) <= chunk or reader.done  # a label filter is read at once
        assert more or reader.done
        read.extend(more)
    assert read == expected
    assert filtered_ids(pool, document_filter) == expected


@pytest.mark.parametrize("document_filter", FILTERS, ids=repr)
@pytest.mark.parametrize("chunk", [1, 7, 100])
@pytest.mark.parametrize("indexed", [0, 13, 40])
def test_the_list_is_the_same_while_the_text_index_catches_up(
    project: Project, document_filter: DocumentFilter, chunk: int, indexed: int
) -> None:
    pool = _fill(project, indexed)
    assert pool.count_unindexed() == 40 - indexed
    expected = _expected(pool, document_filter)
    reader = IdReader(pool, document_filter)
    read: list[int] = []
    while not reader.done:
        read.extend(reader.read(chunk))
    assert read == expected
    assert filtered_ids(pool, document_filter) == expected


def test_a_reader_started_before_the_index_caught_up_reads_each_document_once(
    project: Project,
) -> None:
    pool = _fill(project, indexed=0)
    reader = IdReader(pool, DocumentFilter(text="Lyon"))
    first = reader.read(5)
    pool.index_texts()  # the background pass finishes meanwhile
    assert first + reader.read() == _expected(pool, DocumentFilter(text="Lyon"))


def test_a_label_filter_is_read_in_one_query(pool: Project) -> None:
    expected = _expected(pool, DocumentFilter(label="PER"))
    queries: list[str] = []
    pool.db.conn.set_trace_callback(queries.append)
    reader = IdReader(pool, DocumentFilter(label="PER"))
    assert reader.read(3) == expected
    assert reader.done
    pool.db.conn.set_trace_callback(None)
    assert sum("FROM spans" in query for query in queries) == 1


def test_a_reader_stops_on_a_short_chunk(pool: Project) -> None:
    reader = IdReader(pool, DocumentFilter(text="Lyon"))  # 14 documents
    assert len(reader.read(10)) == 10
    assert not reader.done
    assert len(reader.read(10)) == 4
    assert reader.done
    assert reader.read(10) == []


def test_a_file_without_the_id_index_lists_its_documents_read_only(tmp_path: Path) -> None:
    path = tmp_path / "old.annotator"
    db = older_project_file(path, "m007_document_list_indexes")
    db["documents"].insert_all(
        {"text": f"Document {number}", "text_hash": str(number), "status": "new"}
        for number in range(5)
    )
    db.conn.close()
    with Project.open(path, read_only=True) as project:  # not upgraded: no index of the ids
        assert filtered_ids(project, DocumentFilter()) == [1, 2, 3, 4, 5]
    with Project.open(path) as project:  # upgraded
        assert "idx_documents_id" in {index.name for index in project.db["documents"].indexes}
        assert filtered_ids(project, DocumentFilter()) == [1, 2, 3, 4, 5]


def test_status_counts_follow_every_write(project: Project) -> None:
    ids = [
        doc_id
        for doc_id, _ in project.add_documents_bulk([Document(text=f"D {n}") for n in range(6)])
    ]
    project.add_document(Document(text="one more"))
    assert status_counts(project) == {"new": 7}
    project.set_document_status(ids[0], "done")
    project.set_document_status(ids[1], "done")
    project.set_document_status(ids[1], "done")  # unchanged: counted once
    project.set_document_status(ids[2], "skipped")
    with project.transaction():
        project.db.execute("DELETE FROM documents WHERE id = ?", [ids[3]])
    expected = {"new": 3, "done": 2, "skipped": 1}
    assert status_counts(project) == expected
    counted = project.db.execute("SELECT status, count(*) FROM documents GROUP BY status")
    assert dict(counted.fetchall()) == expected
    assert awaiting_first_suggestions(project) == 3


def test_an_older_file_gets_its_status_counts_when_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.annotator"
    db = older_project_file(path, "m007_document_list_indexes")
    db["documents"].insert_all(
        {"text": f"Document {n}", "text_hash": str(n), "status": "done" if n % 2 else "new"}
        for n in range(5)
    )
    db.conn.close()
    with Project.open(path, read_only=True) as project:  # not upgraded: counted
        assert status_counts(project) == {"new": 3, "done": 2}
    with Project.open(path) as project:
        assert status_counts(project) == {"new": 3, "done": 2}
        project.set_document_status(1, "done")
        assert status_counts(project) == {"new": 2, "done": 3}


def test_a_damaged_page_read_by_the_list_is_one_line_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project_with_a_damaged_page(tmp_path / "pool.annotator")
    monkeypatch.setattr(store_project, "QUICK_CHECK_MAX_BYTES", path.stat().st_size - 1)
    with Project.open(path) as project:
        assert set(document_rows(project, [150, 153])) == {150, 153}
        with pytest.raises(ProjectReadError) as error:
            document_rows(project, [150, 151])
        assert str(error.value) == (
            f"{path}: the project file cannot be used: database disk image is malformed"
        )


def test_the_position_in_sample_first_order_is_the_row_of_the_list(pool: Project) -> None:
    order = filtered_ids(pool, DocumentFilter(by_priority=True))
    assert order != sorted(order)
    assert [position_by_priority(pool, doc_id) for doc_id in order] == [
        (row, len(order)) for row in range(1, len(order) + 1)
    ]
