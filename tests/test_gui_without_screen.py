"""``annotator PATH`` on a machine with no screen says so in one line instead of a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from annotator.store import Project


def _without_screen(path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    return subprocess.run(
        [sys.executable, "-m", "annotator", str(path)], env=env, capture_output=True, text=True
    )


def test_the_window_without_a_screen_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    Project.create(path).close()
    result = _without_screen(path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: no screen to open the window on")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_wrong_path_is_named_before_the_missing_screen(tmp_path: Path) -> None:
    """``annotator nope.annotator`` without a screen said "no screen", where the other
    commands say the file is not there: fixing the screen first only led to that error."""
    missing = _without_screen(tmp_path / "nope.annotator")
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.annotator'}: no such project file"
    text = tmp_path / "notes.md"
    text.write_text("# notes\n", encoding="utf-8")
    not_a_project = _without_screen(text)
    assert not_a_project.stderr.startswith(f"error: {text}: not an annotator project")
    assert (missing.returncode, not_a_project.returncode) == (1, 1)
