#!/usr/bin/env python3
"""Set-up and run in one command, on a fresh machine that has only python3.

    python3 dev.py run    # make .venv, install, open the app on the suggested sample corpus
    python3 dev.py test   # make .venv, install, run the whole test suite (what CI runs)

Both create or reuse ``.venv`` inside the checkout; only the standard library is used here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
SAMPLE_PROJECT = ROOT / "sample.annotator"
# System packages (Debian names) Qt's window needs, and those the real-window test adds.
WINDOW_PACKAGES = [
    "libxcb-cursor0",
    "libegl1",
    "libgl1",
    "libxkbcommon-x11-0",
    "libfontconfig1",
    "libdbus-1-3",
    "fonts-dejavu-core",
    "fonts-noto-color-emoji",  # emoji in texts, through Qt's font fallback
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-shape0",
]
TEST_PACKAGES = ["xvfb", "xdotool"]
LINTED = [ROOT / name for name in ("annotator", "tests", "benchmarks", "scripts", "dev.py")]


def _run(*command: str | Path, **kwargs) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, **kwargs)


def ensure_venv() -> None:
    """Create .venv and install the project when pyproject.toml changed since the last install."""
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    stamp = VENV / ".installed"
    digest = hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]")
    stamp.write_text(digest)


def ensure_system_packages(packages: list[str]) -> None:
    """Install the missing ones with apt when we are root on Debian/Ubuntu; else say what's missing.

    On CI (CI=true) a failed install fails the run, so the real-window test never skips unseen.
    """
    if sys.platform != "linux" or shutil.which("apt-get") is None:
        return
    missing = [
        p
        for p in packages
        if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        print(
            f"note: missing system packages: {' '.join(missing)} (install them with apt-get; "
            "without them the window may not start and the Xvfb test skips)"
        )
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        _run("apt-get", "update", "-qq", env=env)
        _run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)
    except subprocess.CalledProcessError:
        if os.environ.get("CI") == "true":
            raise
        print(f"note: could not install {' '.join(missing)}; the Xvfb test will skip")


def make_sample(python: str | Path, target: Path) -> None:
    """Import seeds/ into ``target`` and suggest its entities and relations, so the window
    opens on the article with its suggestions. Made in a side file, moved in place at the end:
    a run stopped halfway is made again next time."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _run(python, "-m", "annotator", "import", partial, ROOT / "seeds")
    try:
        _run(python, "-m", "annotator", "suggest", partial)
    except subprocess.CalledProcessError:
        print("note: the suggestions failed (see above); the window offers to run them again")
    partial.replace(target)


def run() -> None:
    ensure_system_packages(WINDOW_PACKAGES)
    ensure_venv()
    if not SAMPLE_PROJECT.exists():
        make_sample(PYTHON, SAMPLE_PROJECT)
    _run(PYTHON, "-m", "annotator", "stats", SAMPLE_PROJECT)
    os.execv(PYTHON, [str(PYTHON), "-m", "annotator", "gui", str(SAMPLE_PROJECT)])


def test(extra: list[str]) -> None:
    ensure_system_packages(WINDOW_PACKAGES + TEST_PACKAGES)
    ensure_venv()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    _run(PYTHON, "-m", "ruff", "check", *LINTED, env=env)
    _run(PYTHON, "-m", "ruff", "format", "--check", *LINTED, env=env)
    _run(PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, cwd=ROOT, env=env)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        sys.exit(__doc__)
    try:
        if sys.argv[1] == "run":
            run()
        else:
            test(sys.argv[2:])
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
