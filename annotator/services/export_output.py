"""Where an export's files go, and how they get there without losing anyone's data.

The rules (docs/guarantees.md says how each is tested):

- An export never writes over its project file, nor over any SQLite file.
- A folder records what our exports wrote in it: ``.annotator-export.json`` lists each file
  with its SHA-256. A file is *ours* when it is listed there and still has that content.
- A one-file export replaces an existing file only when it is ours (``force`` replaces any
  other ordinary file, never the project or an SQLite file), before writing and again just
  before the move: a file changed while the export ran stops it, and is left as it is. The
  new file is written beside the output and renamed over it: the old file stays whole until
  then.
- A folder export (``spacy``, ``brat``, any split) owns its folder. Its folder may hold only our
  files; anything else (a user's file, a file changed since, a symlink) makes the export
  refuse before writing anything. The new folder is written whole beside the output, then
  swapped in: the old folder is renamed aside, the new one renamed in, the old one removed.
  So the output is the old export or the new one, never a mix, whenever the process dies.
- An export killed on the way leaves hidden folders beside the output (``.NAME.annotator-*``);
  the next export to the same place removes them, and puts the old folder back when the kill
  came between the two renames.
- Exports into one folder run one at a time (an advisory lock on that folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path, PurePosixPath

from annotator.errors import ExportError
from annotator.io.records import ExportReport
from annotator.wording import counted

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

MANIFEST = ".annotator-export.json"
"""Lists the files our exports wrote in a folder, with their SHA-256."""
MANIFEST_FORMAT = "annotator-export/2"
SQLITE_HEADER = b"SQLite format 3\x00"
NAMED_AT_MOST = 3  # files named in a refusal
_ANY_CONTENT = ""  # a manifest of the first version listed names without a hash

Manifest = dict[str, tuple[str, ...]]  # relative name -> accepted SHA-256s ("" = any)
Digests = dict[tuple[int, ...], str]
"""SHA-256s of files an export has read, by the file's identity and state (``_state``): the
check before writing and the one before the swap read each old file once, not twice (a brat
export's 20,000 files: 1.2 s)."""


@dataclass
class ExportOutput:
    """An output being written: ``staged`` is where the writer writes, ``commit`` puts it in
    place. Made by ``prepared_output``."""

    output: Path
    folder: bool
    staging: Path
    notes: list[str] = field(default_factory=list)
    digests: Digests = field(default_factory=dict)  # of the old files read (``_is_ours``)
    force: bool = False  # a one-file export may replace a file that is not ours

    @property
    def staged(self) -> Path:
        return self.staging / self.output.name

    def commit(self, files: list[str], report: ExportReport) -> list[str]:
        """Put the staged file or folder in place; ``files`` (staged paths) as final paths."""
        if not self.folder:
            self._replace_file(report)
            return [str(self.output)]
        self._swap_folder(report)
        inside = os.path.join(self.staged, "")  # strings: a brat export names 20,000 files
        output = os.path.join(self.output, "")
        cut = len(inside)
        return [output + name[cut:] if name.startswith(inside) else name for name in files]

    def _replace_file(self, report: ExportReport) -> None:
        digest = report.digests.get(str(self.staged)) or _sha256(self.staged)
        before = _read_manifest(self.output.parent)
        ours = _is_ours(self.output, before, self.digests)
        if not ours and os.path.lexists(self.output):  # again: changed, or put there, meanwhile
            _refuse_replacing(self.output, self.force)
        kept = before.get(self.output.name, ()) if ours else ()
        # listed with both contents while the rename runs, so a kill in between leaves a file
        # the next export still knows as ours
        self._write_manifest(self.output.parent, {**before, self.output.name: (*kept, digest)})
        os.replace(self.staged, self.output)
        _sync_folder(self.output.parent)
        self._write_manifest(self.output.parent, {**before, self.output.name: (digest,)})

    def _swap_folder(self, report: ExportReport) -> None:
        known = report.digests  # taken by the writers from the bytes they wrote
        staged = self.staged
        inside = os.path.join(staged, "")  # strings: a brat export names 20,000 files
        written = {
            name: (known.get(inside + name) or _sha256(staged / name),)
            for name in _files_below(staged)
        }
        _write_json(staged / MANIFEST, _manifest_json(written))
        # again: the user may have added or changed one meanwhile
        _refuse_foreign_files(self.output, self.digests)
        previous = _read_manifest(self.output) if self.output.is_dir() else {}
        aside = None
        if self.output.is_dir():
            aside = self.output.with_name(_leftover_name(self.output, "old"))
            os.rename(self.output, aside)
        os.rename(self.staged, self.output)
        _sync_folder(self.output.parent)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        for name in sorted(set(previous) - set(written)):
            report.warnings.append(
                f"{self.output / name}: removed, left by an earlier export to {self.output}"
            )

    def _write_manifest(self, folder: Path, manifest: Manifest) -> None:
        """Written in the staging folder and renamed over the old one."""
        staged = self.staging / MANIFEST
        _write_json(staged, _manifest_json(manifest))
        os.replace(staged, folder / MANIFEST)


@contextmanager
def prepared_output(
    output: Path, folder: bool, project_path: Path, force: bool = False
) -> Iterator[ExportOutput]:
    """Check that ``output`` may be written, clean up after stopped exports, and give a
    staging folder beside it; the staging folder goes when the block ends, whatever happens."""
    output = Path(output)
    if not output.name:  # "." or "/": the hidden folders beside it need a name
        output = output.resolve()
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"{output}: cannot write there ({error.strerror or error})") from None
    with _export_lock(output):
        notes = _clean_leftovers(output, folder)  # first: it may put the old folder back
        digests: Digests = {}
        _refuse_unsafe(output, folder, Path(project_path), force, digests)
        try:
            staging = Path(
                tempfile.mkdtemp(prefix=_leftover_name(output, "staging"), dir=output.parent)
            )
        except OSError as error:
            raise ExportError(f"{output}: cannot write there ({error.strerror or error})") from None
        try:
            if folder:
                (staging / output.name).mkdir()
            yield ExportOutput(output, folder, staging, notes, digests, force)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


# -- what may be written where ---------------------------------------------------------------


def _refuse_unsafe(
    output: Path, folder: bool, project_path: Path, force: bool, digests: Digests
) -> None:
    project = project_path.resolve()
    if output.resolve() == project or _same_file(output, project):
        raise ExportError(f"{output}: is the project file; an export never writes over it")
    if folder and project.is_relative_to(output.resolve()):
        raise ExportError(
            f"{output}: holds the project file {project_path}; a folder export replaces its "
            "whole folder, so give it a folder of its own"
        )
    if folder and Path.cwd().resolve().is_relative_to(output.resolve()):
        raise ExportError(
            f"{output}: is the current folder, or holds it; a folder export replaces its whole "
            "folder, so give it a folder of its own"
        )
    if _is_sqlite(output):
        raise ExportError(f"{output}: is an SQLite database; an export never writes over one")
    if folder:
        if output.is_symlink():
            raise ExportError(f"{output}: is a symbolic link; give the folder it points to")
        if output.exists() and not output.is_dir():
            raise ExportError(f"{output}: a file is in the way; this export writes a folder there")
        _refuse_foreign_files(output, digests)
        return
    if output.is_dir():
        raise ExportError(f"{output}: is a folder; this export writes one file, give its name")
    if output.name == MANIFEST:
        raise ExportError(f"{output}: is where exports list what they wrote; give another name")
    if os.path.lexists(output) and not _is_ours(output, _read_manifest(output.parent), digests):
        _refuse_replacing(
            output, force, "exists, and no export of ours wrote it (or it changed since)"
        )


def _refuse_replacing(
    output: Path, force: bool, why: str = "changed while the export ran, and was left as it is"
) -> None:
    """A one-file export over a file that is not ours (``why``): only with ``force``, and
    never over an SQLite file, whatever it became since the first check."""
    if _is_sqlite(output):
        raise ExportError(f"{output}: is an SQLite database; an export never writes over one")
    if not force:
        raise ExportError(f"{output}: {why}; give another name, or pass --force to replace it")


def _refuse_foreign_files(folder: Path, digests: Digests) -> None:
    """A folder export replaces the whole folder: it may hold only our unchanged files."""
    if not folder.is_dir():
        return
    manifest = _read_manifest(folder)
    problems: list[str] = []
    # names as strings, not paths: a brat folder holds 20,000 files
    for root, dirs, files in os.walk(folder, followlinks=False):
        inside = os.path.relpath(root, folder)
        prefix = "" if inside == os.curdir else Path(inside).as_posix() + "/"
        for name in dirs:
            if os.path.islink(os.path.join(root, name)):
                problems.append(f"{prefix}{name} (a link)")
        for name in files:
            relative = prefix + name
            if relative == MANIFEST:
                continue
            if relative not in manifest:
                problems.append(relative)
            elif not _is_ours(os.path.join(root, name), manifest, digests, relative):
                problems.append(f"{relative} (changed since)")
    if problems:
        named = ", ".join(sorted(problems)[:NAMED_AT_MOST])
        more = len(problems) - NAMED_AT_MOST
        raise ExportError(
            f"{folder}: holds files that no export of ours wrote, or that changed since "
            f"({named}{f' and {more} more' if more > 0 else ''}); a folder export replaces the "
            "whole folder, so move them or give another folder"
        )


def _is_ours(
    path: str | Path, manifest: Manifest, digests: Digests, name: str | None = None
) -> bool:
    """Listed in the manifest, a regular file (not a link), with a content we wrote. Its
    SHA-256 is taken from ``digests`` when the file is in the state it was when read before."""
    accepted = manifest.get(name or os.path.basename(path))
    if not accepted:
        return False
    try:
        status = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(status.st_mode):
        return False
    if _ANY_CONTENT in accepted:
        return True
    state = _state(status)
    digest = digests.get(state)
    if digest is None:
        digests[state] = digest = _sha256(path)
    return digest in accepted


def _state(status: os.stat_result) -> tuple[int, ...]:
    """Which file, and in which state: a write changes its size or times, and its change time
    (``st_ctime_ns``) cannot be set back by anyone."""
    return (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _same_file(path: Path, other: Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


# -- the manifest ----------------------------------------------------------------------------


def _read_manifest(folder: Path) -> Manifest:
    """What our exports wrote in ``folder`` (nothing when the manifest is missing or bad)."""
    try:
        files = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if isinstance(files, list):  # the first version: names only
        files = dict.fromkeys(files, _ANY_CONTENT)
    if not isinstance(files, dict):
        return {}
    manifest: Manifest = {}
    for name, digests in files.items():
        digests = [digests] if isinstance(digests, str) else digests
        if _plain_relative(name) and isinstance(digests, list):
            manifest[name] = tuple(d for d in digests if isinstance(d, str))
    return manifest


def _plain_relative(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def _manifest_json(manifest: Manifest) -> dict[str, object]:
    return {
        "format": MANIFEST_FORMAT,
        "files": {
            name: digests[0] if len(digests) == 1 else list(digests)
            for name, digests in sorted(manifest.items())
        },
    }


def _write_json(path: Path, data: dict[str, object]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(_manifest_text(data))
        handle.flush()
        os.fsync(handle.fileno())


def _manifest_text(data: dict[str, object]) -> str:
    """``json.dumps(data, indent=1)``, its bytes (a test compares them); a manifest whose
    files each have one digest made by C loops: the Python encoder that ``indent`` takes
    spent a tenth of a second on a brat export's 20,000 names."""
    files = data.get("files")
    if list(data) != ["format", "files"] or not isinstance(files, dict) or not files:
        return json.dumps(data, indent=1)
    if not isinstance(data["format"], str):
        return json.dumps(data, indent=1)
    if not all(isinstance(value, str) for value in files.values()):
        return json.dumps(data, indent=1)
    quote = encode_basestring_ascii
    lines = map("  %s: %s".__mod__, zip(map(quote, files), map(quote, files.values()), strict=True))
    body = ",\n".join(lines)
    return f'{{\n "format": {quote(data["format"])},\n "files": {{\n{body}\n }}\n}}'


def _files_below(folder: Path) -> list[str]:
    """The files in ``folder`` and its subfolders, by relative POSIX name."""
    names = []
    for root, _dirs, files in os.walk(folder):
        relative = os.path.relpath(root, folder)
        prefix = "" if relative == os.curdir else Path(relative).as_posix() + "/"
        names.extend(prefix + name for name in files)
    return sorted(names)


def _sha256(path: str | Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# -- leftovers of stopped exports, and one export at a time ---------------------------------


def _leftover_name(output: Path, kind: str) -> str:
    """``.NAME.annotator-staging-...`` / ``.NAME.annotator-old-...`` beside ``output``."""
    suffix = "" if kind == "staging" else secrets.token_hex(4)
    return f".{output.name}.annotator-{kind}-{suffix}"


def _clean_leftovers(output: Path, folder: bool) -> list[str]:
    """Remove what stopped exports to ``output`` left beside it; put back an old folder that
    was set aside when its replacement never arrived."""
    notes: list[str] = []
    prefix = f".{output.name}.annotator-"
    # the hidden staging folders of versions before the manifest's second format
    legacy = re.compile(rf"\.{re.escape(output.name)}\.[a-z0-9_]{{8}}")
    leftovers = []
    for entry in output.parent.iterdir():
        if entry.is_symlink() or not entry.is_dir():
            continue
        if entry.name.startswith(prefix) or (
            legacy.fullmatch(entry.name) and {c.name for c in entry.iterdir()} <= {output.name}
        ):
            leftovers.append(entry)
    aside = sorted(
        (e for e in leftovers if e.name.startswith(prefix + "old-")),
        key=lambda e: e.stat().st_mtime_ns,
    )
    if folder and aside and not os.path.lexists(output):
        os.rename(aside[-1], output)
        leftovers.remove(aside[-1])
        notes.append(
            f"{output}: put back the previous export, which an export stopped while moving its "
            "folder into place had set aside"
        )
    files = 0
    for entry in leftovers:
        files += sum(len(names) for _, _, names in os.walk(entry))
        shutil.rmtree(entry, ignore_errors=True)
    if leftovers:
        notes.append(
            f"{output.parent}: removed {counted(len(leftovers), 'hidden folder')} "
            f"({counted(files, 'file')}) left "
            f"by stopped exports to {output.name}"
        )
    return notes


@contextmanager
def _export_lock(output: Path) -> Iterator[None]:
    """One export at a time into ``output``'s folder, across processes (``flock``)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(output.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportError(
                f"{output}: another export is writing into {output.parent} now; "
                "try again when it is done"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (best effort: not every system can)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
