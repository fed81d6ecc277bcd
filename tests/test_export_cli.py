"""``annotator export``: the report, the default output, and one-line errors."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from export_corpus import add_annotated
from test_cli_startup import _command as command_in_new_interpreter
from typer.testing import CliRunner

from annotator.cli import app
from annotator.store import Project

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        for number in range(5):
            add_annotated(project, number)
    return path


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_export_prints_the_report(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["export", str(corpus), "--format", "spacy", "--output", str(out), "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "documents" in result.stdout and " 5 " in result.stdout
    assert "overlaps spans only" in result.stdout
    assert f"wrote {out / 'train.spacy'}" in result.stdout
    assert f"wrote {out / 'dev.spacy'}" in result.stdout


def test_a_brat_export_lists_a_few_files_not_every_one(corpus: Path, tmp_path: Path) -> None:
    """Two files a document: a brat export of 1,655 documents printed 3,312 'wrote' lines."""
    out = tmp_path / "brat"
    command = ["export", str(corpus), "--format", "brat", "--output", str(out)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    wrote = [line for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert len(wrote) == 10
    assert "... and 2 more files (--verbose lists them all)" in result.stdout
    verbose = runner.invoke(app, [*command, "--verbose"])
    assert sum(line.startswith("wrote ") for line in verbose.stdout.splitlines()) == 12


def test_default_output_is_in_exports(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["export", str(corpus), "--format", "prodigy"])
    assert result.exit_code == 0, result.output
    tasks = (tmp_path / "exports" / "corpus-prodigy.jsonl").read_text("utf-8").splitlines()
    assert len(tasks) == 5
    assert json.loads(tasks[0])["answer"] == "accept"
    result = runner.invoke(app, ["export", str(corpus), "--format", "spacy"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "exports" / "corpus-spacy" / "train.spacy").is_file()


def test_unknown_format_is_one_line(corpus: Path) -> None:
    result = runner.invoke(app, ["export", str(corpus), "--format", "docx"])
    line = _one_line_error(result)
    assert "unknown format 'docx'" in line and "spacy" in line


def test_unwritable_output_is_one_line(corpus: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(
        app, ["export", str(corpus), "--format", "prodigy", "--output", str(blocker / "out.jsonl")]
    )
    line = _one_line_error(result)
    assert str(blocker / "out.jsonl") in line


def test_a_file_where_the_folder_goes_is_one_line(corpus: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(
        app, ["export", str(corpus), "--format", "spacy", "--output", str(blocker)]
    )
    assert "a file is in the way" in _one_line_error(result)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--split", "0.8;0.2", "--split"),
        ("--split", "0.9,0.2", "add up to 1"),
        ("--status", "finished", "--status: takes done or all, not 'finished'"),
        ("--spans", "some", "--spans: takes accepted or all, not 'some'"),
        ("--misaligned", "drop", "--misaligned: takes expand, contract or skip, not 'drop'"),
    ],
)
def test_bad_options_are_one_line(corpus: Path, option: str, value: str, expected: str) -> None:
    result = runner.invoke(app, ["export", str(corpus), "--format", "spacy", option, value])
    assert expected in _one_line_error(result)


def test_missing_project_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(tmp_path / "nope.annotator"), "-f", "spacy"])
    assert "no such project file" in _one_line_error(result)


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_an_export_over_its_own_project_is_refused(corpus: Path, force: list[str]) -> None:
    before = corpus.read_bytes()
    result = runner.invoke(
        app, ["export", str(corpus), "-f", "annotator", "-o", str(corpus), *force]
    )
    line = _one_line_error(result)
    assert line == f"error: {corpus}: is the project file; an export never writes over it"
    assert corpus.read_bytes() == before
    with Project.open(corpus) as project:
        assert project.count_documents() == 5


def test_a_doccano_export_loads_neither_numpy_nor_spacy(corpus: Path, tmp_path: Path) -> None:
    """Start-up is a good part of the command: importing numpy was about a tenth of it."""
    out = tmp_path / "out.jsonl"
    argv = ["export", str(corpus), "--format", "doccano", "--status", "all", "--output", str(out)]
    _, loaded = command_in_new_interpreter(argv)
    assert not {"numpy", "spacy"} & set(loaded)
    assert len(out.read_text("utf-8").splitlines()) == 5


def test_output_dash_writes_a_one_file_export_to_standard_output(
    corpus: Path, tmp_path: Path
) -> None:
    """``-o -`` made a file named "-"; it is the file's bytes on stdout, the report on stderr."""
    out = tmp_path / "out.jsonl"
    command = ["export", str(corpus), "--format", "doccano", "--status", "all"]
    assert runner.invoke(app, [*command, "--output", str(out)]).exit_code == 0
    result = runner.invoke(app, [*command, "--output", "-"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == out.read_bytes()
    assert "wrote standard output" in result.stderr
    assert not Path("-").exists()
    with Project.open(corpus) as project:
        event = project.edit_log()[-1]
    assert event["description"] == "exported 5 documents as doccano to standard output"
    payload = json.loads(event["payload"])
    assert (payload["output"], payload["files"]) == ("standard output", ["standard output"])
    assert (payload["spans"], payload["spans_written"]) == ("accepted", 20)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--format", "brat"], "a brat export writes a folder"),
        (["--format", "spacy"], "a spacy export writes a folder"),
        (["--format", "doccano", "--split", "0.5,0.5"], "a --split writes a folder"),
    ],
)
def test_output_dash_refuses_a_folder_export(
    corpus: Path, options: list[str], expected: str
) -> None:
    result = runner.invoke(app, ["export", str(corpus), *options, "--output", "-"])
    assert expected in _one_line_error(result)
    assert result.stdout == ""


def test_output_dash_into_a_pipe_closed_early_is_no_error(tmp_path: Path) -> None:
    """``annotator export P -o - | head -c 100``: the reader stops; no traceback, exit 0."""
    path = tmp_path / "big.annotator"
    with Project.create(path) as project:
        for number in range(400):  # more than a pipe's buffer holds (64 KiB)
            add_annotated(project, number)
    process = subprocess.Popen(
        [sys.executable, "-m", "annotator", "export", str(path), "-f", "doccano", "-o", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100).startswith(b'{"id": 1, "text": ')
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, errors
    assert "Traceback" not in errors and "Broken pipe" not in errors
    with Project.open(path) as project:  # the reader took 100 bytes: no export to log
        assert [e for e in project.edit_log() if e["kind"] == "export"] == []


@pytest.mark.parametrize(
    ("redirect", "expected"),
    [
        (">&-", "error: standard output is closed: give --output a file"),
        ("> /dev/full", "error: standard output: cannot write the export (No space left"),
    ],
)
def test_output_dash_to_a_closed_or_full_standard_output_is_one_line(
    corpus: Path, redirect: str, expected: str
) -> None:
    """A closed standard output gave a traceback ('NoneType' has no 'flush'); a full one
    said 'No space left on device' without saying where."""
    if "/dev/full" in redirect and not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    command = (
        f"{shlex.quote(sys.executable)} -m annotator export {shlex.quote(str(corpus))} "
        f"-f doccano --status all -o - {redirect}"
    )
    result = subprocess.run(command, shell=True, stderr=subprocess.PIPE)
    errors = result.stderr.decode()
    assert result.returncode == 1, errors
    assert errors.startswith(expected) and "Traceback" not in errors
    with Project.open(corpus) as project:  # nothing reached the reader: no export to log
        assert [e for e in project.edit_log() if e["kind"] == "export"] == []


CRAFTED = {  # one stored value no reader can use, as a file anyone can craft may hold
    "a start stored as text": "UPDATE spans SET start = 'x' WHERE rowid = 1",
    "a start stored as a real": "UPDATE spans SET start = 2.5 WHERE rowid = 1",
    "a start past any integer": "UPDATE spans SET start = 99999999999999999999 WHERE rowid = 1",
    "a meta that is not JSON": "UPDATE documents SET meta = '{bad' WHERE id = 1",
    "tokens cut short": "UPDATE tokens SET offsets = '[[0,5],[3' WHERE doc_id = 1",
    "tokens not whole pairs": "UPDATE tokens SET offsets = X'000000000500000003' WHERE doc_id = 1",
    "tokens past the text": "UPDATE tokens SET offsets = "
    "CAST(offsets || X'FFFFFF00FFFFFF01' AS BLOB) WHERE doc_id = 1",
    "tokens out of order": "UPDATE tokens SET offsets = "
    "CAST(X'0500000002000000' || offsets AS BLOB) WHERE doc_id = 1",
}


OUTSIDE = {  # a span no reader can place, as a crafted file may hold
    "a negative start": "UPDATE spans SET start = -3 WHERE id = ?",
    "an end past the text": 'UPDATE spans SET "end" = 400 WHERE id = ?',
    "an empty span": 'UPDATE spans SET "end" = start WHERE id = ?',
    "a start stored as a real": "UPDATE spans SET start = start + 0.5 WHERE id = ?",
}


@pytest.mark.parametrize("change", sorted(OUTSIDE))
@pytest.mark.parametrize(
    "format", ["doccano", "conll", "brat", "prodigy", "labelstudio", "spacy", "annotator"]
)
def test_a_span_outside_its_text_stops_every_export_in_one_line(
    tmp_path: Path, format: str, change: str
) -> None:
    """doccano, brat, Label Studio and our JSONL wrote such a span as stored (a file their
    readers refuse, or misplace), doccano and Prodigy a real start cut to an integer; CoNLL,
    Prodigy and spaCy left it out with a warning, so the words of a done document were
    taught as no entity. Each format now refuses the export, and names the span."""
    import sqlite3

    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        company = add_annotated(project, 0)["company"]
        add_annotated(project, 1)
    db = sqlite3.connect(path)
    db.execute(OUTSIDE[change], [company.id])
    db.commit()
    start, end = db.execute('SELECT start, "end" FROM spans WHERE id = ?', [company.id]).fetchone()
    db.close()
    output = tmp_path / "out"
    result = runner.invoke(
        app, ["export", str(path), "-f", format, "--status", "all", "-o", str(output)]
    )
    assert _one_line_error(result) == (
        f"error: {path}: document 1: span {company.id!r} holds start {start!r}, end {end!r} "
        "and label 'ORG'; a span needs an id, two integer offsets in order within its text "
        "(44 characters) and a label; nothing was exported"
    )
    assert not output.exists()


@pytest.mark.parametrize(
    "format", ["doccano", "conll", "brat", "prodigy", "labelstudio", "spacy", "annotator"]
)
def test_a_rejected_span_outside_its_text_stops_only_an_export_that_writes_it(
    tmp_path: Path, format: str
) -> None:
    """No format writes a rejected span but the lossless one with --spans all, and the window
    does not show one to delete: Prodigy, spaCy and our JSONL refused it all the same."""
    import sqlite3

    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        company = add_annotated(project, 0)["company"]
    db = sqlite3.connect(path)
    db.execute("UPDATE relations SET status = 'rejected'")  # as rejecting the span does
    db.execute("UPDATE spans SET \"end\" = 400, status = 'rejected' WHERE id = ?", [company.id])
    db.commit()
    db.close()
    output = tmp_path / "out"
    command = ["export", str(path), "-f", format, "--status", "all", "-o", str(output)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    if format == "annotator":
        result = runner.invoke(app, [*command, "--spans", "all", "--force"])
        assert _one_line_error(result).startswith(
            f"error: {path}: document 1: span {company.id!r} holds start 21, end 400"
        )


@pytest.mark.parametrize("spans", ["accepted", "all"])
@pytest.mark.parametrize(
    "format", ["doccano", "conll", "brat", "prodigy", "labelstudio", "spacy", "annotator"]
)
def test_a_relation_to_another_documents_span_stops_every_export_in_one_line(
    tmp_path: Path, format: str, spans: str
) -> None:
    """Such a relation was left out with a warning that blamed the selection ('its status was
    not selected'), which was not the reason: the file is damaged, as for a span outside its
    text. A relation whose span has a status the export did not select is still left out."""
    import sqlite3

    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        first = add_annotated(project, 0)
        second = add_annotated(project, 1)
    db = sqlite3.connect(path)
    db.execute(
        "UPDATE relations SET child = ? WHERE id = ?",
        [second["place"].id, first["works_for"].id],
    )
    db.commit()
    db.close()
    output = tmp_path / "out"
    result = runner.invoke(
        app,
        ["export", str(path), "-f", format, "--status", "all", "--spans", spans, "-o", str(output)],
    )
    assert _one_line_error(result) == (
        f"error: {path}: document 1: relation {first['works_for'].id!r} does not link two "
        "spans of its document; nothing was exported"
    )
    assert not output.exists()


def test_a_relation_to_a_span_not_selected_is_still_left_out_with_its_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        first = add_annotated(project, 0)
        project.replace_span(
            first["company"], first["company"].model_copy(update={"status": "suggested"})
        )
    output = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["export", str(path), "-f", "doccano", "--status", "all", "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "warning: document 1: relation works_for left out because one of its spans is not "
        "exported (its status was not selected)"
    ) in result.stdout


@pytest.mark.parametrize("change", sorted(CRAFTED))
@pytest.mark.parametrize("format", ["doccano", "conll", "brat", "prodigy", "labelstudio", "spacy"])
def test_a_crafted_value_is_one_line_naming_the_document_never_a_traceback(
    corpus: Path, tmp_path: Path, format: str, change: str
) -> None:
    """Each of these gave a traceback in some format (TypeError, OverflowError,
    JSONDecodeError, 'zip() argument 2 is shorter'); found by a new-user run."""
    import sqlite3

    with Project.open(corpus) as project:  # the tokens, made before the file is changed
        from annotator.services.tokenizing import ensure_tokens

        ensure_tokens(project)
    db = sqlite3.connect(corpus)
    db.execute(CRAFTED[change])
    db.commit()
    db.close()
    output = tmp_path / "out"
    result = runner.invoke(app, ["export", str(corpus), "-f", format, "-o", str(output)])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    if result.exit_code != 0:
        line = _one_line_error(result)
        assert line.startswith(f"error: {corpus}: document 1: "), line
        assert line.endswith("; nothing was exported")
        assert not output.exists()


def test_an_export_of_many_documents_to_standard_output_leaves_no_blank_line(
    tmp_path: Path,
) -> None:
    """From 500 documents the bar started, and, stderr being no terminal, left a blank line
    there: the one-line error of a refused export became two lines (a new-user run)."""
    from annotator.cli.export_command import PROGRESS_FROM
    from annotator.model import Document

    path = tmp_path / "many.annotator"
    with Project.create(path) as project:
        for number in range(PROGRESS_FROM):
            project.add_document(Document(text=f"Texte {number}.", status="done"))
    result = runner.invoke(app, ["export", str(path), "-f", "doccano", "-o", "-"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(" documents"), repr(result.stderr[:40])
