"""What a one-file export may write over: never its project or an SQLite file; an existing
file only when an export of ours wrote it and it has not changed since, or with --force."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from export_corpus import add_annotated
from typer.testing import CliRunner

from annotator.cli import app
from annotator.errors import ExportError
from annotator.services.export_output import prepared_output
from annotator.services.exporting import export_project
from annotator.store import Project

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        for number in range(3):
            add_annotated(project, number)
    return path


def _error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_an_export_over_its_own_project_is_refused(corpus: Path, force: list[str]) -> None:
    before = corpus.read_bytes()
    result = runner.invoke(
        app, ["export", str(corpus), "-f", "annotator", "-o", str(corpus), *force]
    )
    assert "is the project file; an export never writes over it" in _error_line(result)
    assert corpus.read_bytes() == before
    with Project.open(corpus) as project:
        assert project.count_documents() == 3


def test_a_folder_export_around_its_project_is_refused(corpus: Path) -> None:
    result = runner.invoke(app, ["export", str(corpus), "-f", "spacy", "-o", str(corpus.parent)])
    assert "holds the project file" in _error_line(result)
    assert corpus.is_file()


def test_an_sqlite_file_is_never_replaced_even_with_force(corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE kept (x)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    result = runner.invoke(
        app, ["export", str(corpus), "-f", "annotator", "-o", str(other), "--force"]
    )
    assert "is an SQLite database; an export never writes over one" in _error_line(result)
    assert other.read_bytes() == before


def test_a_file_no_export_wrote_is_replaced_only_with_force(corpus: Path, tmp_path: Path) -> None:
    mine = tmp_path / "tasks.jsonl"
    mine.write_text("my own tasks\n", encoding="utf-8")
    result = runner.invoke(app, ["export", str(corpus), "-f", "prodigy", "-o", str(mine)])
    assert "exists, and no export of ours wrote it" in _error_line(result)
    assert "--force" in result.stderr
    assert mine.read_text(encoding="utf-8") == "my own tasks\n"
    forced = runner.invoke(
        app, ["export", str(corpus), "-f", "prodigy", "-o", str(mine), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert mine.read_text(encoding="utf-8").count("\n") == 3
    again = runner.invoke(app, ["export", str(corpus), "-f", "prodigy", "-o", str(mine)])
    assert again.exit_code == 0, again.output  # now an export of ours wrote it


def test_a_file_changed_since_our_export_is_not_replaced(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "p.jsonl"
    assert (
        runner.invoke(app, ["export", str(corpus), "-f", "annotator", "-o", str(out)]).exit_code
        == 0
    )
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"hand": "corrected"}\n')
    result = runner.invoke(app, ["export", str(corpus), "-f", "annotator", "-o", str(out)])
    assert "(or it changed since)" in _error_line(result)
    assert out.read_text(encoding="utf-8").endswith('{"hand": "corrected"}\n')


def test_one_file_exports_are_listed_in_their_folder(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    for name in ("a.jsonl", "b.jsonl"):
        result = runner.invoke(
            app, ["export", str(corpus), "-f", "doccano", "-o", str(folder / name)]
        )
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        ".annotator-export.json",
        "a.jsonl",
        "b.jsonl",
    ]


def test_two_exports_into_one_folder_at_once_are_refused(project: Project, tmp_path: Path) -> None:
    add_annotated(project, 1)
    with (
        prepared_output(tmp_path / "a.jsonl", False, project.path),
        pytest.raises(ExportError, match="another export is writing into"),
    ):
        export_project(project, "prodigy", tmp_path / "b.jsonl")
    export_project(project, "prodigy", tmp_path / "b.jsonl")
    assert (tmp_path / "b.jsonl").is_file()
