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
from annotator.services import export_output
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


def test_a_file_changed_while_the_export_runs_is_not_kept_as_ours(
    annotated: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed after the first check, the old file's content is not listed as ours while the
    new one is renamed over it."""
    out = tmp_path / "exports" / "p.jsonl"
    export_project(annotated, "doccano", out)

    def change_once(done: int, total: int) -> None:
        if done == 1:
            out.write_text("a hand edit\n", encoding="utf-8")

    written: list[dict] = []
    real_write = export_output.ExportOutput._write_manifest

    def listed(self: export_output.ExportOutput, folder: Path, manifest: dict) -> None:
        written.append(dict(manifest))
        real_write(self, folder, manifest)

    monkeypatch.setattr(export_output.ExportOutput, "_write_manifest", listed)
    export_project(annotated, "doccano", out, progress=change_once)
    new = hashlib.sha256(out.read_bytes()).hexdigest()
    assert written[0]["p.jsonl"] == (new,)  # the changed content not kept while renaming


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
