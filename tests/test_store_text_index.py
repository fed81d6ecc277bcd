"""The trigram text index behind the document list's text filter (large pools)."""

from __future__ import annotations

from pathlib import Path

from project_files import older_project_file

from annotator.model import Document
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
