"""The quick_check trade-off: a project file up to ``QUICK_CHECK_MAX_BYTES`` is read page by page
for damage when opened and refused; a larger one (a pool of a million documents) opens without
that read, and a damaged page is reported, in one line naming the file, when it is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_files import project_with_a_damaged_page
from typer.testing import CliRunner

import annotator.store.project as store_project
from annotator.cli.app import app
from annotator.errors import NotAProjectError
from annotator.store import Project


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    return project_with_a_damaged_page(tmp_path / "pool.annotator")


def test_a_damaged_file_up_to_the_limit_is_refused_on_open(
    damaged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_project, "QUICK_CHECK_MAX_BYTES", damaged.stat().st_size)
    with pytest.raises(NotAProjectError) as refused:
        Project.open(damaged)
    assert str(refused.value).startswith(f"{damaged}: ")
    assert "damaged" in str(refused.value)
    result = CliRunner().invoke(app, ["stats", str(damaged)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "pool.annotator" in result.output


def test_a_damaged_file_over_the_limit_opens_and_says_so_when_the_page_is_read(
    damaged: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(store_project, "QUICK_CHECK_MAX_BYTES", damaged.stat().st_size - 1)
    with Project.open(damaged, read_only=True) as project:  # no page-by-page read
        assert project.document(1).text.startswith("texte numéro 0000")
    output = tmp_path / "out.jsonl"
    command = ["export", str(damaged), "-f", "annotator", "--status", "all", "-o", str(output)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output  # one line, no traceback
    assert lines[0].startswith(f"error: {damaged}: the project file cannot be used")
    assert "malformed" in lines[0]
