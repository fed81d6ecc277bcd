"""Files this process may not write, although tests run as root (who ignores permissions).

``chattr +i`` makes a file or folder immutable: even root then gets EPERM when opening it for
writing or creating files in it, and ``os.access`` says so. Where ``chattr`` is missing or not
allowed (no CAP_LINUX_IMMUTABLE), the test is skipped with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def immutable(path: Path) -> Iterator[Path]:
    """``path`` immutable for the duration (and writable again afterwards, for clean-up)."""
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr is not installed: cannot make a file unwritable for root")
    done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not allowed here ({done.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)
