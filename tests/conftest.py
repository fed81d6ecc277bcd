"""Shared fixtures. Tests never need a display, a trained model or the network unless marked."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from annotator.model import Document
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
SEEDS = ROOT / "seeds"


@pytest.fixture
def fixtures_dir() -> Path:
    """``../shared/fixtures``: other people's real files, referenced in place, never copied."""
    if not FIXTURES.is_dir():
        pytest.skip(f"real-world fixtures not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A new, empty project with the default schema (PER, ORG, LOC, MISC)."""
    with Project.create(tmp_path / "test.annotator") as created:
        yield created


@pytest.fixture
def doc_id(project: Project) -> int:
    """One document, "Brad Smith works for Microsoft in Redmond.", tokenised by whitespace."""
    text = "Brad Smith works for Microsoft in Redmond."
    tokens = ((0, 4), (5, 10), (11, 16), (17, 20), (21, 30), (31, 33), (34, 41), (41, 42))
    new_id, _ = project.add_document(Document(text=text, tokens=tokens))
    return new_id


@pytest.fixture
def child_processes(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every process ``services.child_iteration`` starts, to see whether each has ended."""
    from annotator.services import child_iteration

    started: list[subprocess.Popen[bytes]] = []
    real_popen = child_iteration.subprocess.Popen

    def recorded(*args: Any, **kwargs: Any) -> Any:
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(child_iteration.subprocess, "Popen", recorded)
    return started


def interruptible(command: list[str], **options: Any) -> subprocess.Popen[str]:
    """``command`` started with Ctrl+C (SIGINT) handled, as a terminal's shell starts it: an
    ignored SIGINT, which a test run may leave, would be inherited, and Python keeps an
    ignored SIGINT ignored. Its output is read as text from pipes."""
    import signal

    return subprocess.Popen(
        command,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )
