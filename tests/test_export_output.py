"""What a one-file export may write over: never its project or an SQLite file; an existing
file only when an export of ours wrote it and it has not changed since, or with force."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from export_corpus import add_annotated

from annotator.errors import ExportError
from annotator.services.export_output import MANIFEST, prepared_output
from annotator.services.exporting import export_project
from annotator.store import Project


@pytest.fixture
def annotated(project: Project) -> Project:
    for number in range(3):
        add_annotated(project, number)
    return project


def test_a_folder_export_around_its_project_is_refused(annotated: Project) -> None:
    with pytest.raises(ExportError, match="holds the project file"):
        export_project(annotated, "spacy", annotated.path.parent)
    assert annotated.count_documents() == 3


def test_an_sqlite_file_is_never_replaced_even_with_force(
    annotated: Project, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE kept (x)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(ExportError, match="is an SQLite database; an export never writes over"):
        export_project(annotated, "annotator", other, force=True)
    assert other.read_bytes() == before


def test_a_file_no_export_wrote_is_replaced_only_with_force(
    annotated: Project, tmp_path: Path
) -> None:
    mine = tmp_path / "tasks.jsonl"
    mine.write_text("my own tasks\n", encoding="utf-8")
    with pytest.raises(ExportError, match="exists, and no export of ours wrote it.*--force"):
        export_project(annotated, "prodigy", mine)
    assert mine.read_text(encoding="utf-8") == "my own tasks\n"
    export_project(annotated, "prodigy", mine, force=True)
    assert mine.read_text(encoding="utf-8").count("\n") == 3
    export_project(annotated, "prodigy", mine)  # now an export of ours wrote it


def test_a_file_changed_since_our_export_is_not_replaced(
    annotated: Project, tmp_path: Path
) -> None:
    out = tmp_path / "exports" / "p.jsonl"
    export_project(annotated, "annotator", out)
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"hand": "corrected"}\n')
    with pytest.raises(ExportError, match=r"\(or it changed since\)"):
        export_project(annotated, "annotator", out)
    assert out.read_text(encoding="utf-8").endswith('{"hand": "corrected"}\n')


def test_an_export_over_its_last_file_reads_that_file_once(
    annotated: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the old file is ours is asked before writing and again before the rename; the
    second answer comes from the first while the file is as it was (72 MB: 0.06 s)."""
    out = tmp_path / "exports" / "p.jsonl"
    export_project(annotated, "doccano", out)
    hashed: list[str] = []
    file_digest = hashlib.file_digest

    def counted(handle: BinaryIO, digest: str) -> Any:  # hashlib's own signature
        hashed.append(Path(handle.name).name)
        return file_digest(handle, digest)

    monkeypatch.setattr(hashlib, "file_digest", counted)
    export_project(annotated, "doccano", out)
    assert hashed == ["p.jsonl"]


def _edit_while_running(out: Path, text: str) -> Any:
    """A progress callback that writes ``text`` to ``out`` once the export has begun."""

    def edit_once(done: int, total: int) -> None:
        if done == 1:
            out.write_text(text, encoding="utf-8")

    return edit_once


def test_a_file_changed_while_the_export_runs_is_left_as_it_is(
    annotated: Project, tmp_path: Path
) -> None:
    """Ours when the export began, changed before the new file is moved in: the export stops
    and the hand edit stays, still not listed as ours."""
    out = tmp_path / "exports" / "p.jsonl"
    export_project(annotated, "doccano", out)
    with pytest.raises(ExportError, match=r"p\.jsonl: changed while the export ran.*--force"):
        export_project(
            annotated, "doccano", out, progress=_edit_while_running(out, "a hand edit\n")
        )
    assert out.read_text(encoding="utf-8") == "a hand edit\n"
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".p.jsonl")] == []
    with pytest.raises(ExportError, match="no export of ours wrote it"):
        export_project(annotated, "doccano", out)


def test_a_file_put_there_while_the_export_runs_is_replaced_only_with_force(
    annotated: Project, tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    with pytest.raises(ExportError, match="changed while the export ran"):
        export_project(annotated, "doccano", out, progress=_edit_while_running(out, "mine\n"))
    assert out.read_text(encoding="utf-8") == "mine\n"
    out.unlink()
    export_project(
        annotated, "doccano", out, force=True, progress=_edit_while_running(out, "mine\n")
    )
    assert out.read_text(encoding="utf-8").count("\n") == 3
    export_project(annotated, "doccano", out)  # listed as ours


def test_an_sqlite_file_put_there_while_the_export_runs_is_kept_even_with_force(
    annotated: Project, tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"

    def make_a_database(done: int, total: int) -> None:
        if done == 1:
            conn = sqlite3.connect(out)
            conn.execute("CREATE TABLE kept (x)")
            conn.commit()
            conn.close()

    with pytest.raises(ExportError, match="is an SQLite database"):
        export_project(annotated, "doccano", out, force=True, progress=make_a_database)
    assert out.read_bytes().startswith(b"SQLite format 3")


def test_one_file_exports_are_listed_in_their_folder(annotated: Project, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    for name in ("a.jsonl", "b.jsonl"):
        export_project(annotated, "doccano", folder / name)
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, "a.jsonl", "b.jsonl"]


def test_two_exports_into_one_folder_at_once_are_refused(
    annotated: Project, tmp_path: Path
) -> None:
    with (
        prepared_output(tmp_path / "a.jsonl", False, annotated.path),
        pytest.raises(ExportError, match="another export is writing into"),
    ):
        export_project(annotated, "prodigy", tmp_path / "b.jsonl")
    export_project(annotated, "prodigy", tmp_path / "b.jsonl")
    assert (tmp_path / "b.jsonl").is_file()


def test_a_folder_export_into_the_current_folder_is_refused(
    annotated: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    with pytest.raises(ExportError, match="is the current folder, or holds it"):
        export_project(annotated, "spacy", Path("."))
    assert here.is_dir() and Path.cwd() == here


def test_the_list_of_what_exports_wrote_is_not_an_output(
    annotated: Project, tmp_path: Path
) -> None:
    export_project(annotated, "prodigy", tmp_path / "a.jsonl")
    with pytest.raises(ExportError, match="is where exports list what they wrote"):
        export_project(annotated, "prodigy", tmp_path / MANIFEST, force=True)
