"""One writer per project file, across processes and windows.

An advisory ``flock`` on the project file itself: the kernel drops it when the process dies,
so a killed session never leaves a stale lock behind. It is independent of SQLite's own
POSIX locks on the same file.
"""

from __future__ import annotations

import os
from pathlib import Path

from annotator.errors import ProjectLockedError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to SQLite's own locking
    fcntl = None  # type: ignore[assignment]


class WriterLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None:
            return
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ProjectLockedError(
                f"{self.path}: the project is open for writing in another window or process; "
                "close it there, or open this one read-only"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None and fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
