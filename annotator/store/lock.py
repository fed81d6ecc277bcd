"""One writer per project file, across processes and windows.

An advisory ``flock`` on the project file itself: the kernel drops it when the process dies,
so a killed session never leaves a stale lock behind. It is independent of SQLite's own
POSIX locks on the same file.

Taking it is also where a writer learns it may not write: the file (or the folder, where SQLite
keeps its ``-wal`` and ``-shm`` files beside it) is not writable for this user, is immutable, or
lies on a read-only file system. That is one line naming the file and what is missing
(``ProjectNotWritableError``), never a traceback; the project can still be opened read-only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from annotator.errors import ProjectLockedError, ProjectNotWritableError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to SQLite's own locking
    fcntl = None  # type: ignore[assignment]

READ_ONLY_HINT = (
    "it can only be opened read-only (annotator gui --read-only, annotator export --read-only, "
    "annotator stats)"
)


def not_writable(path: Path, what: str, reason: str) -> ProjectNotWritableError:
    return ProjectNotWritableError(f"{path}: you cannot write {what} ({reason}); {READ_ONLY_HINT}")


class WriterLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None:
            self._check_folder()
            return
        try:
            fd = os.open(self.path, os.O_RDWR)
        except OSError as error:  # EACCES, EPERM (immutable), EROFS
            raise not_writable(self.path, "this project file", error.strerror) from None
        try:
            self._check_folder()
            self._check_sidecars()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ProjectLockedError(
                f"{self.path}: the project is open for writing in another window or process; "
                "close it there first (reading it meanwhile: annotator gui --read-only, "
                "annotator export --read-only, annotator stats)"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _check_folder(self) -> None:
        folder = self.path.parent
        if not folder_is_writable(self.path):
            reason = "read-only file system" if _read_only_mount(folder) else "permission denied"
            raise not_writable(
                self.path, f"in its folder {folder}, where SQLite keeps its journal", reason
            )

    def _check_sidecars(self) -> None:
        """SQLite's ``-wal`` and ``-shm`` files beside the project must be writable too. A
        read-only open by another user, who could write in the folder but not the project,
        leaves them behind as that user's: SQLite then refused every write with 'attempt to
        write a readonly database', naming neither file."""
        wal, shm = (Path(f"{self.path}{suffix}") for suffix in ("-wal", "-shm"))
        for sidecar in (wal, shm):
            if not sidecar.exists() or os.access(sidecar, os.W_OK) or _made_writable(sidecar):
                continue
            owner = _owner(sidecar)
            if wal.exists() and wal.stat().st_size > 0:
                what = (
                    f"{wal.name} holds changes not yet in the project file: open the project "
                    f"once as {owner} to fold them in"
                )
            else:
                what = (
                    f"when no one has the project open, delete {wal.name} and {shm.name}, "
                    "which then hold nothing"
                )
            raise ProjectNotWritableError(
                f"{self.path}: you cannot write its SQLite file {sidecar.name}, which belongs "
                f"to {owner} (left by their read-only open); {what}; meanwhile {READ_ONLY_HINT}"
            )

    def release(self) -> None:
        if self._fd is not None and fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def writer_present(path: Path) -> bool | None:
    """Whether a process holds ``path``'s writer lock, read from ``/proc/locks`` (Linux)
    without taking a lock: a probe by ``flock`` would, for that instant, make a writer opening
    the project see it as in use. None where that cannot be told (no ``/proc/locks``, the file
    gone)."""
    try:
        status = os.stat(path)
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            listing = locks.read()
    except OSError:
        return None
    # "1: FLOCK  ADVISORY  WRITE 7591 fe:00:2146322 0 EOF"; a waiter's line has "->" second
    key = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[3] == "WRITE" and fields[5] == key:
            return True
    return False


def _made_writable(sidecar: Path) -> bool:
    """A ``-wal`` or ``-shm`` file of this user's own that SQLite made read-only, as it makes
    them with the project file's mode: left by a read-only open of a project then chmod 444,
    it kept the project read-only once the file was writable again. Given back the write
    permission its owner may give."""
    try:
        status = sidecar.stat()
        if status.st_uid != os.geteuid():
            return False
        sidecar.chmod(status.st_mode | stat.S_IWUSR)
    except OSError:
        return False
    return os.access(sidecar, os.W_OK)


def _owner(path: Path) -> str:
    """The user owning ``path``, by name where the system knows it."""
    try:
        uid = path.stat().st_uid
    except OSError:
        return "another user"
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name}"
    except (ImportError, KeyError):  # pragma: no cover - Windows, or an unnamed uid
        return f"user id {uid}"


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def folder_is_writable(path: Path) -> bool:
    """Whether SQLite can create the ``-wal``/``-shm`` files beside ``path``."""
    return os.access(path.parent, os.W_OK)
