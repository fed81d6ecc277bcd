"""The trigram text index behind the document list's text filter (large pools)."""

from __future__ import annotations

from pathlib import Path

from project_files import older_project_file, run_killed

from annotator.model import Document, text_hash
from annotator.store import Project
from annotator.store.listing import DocumentFilter, filtered_ids
from annotator.store.migrations import migrations

TEXTS = (
    "Brad Smith works for Microsoft in Redmond.",
    "La société MICROSOFT ouvre un bureau à Paris.",
    "Le maire de Lyon a dit « non ».",
    'He said "50% off" at the shop_front.',
)


def _add(project: Project, texts: tuple[str, ...] = TEXTS) -> list[int]:
    return [doc_id for doc_id, _ in project.add_documents_bulk([Document(text=t) for t in texts])]


def _matching(project: Project, text: str) -> list[int]:
    return filtered_ids(project, DocumentFilter(text=text))


def test_an_older_file_gets_the_index_of_its_texts_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.annotator"
    db = older_project_file(path, "m005_documents_text_index")
    db["documents"].insert_all(
        {"text": text, "text_hash": str(number), "status": "new"}
        for number, text in enumerate(TEXTS)
    )
    db.conn.close()
    with Project.open(path) as project:
        assert not migrations.pending(project.db)
        indexed = project.db.execute(
            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH '\"icroso\"' ORDER BY 1"
        ).fetchall()
        assert indexed == [(1,), (2,)]
        assert _matching(project, "Lyon") == [3]


def test_documents_added_later_are_indexed(project: Project) -> None:
    _add(project, TEXTS[:2])
    [late] = _add(project, ("Une usine Microsoft à Lyon.",))
    found = project.db.execute(
        "SELECT rowid FROM documents_fts WHERE documents_fts MATCH '\"usine\"'"
    ).fetchall()
    assert found == [(late,)]


def test_the_filter_answers_from_the_index(project: Project) -> None:
    ids = _add(project)
    project.db.execute(
        "INSERT INTO documents_fts (documents_fts, rowid, text) VALUES ('delete', ?, ?)",
        [ids[0], TEXTS[0]],
    )
    assert _matching(project, "Microsoft") == [ids[1]]  # the first is no longer in the index


def test_the_filter_keeps_its_rules_with_the_index(project: Project) -> None:
    ids = _add(project)
    assert _matching(project, "microsoft") == ids[:2]  # ASCII case folded, as LIKE does
    assert _matching(project, "société") == [ids[1]]
    assert _matching(project, "SOCIÉTÉ") == []  # LIKE folds ASCII only; so does the filter
    assert _matching(project, "« non »") == [ids[2]]
    assert _matching(project, '"50% off"') == [ids[3]]  # quotes and wildcards are literal
    assert _matching(project, "p_f") == [ids[3]]
    assert _matching(project, "%") == [ids[3]]  # shorter than a trigram: LIKE alone
    assert _matching(project, "à") == [ids[1]]
    assert _matching(project, "xyz") == []


def test_status_changes_leave_the_index_alone(project: Project) -> None:
    [doc_id] = _add(project, TEXTS[:1])
    changes = project.db.conn.total_changes
    project.set_document_status(doc_id, "done")
    # the document row and the counts of its old and new status (m007), no text index rows
    assert project.db.conn.total_changes - changes == 3
    assert _matching(project, "Redmond") == [doc_id]


def _defer(project: Project, texts: tuple[str, ...] = TEXTS) -> list[int]:
    """Store ``texts`` as an import does: out of the text index, for it to catch up."""
    rows = [(text, text_hash(text), "{}", "new", None) for text in texts]
    return project.add_document_rows(rows, index_texts=False)


def _in_index(project: Project) -> list[int]:
    """The documents the index holds (its per-document sizes: a row for each)."""
    return [row[0] for row in project.db.execute("SELECT id FROM documents_fts_docsize")]


def test_a_project_indexed_as_it_goes_has_no_border(project: Project) -> None:
    ids = _add(project)
    assert project.text_index_from() is None
    assert project.count_unindexed() == 0
    assert project.index_texts() == 0
    assert _in_index(project) == ids


def test_the_index_catches_up_a_chunk_at_a_time(project: Project) -> None:
    [first] = _add(project, TEXTS[:1])
    later = _defer(project, TEXTS[1:])
    assert project.text_index_from() == later[0]
    assert _in_index(project) == [first]
    assert project.index_texts(limit=2) == 2
    assert project.text_index_from() == later[2]
    assert _in_index(project) == [first, *later[:2]]
    assert project.index_texts(limit=2) == 1
    assert project.text_index_from() is None
    assert _in_index(project) == [first, *later]
    project.db.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")


def test_documents_added_while_the_index_is_behind_wait_for_it(project: Project) -> None:
    deferred = _defer(project, TEXTS[:2])
    [added] = _add(project, TEXTS[2:3])  # indexed as it goes, were the index whole
    assert _in_index(project) == []
    assert project.text_index_from() == deferred[0]
    assert _matching(project, "Lyon") == [added]  # scanned meanwhile
    assert project.index_texts() == 3
    assert _in_index(project) == [*deferred, added]
    assert _matching(project, "Lyon") == [added]
    project.db.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")


def test_documents_placed_before_the_border_are_indexed_at_once(project: Project) -> None:
    rows = [(text, text_hash(text), "{}", "new", None) for text in TEXTS]
    project.add_document_rows(rows[:2], ids=[10, 11])  # a merge places documents by id
    [deferred] = project.add_document_rows(rows[2:3], index_texts=False)
    project.add_document_rows(rows[3:], ids=[5])
    assert project.text_index_from() == deferred == 12
    assert _in_index(project) == [5, 10, 11]


KILLED_WHILE_INDEXING = """
import os, signal, sys
from annotator.store import Project
from annotator.store import project as store

write_meta = Project._write_meta
moves = []

def move_then_die(project, key, value):
    write_meta(project, key, value)
    moves.append(value)
    if key == store.TEXT_INDEX_FROM and len(moves) == 3:  # the third chunk, not committed
        os.kill(os.getpid(), signal.SIGKILL)

Project._write_meta = move_then_die
with Project.open(sys.argv[1]) as project:
    while project.index_texts(limit=5):
        pass
"""


def test_indexing_killed_midway_keeps_every_chunk_before_and_a_consistent_index(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.annotator"
    texts = tuple(f"{TEXTS[number % 4]} ({number})" for number in range(30))
    with Project.create(path) as project:
        ids = _defer(project, texts)
        before = {text: _matching(project, text) for text in ("Lyon", "microsoft", "%", "(2")}
    run_killed(KILLED_WHILE_INDEXING, path)
    with Project.open(path) as project:
        assert project.text_index_from() == ids[10]  # two chunks of five committed
        assert _in_index(project) == ids[:10]
        assert {text: _matching(project, text) for text in before} == before
        assert project.index_texts() == 20
        assert {text: _matching(project, text) for text in before} == before
        project.db.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")
