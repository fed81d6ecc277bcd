"""``annotator import`` from the command line: creation, report, one-line errors, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.store import Project

runner = CliRunner()
TEXT = "Brad Smith works for Microsoft."


def one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_import_creates_the_project_and_prints_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    project = tmp_path / "new.annotator"
    result = runner.invoke(app, ["import", str(project), str(folder), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Created {project}\n")  # no blank line left by a bar
    assert "seeds" in result.output and "text" in result.output
    with Project.open(project, read_only=True) as opened:
        assert opened.settings.lang == "en"
        assert opened.count_documents() == 1
    again = runner.invoke(app, ["import", str(project), str(folder), "--lang", "fr"])
    assert again.exit_code == 0, again.output
    assert "1 duplicate text:" in again.output
    assert "the project's language is en; --lang fr was not used" in again.output


def test_report_names_added_labels_and_merges(tmp_path: Path) -> None:
    source = tmp_path / "tasks.jsonl"
    task = {"text": TEXT, "spans": [{"start": 21, "end": 30, "label": "COMPANY"}]}
    source.write_text(json.dumps(task) + "\n" + json.dumps(task) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(tmp_path / "p.annotator"), str(source)])
    assert result.exit_code == 0, result.output
    assert "entity labels added to the schema: COMPANY" in result.output
    assert "1 duplicate record merged into the first with the same text" in result.output
    assert "(tasks.jsonl: lines 2)" in result.output
    assert "prodigy" in result.output


def test_duplicate_tasks_merged_are_counted_with_their_line_numbers(tmp_path: Path) -> None:
    """Nobody should wonder where 11 tasks went."""
    source = tmp_path / "tasks.jsonl"
    task = {"text": TEXT, "spans": [{"start": 21, "end": 30, "label": "ORG"}], "answer": "accept"}
    lines = [json.dumps({"text": "Another text.", "answer": "accept"})]
    lines += [json.dumps(task)] * 12
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(tmp_path / "p.annotator"), str(source)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert (
        "11 duplicate records merged into the first with the same text "
        "(tasks.jsonl: lines 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, ...)"
    ) in output


def test_bad_line_exits_non_zero_names_the_line_and_keeps_no_new_project(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"text": "fine"}\n{"text": \n', encoding="utf-8")
    project = tmp_path / "p.annotator"
    result = runner.invoke(app, ["import", str(project), str(source)])
    assert result.exit_code == 1
    assert one_line(result).startswith(f"error: {source}:2: not valid JSON")
    assert not project.exists()
    assert not Path(f"{project}-wal").exists()


def test_failed_import_leaves_an_existing_project_unchanged(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"text": "kept"}) + "\n", encoding="utf-8")
    project = tmp_path / "p.annotator"
    assert runner.invoke(app, ["import", str(project), str(good)]).exit_code == 0
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"\x00\x01binary\xff")
    result = runner.invoke(app, ["import", str(project), str(good), str(latin)])
    assert result.exit_code == 1
    assert one_line(result) == f"error: {latin}: not text: a binary file (NUL bytes)"
    with Project.open(project, read_only=True) as opened:
        assert opened.count_documents() == 1
        assert [e["kind"] for e in opened.edit_log()] == ["import"]


def test_explicit_format_split_and_their_errors(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text("Une phrase. Une autre.", encoding="utf-8")
    project = tmp_path / "p.annotator"
    result = runner.invoke(
        app, ["import", str(project), str(text), "--format", "text", "--split", "sentence"]
    )
    assert result.exit_code == 0, result.output
    with Project.open(project, read_only=True) as opened:
        assert [d.text for d in opened.documents(tokens=False)] == ["Une phrase.", "Une autre."]
    result = runner.invoke(app, ["import", str(project), str(text), "--format", "xml"])
    assert result.exit_code == 1
    assert "unknown format 'xml'" in one_line(result)
    other = tmp_path / "q.annotator"
    result = runner.invoke(app, ["import", str(other), str(text), "--lang", "zz"])
    assert result.exit_code == 1
    assert "spaCy has no language 'zz'" in one_line(result)
    assert not other.exists()


def test_help_describes_every_option() -> None:
    result = runner.invoke(app, ["import", "--help"])
    assert result.exit_code == 0
    for option in ("--format", "--split", "--lang", "PROJECT", "SOURCE", "prodigy", "sentence"):
        assert option in result.output


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n(Brad Smith) Tj\n%%EOF\n"


@pytest.mark.parametrize("format", ["text", "jsonl", "auto"])
def test_a_pdf_is_refused_whatever_the_format(tmp_path: Path, format: str) -> None:
    source = tmp_path / "article.txt"  # even with a text suffix
    source.write_bytes(PDF)
    project = tmp_path / "p.annotator"
    result = runner.invoke(app, ["import", str(project), str(source), "--format", format])
    assert result.exit_code == 1
    assert one_line(result) == (
        f"error: {source}: not text: a PDF file; extract its text first (e.g. pdftotext)"
    )
    assert not project.exists()


def test_a_binary_file_in_a_folder_of_texts_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "b.txt").write_bytes(b"abc\x00\x01\x02def")
    project = tmp_path / "p.annotator"
    existing = runner.invoke(app, ["new", str(project)])
    assert existing.exit_code == 0
    result = runner.invoke(app, ["import", str(project), str(folder)])
    assert result.exit_code == 1
    assert one_line(result) == f"error: {folder / 'b.txt'}: not text: a binary file (NUL bytes)"
    with Project.open(project, read_only=True) as opened:
        assert opened.count_documents() == 0


def test_utf16_text_with_its_bom_is_not_taken_for_binary(tmp_path: Path) -> None:
    source = tmp_path / "utf16.txt"
    source.write_bytes(TEXT.encode("utf-16"))
    result = runner.invoke(app, ["import", str(tmp_path / "p.annotator"), str(source)])
    assert result.exit_code == 0, result.output


def test_a_folder_given_as_the_project_is_called_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(TEXT, encoding="utf-8")
    folder = tmp_path / "corpus"
    folder.mkdir()
    for command in (["import", str(folder), str(source)], ["stats", str(folder)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert one_line(result) == (
            f"error: {folder}: a folder, not a project file; give a file, e.g. "
            f"{folder / 'corpus.annotator'}"
        )
    assert list(folder.iterdir()) == []


def test_two_files_of_one_name_in_two_folders_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder read file by file gave two rows '1.txt' that could not be told apart."""
    monkeypatch.chdir(tmp_path)
    for part in ("a", "b"):
        Path("tasks", part).mkdir(parents=True)
        Path("tasks", part, "1.txt").write_text(f"Text {part}.", encoding="utf-8")
    Path("tasks", "notes.md").write_text("# notes", encoding="utf-8")
    result = runner.invoke(app, ["import", "p.annotator", "tasks"])
    assert result.exit_code == 0, result.output
    rows = [line.split("│")[1].strip() for line in result.output.splitlines() if "│ text" in line]
    assert rows == ["tasks/a/1.txt", "tasks/b/1.txt"]


def test_an_import_that_brings_no_document_makes_no_project(tmp_path: Path) -> None:
    """A new project was made, and left empty, by a file of blank texts."""
    source = tmp_path / "blank.txt"
    source.write_text("\n", encoding="utf-8")
    project = tmp_path / "new.annotator"
    result = runner.invoke(app, ["import", str(project), str(source)])
    assert result.exit_code == 1
    assert one_line(result) == (
        f"error: {source}: nothing to import (1 record with an empty or blank text); "
        f"{project} was not made"
    )
    assert not project.exists()


def test_files_decoded_from_another_encoding_are_named(tmp_path: Path) -> None:
    """The line said "1 document were not UTF-8 and were decoded as cp1252", naming no file,
    so the user could not tell which file to check."""
    folder = tmp_path / "in"
    folder.mkdir()
    text = "Le président de la Société générale est arrivé à Orléans hier soir.\n"
    (folder / "latin.txt").write_bytes(text.encode("cp1252") * 3)
    (folder / "utf8.txt").write_text("Une autre dépêche, en UTF-8.\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(tmp_path / "p.annotator"), str(folder)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "decoded as" in line]
    assert lines == [
        f"1 file was not UTF-8 and was decoded as cp1252 (a guess: check it): "
        f"{folder / 'latin.txt'}"
    ]
    alone = runner.invoke(app, ["import", str(tmp_path / "q.annotator"), str(folder / "latin.txt")])
    assert f"(a guess: check it): {folder / 'latin.txt'}\n" in alone.stdout  # not latin.txt twice
