"""``annotator PATH`` on a machine with no screen says so in one line instead of a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from annotator.store import Project


def test_the_window_without_a_screen_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    Project.create(path).close()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    result = subprocess.run(
        [sys.executable, "-m", "annotator", str(path)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: no screen to open the window on")
    assert len(result.stderr.strip().splitlines()) == 1
