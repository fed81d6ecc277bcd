"""The commands start quickly: heavy libraries load only in the commands that use them, and
``annotator stats`` fits an 80-column terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.models import CommandInfo

from annotator.cli import app, main
from annotator.model import Span
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("spacy", "PySide6", "numpy", "sqlite_utils", "pydantic", "rich.progress")


def _run(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _command(argv: list[str], env: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Run ``annotator ARGV`` in a new interpreter: (its output lines, the heavy modules it
    loaded)."""
    check = (
        "import json, sys\n"
        "from annotator.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    result = _run("-c", check, env=env)
    assert result.returncode == 0, result.stderr
    *lines, loaded = result.stdout.strip().splitlines()
    return lines, json.loads(loaded)


def test_importing_the_cli_loads_no_heavy_library() -> None:
    check = (
        "import json, sys, annotator.cli\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    result = _run("-c", check)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_help_lists_every_command_without_loading_them() -> None:
    help_lines, loaded = _command(["--help"], env={"COLUMNS": "100"})
    assert loaded == []
    for command in ("import", "suggest", "export", "stats", "gui", "new"):
        assert any(line.strip().startswith(command) for line in help_lines), command
    assert "'annotator PROJECT' opens the window" in " ".join(" ".join(help_lines).split())


def test_stats_loads_neither_numpy_spacy_qt_nor_sqlite_utils(project: Project, doc_id: int) -> None:
    project.close()
    lines, loaded = _command(["stats", str(project.path)])
    assert "Documents: 1" in lines
    assert set(loaded) <= {"pydantic"}  # the models'; a read-only open goes without sqlite-utils


def test_a_doccano_export_loads_neither_spacy_qt_nor_sqlite_utils(
    project: Project, doc_id: int, tmp_path: Path
) -> None:
    """The export opens the project for writing (its event goes in the edit log): that goes
    without sqlite-utils too, unless the file needs an upgrade."""
    project.close()
    output = tmp_path / "out.jsonl"
    lines, loaded = _command(
        ["export", str(project.path), "-f", "doccano", "--status", "all", "-o", str(output)]
    )
    assert output.exists(), lines
    assert set(loaded) <= {"pydantic", "rich.progress"}
    with Project.open(project.path, read_only=True) as opened:
        assert [entry["kind"] for entry in opened.edit_log()][-1] == "export"


def test_stats_is_readable_at_80_columns(project: Project, doc_id: int) -> None:
    pattern = "pattern:/home/someone/corpora/patterns/organisations-and-people.jsonl"
    project.add_spans(
        [
            Span(doc_id=doc_id, start=0, end=10, label="PER", origin=pattern, status="suggested"),
            Span(
                doc_id=doc_id,
                start=21,
                end=30,
                label="ORG",
                origin="model:fr_core_news_md@3.8.0",
                status="suggested",
            ),
        ]
    )
    project.close()
    result = _run("-m", "annotator", "stats", str(project.path), env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    assert "  kind        pending  accepted  rejected  after edit  precision" in lines
    # each origin whole on its line, its figures under the header
    for origin in (pattern, "model:fr_core_news_md@3.8.0"):
        row = lines[lines.index(origin) + 1].split()
        assert row == ["spans", "1", "0", "0", "0", "-"], result.stdout


def test_agreement_loads_numpy_but_not_pandas_through_sqlite_utils() -> None:
    check = (
        "import json, sys, annotator.services.agreement\n"
        "print(json.dumps(['numpy' in sys.modules, 'pandas' in sys.modules]))"
    )
    result = _run("-c", check)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, False]  # pandas: 0.7 s for nothing


def test_a_command_run_makes_the_click_command_of_that_command_only(
    project: Project, doc_id: int, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Typer makes the click command of every registered command at each run (each one's
    annotations evaluated): a run needs its own only."""
    made: list[str] = []
    make = typer.main.get_command_from_info

    def counted(command_info: CommandInfo, **options: Any) -> Any:
        made.append(command_info.callback.__name__)
        return make(command_info=command_info, **options)

    monkeypatch.setattr(typer.main, "get_command_from_info", counted)
    project.close()
    with pytest.raises(SystemExit) as exited:
        main(["stats", str(project.path)])
    assert exited.value.code == 0
    assert "Documents: 1" in capsys.readouterr().out
    assert made == ["stats"]


@pytest.mark.parametrize(
    "argv",
    [
        ["stats"],
        ["stats", "--help"],
        ["stats", "--bogus", "x"],
        ["export", "--help"],
    ],
)
def test_a_run_of_one_command_reads_as_a_run_of_the_whole_app(argv: list[str], capsys) -> None:
    """Usage, help and errors as the app with every command gives them."""
    outputs = []
    for run in (main, lambda args: app(args=args, prog_name="annotator", standalone_mode=True)):
        with pytest.raises(SystemExit) as exited:
            run(argv)
        outputs.append((exited.value.code, capsys.readouterr()))
    assert outputs[0] == outputs[1]
    assert outputs[0][1].out or outputs[0][1].err


@pytest.mark.parametrize(
    ("argv", "guess"),
    [(["exprot", "p.annotator"], "; did you mean export?"), (["frobnicate"], "")],
)
def test_a_mistyped_command_is_named_not_opened_as_a_project(
    argv: list[str], guess: str, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, ``annotator exprot p.annotator`` printed the window command's usage, and
    ``annotator frobnicate`` tried to open a window on it."""
    monkeypatch.chdir(tmp_path)
    for screen in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):  # a window: fails at once
        monkeypatch.delenv(screen, raising=False)
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {argv[0]}: no such command or project file (annotator --help lists the "
        f"commands; annotator gui PROJECT opens a project){guess}"
    )


def test_counted_says_one_document_and_two_documents() -> None:
    from annotator.wording import counted

    assert [counted(n, "document") for n in (0, 1, 2, 1500)] == [
        "0 documents",
        "1 document",
        "2 documents",
        "1,500 documents",
    ]
