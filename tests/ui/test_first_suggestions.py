"""Opening a project never suggested and suggesting at once (the sample corpus's way, or Enter
on the "No suggestions yet" bar), in a fresh interpreter: spaCy not imported yet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SCRIPT = r"""
import importlib.abc, sys, threading, time
from pathlib import Path

on_ui_thread = []

class SpacyImportsOnTheUiThread(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if threading.current_thread() is threading.main_thread():
            if name.partition(".")[0] == "spacy":
                on_ui_thread.append(name)
        return None

from PySide6.QtWidgets import QApplication
from annotator.services.importing import import_sources
from annotator.store import Project
from annotator.ui import jobs
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences

folder = Path(sys.argv[1])
source = folder / "article.txt"
source.write_text("Emmanuel Macron a rencontré Angela Merkel à Paris.\n\n" * 3, encoding="utf-8")
path = folder / "first.annotator"
with Project.create(path) as project:
    project.set_settings(project.settings.model_copy(update={"model": "fr_core_news_sm"}))
    import_sources(project, [source])
assert "spacy" not in sys.modules
sys.meta_path.insert(0, SpacyImportsOnTheUiThread())
app = QApplication([])
launcher = Launcher(Preferences())
assert launcher.open_project(path)
window = launcher.window
failures = []
run = jobs.suggest_new_documents(window)  # at once, as the sample corpus and the bar do
assert run is not None
task = window.tasks.current
task.failed.connect(failures.append)
deadline = time.monotonic() + 120
while window.tasks.current is not None and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
with Project.open(path, read_only=True) as project:
    suggested = len(project.spans(1, "suggested"))
print("failures", failures)
print("ui-thread spaCy imports", on_ui_thread[:5])
print("suggested", suggested)
window.close()
"""


def test_suggesting_right_after_opening_a_project_never_suggested(tmp_path: Path) -> None:
    """The window's tokenizer worker imported spaCy while the UI thread imported it to plan
    the suggestions: "cannot import name 'get_string_id' from partially initialized module
    'spacy.strings'", an "unexpected error" box, and no suggestions, on the sample corpus
    three times out of three. spaCy is imported by one thread at a time, never the UI's."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "failures []" in lines, result.stdout + result.stderr
    assert "ui-thread spaCy imports []" in lines, result.stdout
    suggested = int(lines[-1].split()[-1])
    assert suggested > 0, result.stdout
