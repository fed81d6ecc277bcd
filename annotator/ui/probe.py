"""A test hook for driving the real window from outside (the Xvfb end-to-end test).

When ``ANNOTATOR_TEST_PROBE`` names a file, the running window writes there, once it is shown,
the screen position of each of the first characters of the open document, so an outside driver
(xdotool) can press and drag on exact characters whatever the fonts. Nothing else changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QTimer

from annotator.ui.launcher import Launcher

PROBE_VARIABLE = "ANNOTATOR_TEST_PROBE"
PROBED_CHARACTERS = 300


def install_probe(launcher: Launcher) -> None:
    target = os.environ.get(PROBE_VARIABLE)
    if target:
        QTimer.singleShot(800, lambda: write_probe(launcher, Path(target)))


def write_probe(launcher: Launcher, target: Path) -> None:
    window = launcher.window
    if window is None or not window.isVisible():
        QTimer.singleShot(200, lambda: write_probe(launcher, target))
        return
    view = window.view
    viewport = view.viewport()
    text = window.session.project.document(window.session.current_doc_id, tokens=False).text
    characters = {}
    for offset in range(min(len(text), PROBED_CHARACTERS)):
        point = viewport.mapToGlobal(view.point_for_offset(offset))
        characters[offset] = [point.x(), point.y()]
    data = {
        "pid": os.getpid(),
        "doc_id": window.session.current_doc_id,
        "title": window.windowTitle(),
        "characters": characters,
    }
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(target)
