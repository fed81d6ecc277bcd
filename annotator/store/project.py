"""The project file: one SQLite database holding settings, schema, documents and annotations.

Every user edit is one committed transaction (WAL journal, ``synchronous=FULL``), so nothing
the screen shows as done is lost when the process dies. Bulk writes (import, suggest) run in
one transaction per command, through ``Project.transaction()``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime
from functools import lru_cache
from itertools import compress, groupby, repeat
from operator import eq, itemgetter, le, lt
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pydantic

from annotator.edits import Edit, edit_to_json
from annotator.errors import (
    NotAProjectError,
    NotFoundError,
    ProjectError,
    ProjectReadOnlyError,
    TokensMissingError,
    ValidationError,
)
from annotator.model import (
    Document,
    LabelSchema,
    ProjectSettings,
    Relation,
    Span,
    TokenBoundaries,
    check_relation,
    check_span,
    default_schema,
    is_aligned,
    text_hash,
)
from annotator.model.document import (
    DocumentStatus,
    StoredOffsets,
    TokenOffsets,
    check_tokens,
    decode_offsets,
    encode_tokens,
)
from annotator.model.parsing import one_line
from annotator.model.relation import unusable_relation
from annotator.model.span import ANNOTATION_STATUSES, SpanFields, unusable_span
from annotator.model.validation import SortedBoundaries
from annotator.store.integrity import check_layout
from annotator.store.layout import MIGRATIONS, SPAN_PLACES_JOINED
from annotator.store.lock import WriterLock, folder_is_writable, writer_present
from annotator.store.sqlite import PlainDatabase

log = logging.getLogger(__name__)

FORMAT_MARKER = "annotator-project"
MAX_LABELS = 1000  # entity labels, and relation labels, a schema may hold
MAX_ALLOWED_PAIRS = 10_000  # (head, child) pairs over all relation labels
SQLITE_INTEGERS = range(-(2**63), 2**63)
_SPAN_COLUMNS = (
    "id, doc_id, start, end, label, origin, status, score, edited, aligned, status_reason"
)
_SPAN_ESSENTIALS = "id, doc_id, start, end, label, status, score"
_DOC_ID = itemgetter(1)  # of a span or relation row
_STATUS = itemgetter(6)  # of an ``add_span_rows`` row
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
_SPAN_ORDER = itemgetter(2, 3, 4)  # start, end, label of a _SPAN_COLUMNS or _SPAN_ESSENTIALS row
_SPAN_MARKS = ", ".join("?" * len(_SPAN_COLUMNS.split(",")))
_RELATION_COLUMNS = "id, doc_id, head, child, label, origin, status, score"
_LOG_COLUMNS = ("id", "at", "actor", "kind", "doc_id", "description", "payload")
_SQL_CHUNK = 500  # values per IN (...) list, well under SQLite's variable limit
UNWATCHED_SPAN_INSERTS = 1000
"""Spans inserted at once from which ``add_span_rows`` drops the trigger that watches them
(``span_inserts_unwatched``): dropping and making it again costs a schema change."""
SETS_PAY_FROM = 16
"""A document getting fewer spans than one per this many tokens checks their alignment by binary
search: building its boundary sets (a 100,000-token one: 50 ms) would cost more."""
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024
BULK_CACHE_KIB = 64 * 1024  # page cache of a connection during a bulk import (``bulk_cache``)
FTS_BULK_HASH_BYTES = 64 * 1024 * 1024  # FTS5 entries held in memory by ``index_texts``
"""Files up to this size are checked for damage when opened; ``quick_check`` reads every page
(seconds on a pool of a million documents), so a larger file reports damage when a damaged
page is read instead (one line, as SQLite's errors are)."""
TEXT_LENGTHS_KEPT = 4096  # documents whose text length a connection remembers
TEXT_INDEX_FROM = "text_index_from"  # meta key: the text index's border (``text_index_from``)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_SPAN_FIELDS = frozenset(Span.model_fields)
_RELATION_FIELDS = frozenset(Relation.model_fields)


def _stored(model: type[Any], fields: frozenset[str], values: dict[str, Any]) -> Any:
    """A model from a row the store validated when writing it, every field given: what
    ``model_construct`` makes, without its per-field default and alias lookups (three times
    quicker; opening a long document reads 10,000 spans)."""
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(fields))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def _span_from_row(row: tuple) -> Span:
    return _stored(
        Span,
        _SPAN_FIELDS,
        {
            "id": row[0],
            "doc_id": row[1],
            "start": row[2],
            "end": row[3],
            "label": row[4],
            "origin": row[5],
            "status": row[6],
            "score": row[7],
            "edited": bool(row[8]),
            "status_reason": row[10],
        },
    )


def _span_to_row(span: Span, aligned: bool | None) -> tuple:
    """The ``spans`` row of a span, in ``_SPAN_COLUMNS`` order; ``aligned`` is the store's flag
    (None: not known until the document's tokens are made)."""
    return (
        span.id,
        span.doc_id,
        span.start,
        span.end,
        span.label,
        span.origin,
        span.status,
        span.score,
        int(span.edited),
        None if aligned is None else int(aligned),
        span.status_reason,
    )


def _relation_from_row(row: tuple) -> Relation:
    return _stored(
        Relation,
        _RELATION_FIELDS,
        {
            "id": row[0],
            "doc_id": row[1],
            "head": row[2],
            "child": row[3],
            "label": row[4],
            "origin": row[5],
            "status": row[6],
            "score": row[7],
        },
    )


def _file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``; None when it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _open_file_path(identity: tuple[int, int]) -> Path | None:
    """The path, now, of a file this process holds open (Linux's ``/proc/self/fd``)."""
    folder = Path("/proc/self/fd")
    if not folder.is_dir():
        return None
    for entry in folder.iterdir():
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if not target.startswith("/") or target.endswith((" (deleted)", "-wal", "-shm")):
            continue
        if _file_identity(Path(target)) == identity:
            return Path(target)
    return None


def _read_only_uri(path: Path) -> str:
    """SQLite opens a WAL project read-only only where it can create ``-shm``; in a folder the
    user cannot write, with no writer's ``-wal`` there, the file is read as immutable."""
    quiet = not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    immutable = "&immutable=1" if quiet and not folder_is_writable(path) else ""
    return f"file:{quote(str(path))}?mode=ro{immutable}"


_SQLITE_HEADER = b"SQLite format 3\x00"


def _folder_not_project(path: Path) -> ProjectError:
    return ProjectError(
        f"{path}: a folder, not a project file; give a file, e.g. {path / 'corpus.annotator'}"
    )


class Project:
    """An open project file. Use ``Project.create`` / ``Project.open``; close it when done."""

    def __init__(
        self, path: Path, db: PlainDatabase, read_only: bool, lock: WriterLock | None
    ) -> None:
        self.path = path
        self._identity = _file_identity(path)  # found again if renamed while open
        self._worker = False  # a second connection (``worker_connection``, ``reader``)
        self.db = db
        self.read_only = read_only
        self._lock = lock
        self._settings: ProjectSettings | None = None
        self._schema: LabelSchema | None = None
        self._span_select_columns: str | None = None
        # documents whose ``span_places`` row this transaction may have deleted (m008)
        self._unkept: set[int] = set()
        # decoded once for the window's view, inspector and edits of the open document
        self._tokens = lru_cache(maxsize=8)(self._load_tokens)
        # a text never changes once stored: its length, checked by every edit, is read once
        # (SQLite counts the characters of the whole text: 0.7 ms for a 100,000-token one)
        self._text_lengths: dict[int, int] = {}
        self._bumps: set[int] | None = None  # documents to bump at the end of ``apply``
        self._held_tokens: dict[int, StoredOffsets] = {}  # a read-only project's, in memory

    # -- opening and closing ------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        settings: ProjectSettings | None = None,
        schema: LabelSchema | None = None,
    ) -> Project:
        """Make a new project file; refuses to overwrite anything."""
        path = Path(path)
        if path.is_dir():
            raise _folder_not_project(path)
        if path.exists() and path.stat().st_size > 0:
            raise ProjectError(f"{path}: a file already exists there")
        if not path.parent.exists():
            raise ProjectError(f"{path}: folder {path.parent} does not exist")
        try:
            path.touch()
        except OSError as error:
            raise ProjectError(
                f"{path}: cannot create the project file ({error.strerror})"
            ) from None
        from annotator.store.migrations import migrations

        project = cls._connect(path, read_only=False)
        try:
            with project.transaction():
                migrations.apply(project.db.full())
                project._write_meta("format", FORMAT_MARKER)
                project._write_meta("created_at", _now())
                project._write_meta("settings", (settings or ProjectSettings()).model_dump())
                project._write_meta("schema", (schema or default_schema()).model_dump())
        except BaseException:
            project.close()
            raise
        return project

    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> Project:
        """Open an existing project; upgrades an older file unless ``read_only``."""
        path = Path(path)
        cls.check_file(path)
        project = cls._connect(path, read_only)
        try:
            project._check_is_project()
            if not read_only and _migrations_pending(project.db):
                from annotator.store.migrations import migrations  # sqlite-utils: only then

                migrations.apply(project.db.full())
        except sqlite3.DatabaseError as error:
            project.close()
            raise NotAProjectError(
                f"{path}: not an annotator project or damaged ({error})"
            ) from None
        except BaseException:
            project.close()
            raise
        return project

    @staticmethod
    def check_file(path: Path) -> None:
        """What can be said of ``path`` without opening it: there, a readable file, and an
        SQLite one (``annotator PATH`` says so before it looks for a screen)."""
        if path.is_dir():
            raise _folder_not_project(path)
        if not path.is_file():
            raise ProjectError(f"{path}: no such project file")
        if path.stat().st_size == 0:
            raise NotAProjectError(f"{path}: the file is empty, not an annotator project")
        if not os.access(path, os.R_OK):  # SQLite would say "unable to open database file"
            raise ProjectError(f"{path}: you cannot read this project file (permission denied)")
        with path.open("rb") as handle:
            if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:  # not "damaged": another file
                raise NotAProjectError(
                    f"{path}: not an annotator project (not an SQLite file); a project is the "
                    "file annotator new or annotator import made, e.g. corpus.annotator"
                )

    def worker_connection(self, read_only: bool = False) -> Project:
        """A second connection to this project for a background thread of the same process.

        It shares this project's writer lock instead of taking one, so it must be closed before
        this project is. SQLite serialises its writes with ours (WAL, busy timeout).
        """
        self.check_in_place()
        connection = type(self)._connect(self.path, read_only, take_lock=False)
        connection._worker = True  # its close leaves the -wal to the project's own
        return connection

    def check_in_place(self) -> None:
        """One line when the project file was renamed, moved or deleted since it was opened.

        A new connection by the old name failed ("not an annotator project or damaged"), and
        a writing one made a new, empty file there; one by the new name would keep a second
        ``-wal`` beside the first, which SQLite does not reconcile. This connection's edits
        still reach the file wherever it went (``checkpoint``); other connections stop."""
        if self._identity is None or _file_identity(self.path) == self._identity:
            return
        found = _open_file_path(self._identity)
        if found is None:  # deleted, or moved to another file system: this file is lost
            raise ProjectError(
                f"{self.path}: the project file was deleted, or moved to another file system, "
                "while open; put it back, or what is edited from now on is lost with the window"
            )
        raise ProjectError(
            f"{self.path}: the project file was renamed, moved or deleted while open (it is now "
            f"{found}); your edits are kept in it, but background work stops: close the window "
            f"and open {found}"
        )

    @classmethod
    def reader(cls, path: Path) -> Project:
        """A read-only connection to a project file this program opened (and so checked)
        already, for another process of its own (the window's propagation search), without
        ``open``'s checks at each use."""
        reader = cls._connect(path, read_only=True, take_lock=False)
        reader._worker = True
        return reader

    @classmethod
    def _connect(cls, path: Path, read_only: bool, take_lock: bool = True) -> Project:
        lock = None
        if not read_only and take_lock:
            lock = WriterLock(path)
            lock.acquire()
        try:
            if read_only:
                conn = sqlite3.connect(_read_only_uri(path), uri=True, check_same_thread=False)
            else:
                conn = sqlite3.connect(path, check_same_thread=False)
            conn.isolation_level = None  # we open transactions ourselves (db.atomic)
            db = PlainDatabase(conn)
            conn.execute("PRAGMA busy_timeout = 5000")
            if not read_only:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = OFF")
        except sqlite3.DatabaseError as error:
            if lock:
                lock.release()
            raise NotAProjectError(
                f"{path}: not an annotator project or damaged ({error})"
            ) from None
        return cls(path, db, read_only, lock)

    def _check_is_project(self) -> None:
        tables = set(self.db.table_names())
        if "meta" not in tables:
            raise NotAProjectError(f"{self.path}: an SQLite file, but not an annotator project")
        check_layout(self.db, self.path)
        if self._read_meta("format") != FORMAT_MARKER:
            raise NotAProjectError(f"{self.path}: an SQLite file, but not an annotator project")
        if self.path.stat().st_size > QUICK_CHECK_MAX_BYTES:
            problems = ["ok"]
        else:
            problems = [row[0] for row in self.db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise NotAProjectError(f"{self.path}: the project file is damaged ({problems[0]})")
        self.settings  # noqa: B018 - parse now so a damaged file fails at open
        self.schema  # noqa: B018

    def checkpoint(self, closing: bool = False) -> None:
        """Fold the ``-wal`` file into the project file, so that the file alone holds every
        edit: a copy of it, or the file after a crash whose ``-wal`` was deleted, then loses
        nothing. SQLite does it by itself only every 4 MB of edits, and on close, except for a
        file renamed or moved while open, whose edits it left in the ``-wal`` under the old
        name. It does not wait for other connections' readers (what it can, then), except
        ``closing``, which waits half a second at most to empty the ``-wal`` file too."""
        mode = "PASSIVE"
        with suppress(sqlite3.Error):  # closed, or broken: SQLite's close says it
            if self.read_only or self.db.conn.in_transaction:
                return
            if closing:
                self.db.execute("PRAGMA busy_timeout = 500")
                mode = "TRUNCATE"
            self.db.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()

    def close(self) -> None:
        try:
            if not self._worker:  # a worker's TRUNCATE would hold the window's writes back
                self.checkpoint(closing=True)
            self.db.conn.close()
        finally:
            if self._lock:
                self._lock.release()
                self._lock = None

    def reload(self) -> None:
        """Forget cached settings, schema and token offsets, after another connection (a
        background import in the same process) changed them."""
        self._settings = None
        self._schema = None
        self._tokens.cache_clear()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def snapshot(self) -> Iterator[Project]:
        """Reads inside see one state of the file while other connections write (WAL): one
        read transaction. Inside a transaction already, that one."""
        if self.db.conn.in_transaction:
            yield self
            return
        self.db.execute("BEGIN")
        try:
            yield self
        finally:
            self.db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Project]:
        """All writes inside are committed together, or not at all. Nests with savepoints."""
        self._require_writable()
        outermost = not self.db.conn.in_transaction
        try:
            with self.db.atomic():
                yield self
                if outermost and self._unkept:  # their rows for the export, made again
                    self.keep_span_places(sorted(self._unkept))
        except BaseException:
            # A schema or settings change rolled back must not live on in the caches.
            self._settings = None
            self._schema = None
            self._tokens.cache_clear()
            self._text_lengths.clear()  # a document added in it may be gone, its id free
            raise
        finally:
            if outermost:
                self._unkept.clear()

    def _require_writable(self) -> None:
        if self.read_only:
            raise ProjectReadOnlyError(f"{self.path}: opened read-only; changes are not allowed")

    # -- settings, schema, session state ------------------------------------------------------

    def _read_meta(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        try:
            return None if row is None else json.loads(row[0])
        except (TypeError, ValueError) as error:
            raise NotAProjectError(f"{self.path}: damaged {key} (not JSON: {error})") from None

    def _write_meta(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value, ensure_ascii=False)],
        )

    @property
    def settings(self) -> ProjectSettings:
        if self._settings is None:
            data = self._read_meta("settings")
            try:
                self._settings = ProjectSettings.model_validate(data or {})
            except pydantic.ValidationError as error:
                raise NotAProjectError(
                    f"{self.path}: damaged settings ({one_line(error)})"
                ) from None
        return self._settings

    def set_settings(self, settings: ProjectSettings) -> None:
        with self.transaction():
            self._write_meta("settings", settings.model_dump())
        self._settings = settings

    @property
    def schema(self) -> LabelSchema:
        if self._schema is None:
            data = self._read_meta("schema")
            self._check_schema_size(data)
            try:
                self._schema = LabelSchema.model_validate(data or {})
            except pydantic.ValidationError as error:
                raise NotAProjectError(
                    f"{self.path}: damaged label schema ({one_line(error)})"
                ) from None
        return self._schema

    def _check_schema_size(self, data: Any) -> None:
        """Bound what a crafted schema can make every command do (checks are per label)."""
        if not isinstance(data, dict):
            return
        for kind in ("entities", "relations"):
            labels = data.get(kind)
            if isinstance(labels, list) and len(labels) > MAX_LABELS:
                raise NotAProjectError(
                    f"{self.path}: the label schema has {len(labels)} {kind} labels; "
                    f"at most {MAX_LABELS} are allowed"
                )
        relations = data.get("relations")
        pairs = (
            sum(
                len(label.get("allowed") or ())
                for label in relations or ()
                if isinstance(label, dict) and isinstance(label.get("allowed"), list)
            )
            if isinstance(relations, list)
            else 0
        )
        if pairs > MAX_ALLOWED_PAIRS:
            raise NotAProjectError(
                f"{self.path}: the label schema allows {pairs} label pairs; "
                f"at most {MAX_ALLOWED_PAIRS} are allowed"
            )

    def set_schema(
        self,
        schema: LabelSchema,
        entity_renames: dict[str, str] | None = None,
        relation_renames: dict[str, str] | None = None,
    ) -> None:
        """Replace the schema; renamed labels carry their annotations along.

        Refused when an annotation would be left with a label the new schema lacks.
        """
        entity_renames = entity_renames or {}
        relation_renames = relation_renames or {}
        with self.transaction():
            renamed: set[int] = set()  # documents whose accepted spans change label (m008)
            for old, new in entity_renames.items():
                renamed.update(
                    doc_id
                    for (doc_id,) in self.db.execute(
                        "SELECT DISTINCT doc_id FROM spans WHERE label = ? AND status = 'accepted'",
                        [old],
                    )
                )
                self.db.execute("UPDATE spans SET label = ? WHERE label = ?", [new, old])
            self._unkept.update(renamed)  # their rows, deleted by a trigger, made again
            for old, new in relation_renames.items():
                self.db.execute("UPDATE relations SET label = ? WHERE label = ?", [new, old])
            for table, names, kind in (
                ("spans", schema.entity_names, "entity"),
                ("relations", schema.relation_names, "relation"),
            ):
                used = {row[0] for row in self.db.execute(f"SELECT DISTINCT label FROM {table}")}
                missing = sorted(used - set(names))
                if missing:
                    raise ValidationError(
                        f"{kind} labels still in use would disappear from the schema: "
                        f"{', '.join(missing)}"
                    )
            self._write_meta("schema", schema.model_dump())
            self._schema = schema
        self._schema = schema

    def get_state(self, key: str, default: Any = None) -> Any:
        """Session state kept in the project (last document, scroll position, selection).

        State only says where the user was: a value that is not JSON, or a number beyond what
        SQLite holds (``1e30``, ``NaN``), is ignored with a logged warning and
        ``default`` is returned, so a damaged state never stops a command or the window.
        """
        row = self.db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
        if row is None:
            return default
        try:
            value = json.loads(row[0])
        except (TypeError, ValueError):
            value = math.nan
        if isinstance(value, int | float) and not (
            math.isfinite(value) and SQLITE_INTEGERS.start <= value < SQLITE_INTEGERS.stop
        ):
            log.warning("%s: state %r ignored (not usable: %.60r)", self.path, key, row[0])
            return default
        return value

    def set_state(self, key: str, value: Any) -> None:
        if self.read_only:
            return
        with self.transaction():
            self.db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value)],
            )

    # -- documents ----------------------------------------------------------------------------

    def add_document(self, document: Document) -> tuple[int, bool]:
        """Store a document; the same text again returns the existing id and ``False``."""
        return self.add_documents_bulk([document])[0]

    def document(self, doc_id: int, tokens: bool = True) -> Document:
        """The document with its tokens (``TokensMissingError`` when they are not made yet:
        ``services.tokenizing.ensure_tokens`` first); ``tokens=False`` for readers of its text
        alone, whose tokens are then left empty."""
        row = self.db.execute(
            "SELECT id, text, meta, status FROM documents WHERE id = ?", [doc_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{self.path}: no document {doc_id}")
        return Document.model_construct(
            id=row[0],
            text=row[1],
            meta=json.loads(row[2] or "{}"),
            status=row[3],
            tokens=self.tokens(doc_id) if tokens else (),
        )

    def tokens(self, doc_id: int) -> TokenOffsets:
        """The document's token offsets (cached: a 100,000-token document takes 50 ms).

        An import stores no tokens; ``TokensMissingError`` says a reader forgot to make them
        first (``services.tokenizing.ensure_tokens``) instead of answering with no tokens."""
        return self._tokens(doc_id)

    def _load_tokens(self, doc_id: int) -> TokenOffsets:
        row = self.db.execute("SELECT offsets FROM tokens WHERE doc_id = ?", [doc_id]).fetchone()
        offsets = self._held_tokens.get(doc_id) if row is None else row[0]
        if offsets is None:
            raise TokensMissingError(
                f"{self.path}: document {doc_id} is not tokenized yet "
                f"(annotator tokenize {self.path} makes the tokens of every document)"
            )
        return decode_offsets(offsets)

    def set_tokens(self, doc_id: int, tokens: TokenOffsets) -> None:
        """Replace a document's tokens (e.g. after retokenising); alignment flags follow."""
        self.store_tokens([(doc_id, encode_tokens(tokens), TokenBoundaries(tokens))])

    def store_tokens(self, rows: Sequence[tuple[int, StoredOffsets, TokenBoundaries]]) -> None:
        """Store the tokens of many documents, given as ``(doc_id, stored offsets (see
        ``encode_offsets``), their boundaries)``, and set their spans' alignment flags, in one
        transaction. A read-only project keeps them in memory while it is open instead."""
        self._tokens.cache_clear()
        if self.read_only:
            self._held_tokens.update((doc_id, offsets) for doc_id, offsets, _ in rows)
            return
        bounds = {doc_id: boundaries for doc_id, _, boundaries in rows}
        with self.transaction():
            self.db.conn.executemany(
                "INSERT INTO tokens (doc_id, offsets) VALUES (?, ?) "
                "ON CONFLICT(doc_id) DO UPDATE SET offsets = excluded.offsets",
                [(doc_id, offsets) for doc_id, offsets, _ in rows],
            )
            flags = []
            for chunk in _chunks(list(bounds)):
                marks = ",".join("?" * len(chunk))
                for span_id, doc_id, start, end in self.db.execute(
                    f"SELECT id, doc_id, start, end FROM spans WHERE doc_id IN ({marks})", chunk
                ):
                    flags.append((int(bounds[doc_id].aligned(start, end)), span_id))
            self.db.conn.executemany("UPDATE spans SET aligned = ? WHERE id = ?", flags)

    def untokenized_ids(self, doc_ids: Sequence[int] | None = None) -> list[int]:
        """Which documents (of ``doc_ids``, default all) have no tokens yet, in id order."""
        sql = (
            "SELECT d.id FROM documents d LEFT JOIN tokens t ON t.doc_id = d.id "
            "WHERE t.doc_id IS NULL"
        )
        if doc_ids is None:
            found = [row[0] for row in self.db.execute(sql + " ORDER BY d.id")]
        else:
            found = []
            for chunk in _chunks(sorted(set(doc_ids))):
                marks = ",".join("?" * len(chunk))
                found.extend(
                    row[0]
                    for row in self.db.execute(f"{sql} AND d.id IN ({marks}) ORDER BY d.id", chunk)
                )
        return [doc_id for doc_id in found if doc_id not in self._held_tokens]

    def has_untokenized(self) -> bool:
        """Whether any document has no tokens yet: two counts (13 ms on a million documents,
        where finding one without tokens by a join takes 20 times longer; the window asks as
        a project opens). A document's tokens go when it does, so the counts tell."""
        return bool(
            self.db.execute(
                "SELECT (SELECT count(*) FROM documents) > (SELECT count(*) FROM tokens)"
            ).fetchone()[0]
        )

    def count_untokenized(self) -> int:
        """How many documents have no tokens yet (an import does not make them)."""
        return len(self.untokenized_ids())

    def held_offsets(self, doc_id: int, offsets: StoredOffsets | None) -> StoredOffsets:
        """``offsets`` as read from the file, else those kept in memory for a read-only
        project; ``TokensMissingError`` when the document has none yet."""
        if offsets is None:
            offsets = self._held_tokens.get(doc_id)
            if offsets is None:
                self.tokens(doc_id)  # raises the one-line error
        return offsets  # type: ignore[return-value]

    @property
    def held_tokens(self) -> Mapping[int, StoredOffsets]:
        """Stored offsets made for documents this read-only project has none of in its file
        (``store_tokens``): a reader of the file itself (``store.team_tables``) adds them."""
        return self._held_tokens

    def texts(self, doc_ids: Sequence[int]) -> Iterator[tuple[int, str]]:
        """``(id, text)`` of each of ``doc_ids``, in that order, a chunk at a time."""
        for chunk in _chunks(doc_ids):
            marks = ",".join("?" * len(chunk))
            found = dict(
                self.db.execute(f"SELECT id, text FROM documents WHERE id IN ({marks})", chunk)
            )
            for doc_id in chunk:
                yield doc_id, found[doc_id]

    def document_ids(self, status: str | Iterable[str] | None = None) -> list[int]:
        where, params = _status_filter(status)
        return [
            row[0]
            for row in self.db.execute(f"SELECT id FROM documents{where} ORDER BY id", params)
        ]

    def count_documents(self, status: str | Iterable[str] | None = None) -> int:
        where, params = _status_filter(status)
        return self.db.execute(f"SELECT count(*) FROM documents{where}", params).fetchone()[0]

    def documents(
        self,
        ids: Iterable[int] | None = None,
        status: str | Iterable[str] | None = None,
        tokens: bool = True,
    ) -> Iterator[Document]:
        """Stream documents in id order without holding them all in memory (``tokens`` as
        ``document`` takes it)."""
        for doc_id in self.document_ids(status) if ids is None else ids:
            yield self.document(doc_id, tokens)

    def documents_with_annotations(
        self, ids: Sequence[int], tokens: bool = True
    ) -> Iterator[tuple[Document, list[Span], list[Relation], list[dict[str, Any]]]]:
        """Each document of ``ids`` with all its spans, relations and edit log entries, as
        ``document``, ``spans``, ``relations`` and ``edit_log`` give them, in ``ids`` order
        (``export_rows`` made into models). ``tokens=False`` leaves the documents' tokens
        empty, for readers that do not need them.
        """
        for row, offsets, spans, relations, log in self.export_rows(ids, tokens):
            document = Document.model_construct(
                id=row[0],
                text=row[1],
                meta=json.loads(row[2] or "{}"),
                status=row[3],
                tokens=decode_offsets(offsets),
            )
            spans_made = [_span_from_row(span) for span in spans]
            yield document, spans_made, [_relation_from_row(r) for r in relations], log

    def export_rows(
        self,
        ids: Sequence[int],
        tokens: bool = True,
        edit_log: bool = True,
        span_fields: SpanFields = "all",
        statuses: Sequence[str] | None = None,
    ) -> Iterator[tuple[tuple, StoredOffsets | None, Any, list[tuple], list[dict[str, Any]]]]:
        """Each document of ``ids`` as stored rows, in ``ids`` order: ``(id, text, meta,
        status)``, its token offsets as stored (``StoredOffsets``; None without tokens, or when
        not asked), its span rows (``_SPAN_COLUMNS``, by start, end, label), relation rows
        (``_RELATION_COLUMNS``, in creation order) and edit log entries (as ``edit_log`` gives
        them; none unless ``edit_log``).

        ``span_fields`` reads fewer span columns, for writers that do not write the others:
        each value read costs sqlite3 a Python object, and reading 330,000 spans cost as much
        as a raw write of a whole doccano file. ``"essentials"`` reads ``_SPAN_ESSENTIALS``
        (no ``origin``, ``edited``, ``aligned``, ``status_reason``). ``"places"`` reads each
        document's spans as one row of columns joined by SQLite (``SPAN_PLACES_JOINED``:
        document, count, then ids, starts, ends and labels, each one string; None without
        spans), in the index's order, by start: four strings a document instead of five
        objects a span (0.29 -> 0.13 CPU s for the bench's 330,000 spans); with only the
        accepted spans selected, from the row the file keeps of them (``span_places``, m008;
        0.13 -> 0.02 CPU s), for a document that has one. ``statuses`` reads
        only the spans and relations of those statuses.

        What ``documents_with_annotations`` reads, without one model object per row: an export
        streams a whole corpus through this, a chunk of documents at a time, one query per table.
        """
        span_columns = _SPAN_ESSENTIALS if span_fields == "essentials" else self._span_select
        kept, kept_params = "", []
        if statuses is not None:  # SQLite takes an empty IN (): nothing kept
            kept, kept_params = f" AND status IN ({','.join('?' * len(statuses))})", [*statuses]
        kept_rows = (  # each document's accepted spans from the row kept of them (m008)
            span_fields == "places"
            and statuses is not None
            and set(statuses) == {"accepted"}
            and self.span_places_kept()
        )
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            rows = {
                row[0]: row
                for row in self.db.execute(
                    f"SELECT id, text, meta, status FROM documents WHERE id IN ({marks})", chunk
                )
            }
            offsets: dict[int, StoredOffsets] = {}
            if tokens:
                offsets.update(
                    self.db.execute(
                        f"SELECT doc_id, offsets FROM tokens WHERE doc_id IN ({marks})", chunk
                    ).fetchall()
                )
            # in the index's order, then sorted by document: SQLite sorting the whole chunk
            # for ``end, label`` took a third of the export's reading
            spans: dict[int, Any]
            if span_fields == "places":
                spans, joined = {}, chunk
                if kept_rows:
                    spans = self._kept_span_places(chunk)
                    joined = [doc_id for doc_id in chunk if doc_id not in spans]
                if joined:  # documents without a kept row (or a selection it does not hold)
                    spans.update(
                        (row[0], row)
                        for row in self.db.execute(
                            f"SELECT {SPAN_PLACES_JOINED} FROM spans WHERE doc_id IN "
                            f"({','.join('?' * len(joined))}){kept} GROUP BY doc_id",
                            [*joined, *kept_params],
                        )
                    )
            else:
                spans = self._rows_by_document(
                    f"SELECT {span_columns} FROM spans WHERE doc_id IN ({marks}){kept} "
                    "ORDER BY doc_id, start",
                    [*chunk, *kept_params],
                    order=_SPAN_ORDER,
                )
            relations = self._rows_by_document(
                f"SELECT {_RELATION_COLUMNS} FROM relations WHERE doc_id IN ({marks}){kept} "
                "ORDER BY doc_id, rowid",
                [*chunk, *kept_params],
            )
            log: dict[int, list[tuple]] = {}
            if edit_log:
                log = self._rows_by_document(
                    f"SELECT {', '.join(_LOG_COLUMNS)} FROM edit_log "
                    f"WHERE doc_id IN ({marks}) ORDER BY id",
                    chunk,
                    doc_column=4,
                )
            for doc_id in chunk:
                row = rows.get(doc_id)
                if row is None:
                    raise NotFoundError(f"{self.path}: no document {doc_id}")
                yield (
                    row,
                    self.held_offsets(doc_id, offsets.get(doc_id)) if tokens else None,
                    spans.get(doc_id, None if span_fields == "places" else []),
                    relations.get(doc_id, []),
                    [dict(zip(_LOG_COLUMNS, entry, strict=True)) for entry in log[doc_id]]
                    if doc_id in log
                    else [],
                )

    def _kept_span_places(self, doc_ids: Sequence[int]) -> dict[int, tuple]:
        """The ``span_places`` rows of ``doc_ids`` (their accepted spans, as
        ``SPAN_PLACES_JOINED`` gives them), on a file that keeps them (``span_places_kept``,
        asked by the caller once for its whole read)."""
        return {
            row[0]: row
            for row in self.db.execute(
                "SELECT doc_id, span_count, ids, starts, ends, labels FROM span_places "
                f"WHERE doc_id IN ({','.join('?' * len(doc_ids))})",
                doc_ids,
            )
        }

    def span_places_kept(self) -> bool:
        """Whether the file has the ``span_places`` table and the three triggers that delete a
        row when its document's accepted spans change (migration m008; ``check_layout``
        refused changed ones on open): only then is a row, when present, right. A file made
        before them and opened read-only, or one whose triggers another program dropped, is
        read from ``spans``. Asked again each time (two reads of the small ``sqlite_master``),
        not once per connection: another program may drop them while this one is open."""
        (found,) = self.db.execute(
            "SELECT count(*) FROM sqlite_master WHERE (type = 'trigger' AND tbl_name = 'spans' "
            "AND name IN ('span_places_bi', 'span_places_ad', 'span_places_bu')) "
            "OR (type = 'table' AND name = 'span_places')"
        ).fetchone()
        return found == 4

    def keep_span_places(self, doc_ids: Sequence[int] | None = None, after: int = 0) -> None:
        """Make the ``span_places`` rows of the documents ``doc_ids`` that lack one (a trigger
        deleted it, or it was never made) and hold accepted spans, or of every document after
        ``after`` (an import's new ones), for the export (migration m008). Inside the caller's
        transaction; ``transaction`` calls it for the documents whose revision it moved."""
        if self.read_only or not self.span_places_kept():
            return
        insert = (
            "INSERT OR REPLACE INTO span_places (doc_id, span_count, ids, starts, ends, labels) "
            f"SELECT {SPAN_PLACES_JOINED} FROM spans WHERE status = 'accepted' AND "
        )
        if doc_ids is None:  # a row left there by a crafted file must not pass for theirs
            self.db.execute("DELETE FROM span_places WHERE doc_id > ?", [after])
            self.db.execute(f"{insert}doc_id > ? GROUP BY doc_id", [after])
            return
        for chunk in _chunks(doc_ids):
            marks = ",".join("?" * len(chunk))
            kept = self.db.execute(
                f"SELECT doc_id FROM span_places WHERE doc_id IN ({marks})", chunk
            ).fetchall()
            missing = sorted(set(chunk).difference(doc_id for (doc_id,) in kept))
            if missing:
                marks = ",".join("?" * len(missing))
                self.db.execute(f"{insert}doc_id IN ({marks}) GROUP BY doc_id", missing)

    @contextmanager
    def span_inserts_unwatched(self, doc_ids: Collection[int]) -> Iterator[None]:
        """Inside a transaction, for a bulk insert of spans whose accepted ones are of the
        documents ``doc_ids``: the trigger that deletes a document's ``span_places`` row at
        each accepted span inserted (m008) is dropped, and made again from its statement when
        the block ends, and those documents' rows are deleted, once; the transaction's end
        makes them again. The trigger costs SQLite about 1.5 µs a row: 0.5 s of an import or a
        suggestion run of 330,000 spans. An error inside leaves it dropped: the transaction,
        rolled back, brings it back. Outside a transaction, or on a file without the rows, the
        trigger stays."""
        if not (self.db.conn.in_transaction and self.span_places_kept()):
            yield
            return
        (sql,) = self.db.execute(  # there: asked inside this transaction
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'span_places_bi'"
        ).fetchone()
        self.db.execute("DROP TRIGGER span_places_bi")
        yield
        self.db.execute(sql)
        for chunk in _chunks(sorted(doc_ids)):
            marks = ",".join("?" * len(chunk))
            self.db.execute(f"DELETE FROM span_places WHERE doc_id IN ({marks})", chunk)
        self._unkept.update(doc_ids)

    def export_counts(self, ids: Sequence[int], statuses: Sequence[str]) -> tuple[int, int]:
        """The spans of ``statuses`` in the documents ``ids``, and their relations of those
        statuses whose two spans are such spans: what an export of them that selects
        ``statuses`` writes (``export_rows``, then the service's relation check), counted by
        SQLite without reading a row."""
        kept = ",".join("?" * len(statuses))
        spans = f"SELECT count(*) FROM spans WHERE doc_id IN ({{marks}}) AND status IN ({kept})"
        relations = (
            "SELECT count(*) FROM relations r JOIN spans h ON h.id = r.head "
            "JOIN spans c ON c.id = r.child WHERE r.doc_id IN ({marks}) "
            f"AND r.status IN ({kept}) AND h.status IN ({kept}) AND c.status IN ({kept})"
        )
        return (
            sum(count for (count,) in self._rows_in(spans, ids, statuses)),
            sum(count for (count,) in self._rows_in(relations, ids, [*statuses] * 3)),
        )

    def _rows_by_document(
        self,
        sql: str,
        doc_ids: Sequence[int],
        doc_column: int = 1,
        order: Callable[[tuple], Any] | None = None,
    ) -> dict[int, list[tuple]]:
        """The rows of ``sql`` (ordered by document) grouped by their document, in row order,
        or sorted by ``order`` (a stable sort: rows it finds equal keep the row order)."""
        grouped: dict[int, list[tuple]] = {}
        for doc_id, rows in groupby(
            self.db.execute(sql, doc_ids).fetchall(), key=itemgetter(doc_column)
        ):
            grouped[doc_id] = group = list(rows)
            if order is not None:
                group.sort(key=order)
        return grouped

    def last_document_id(self) -> int:
        """The highest document id (0 for none): documents added later have higher ids."""
        return self.db.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0]

    def document_status(self, doc_id: int) -> DocumentStatus:
        row = self.db.execute("SELECT status FROM documents WHERE id = ?", [doc_id]).fetchone()
        if row is None:
            raise NotFoundError(f"{self.path}: no document {doc_id}")
        return row[0]

    def unreadable_value(self) -> str | None:
        """The first stored value no reader of this project can use, said in a few words with
        the document it is in, or None: offsets that are not two integers in order, a NULL span
        id, a label that is not text, a relation of a span to itself or to a span of another
        document, a meta that is not a JSON object, tokens that are not whole offset pairs, or
        not in order within the text.
        A file anyone can craft may hold them. Asked once a read has failed (``export``): each
        query scans a whole table, too slow for every export."""
        span = self.db.execute(
            'SELECT doc_id, id, start, "end", label FROM spans WHERE typeof(start) != '
            "'integer' OR typeof(\"end\") != 'integer' OR start < 0 OR \"end\" <= start "
            "OR id IS NULL OR typeof(label) != 'text' LIMIT 1"
        ).fetchone()
        if span is not None:
            return unusable_span(*span)
        relation = self.db.execute(
            "SELECT r.doc_id, r.id FROM relations r LEFT JOIN spans h ON h.id = r.head "
            "LEFT JOIN spans c ON c.id = r.child WHERE r.head = r.child "
            "OR h.doc_id IS NOT r.doc_id OR c.doc_id IS NOT r.doc_id LIMIT 1"
        ).fetchone()
        if relation is not None:
            return unusable_relation(*relation)
        meta = self.db.execute(
            "SELECT id FROM documents WHERE meta IS NOT NULL AND (json_valid(meta) = 0 "
            "OR json_type(meta) != 'object') LIMIT 1"
        ).fetchone()
        if meta is not None:
            return f"document {meta[0]}: its meta is not a JSON object"
        tokens = self.db.execute(  # bytes of whole pairs, or (an earlier version's) JSON text
            "SELECT doc_id FROM tokens t WHERE CASE typeof(offsets) "
            "WHEN 'blob' THEN length(offsets) % 8 != 0 "
            "WHEN 'text' THEN CASE WHEN json_valid(offsets) = 0 THEN 1 "  # in this order: a
            "WHEN json_type(offsets) != 'array' THEN 1 "  # JSON function raises on bad JSON
            "ELSE EXISTS (SELECT 1 FROM json_each(t.offsets) p "
            "WHERE p.type != 'array' OR json_array_length(p.value) != 2 "
            "OR json_type(p.value, '$[0]') != 'integer' OR json_type(p.value, '$[1]') != 'integer'"
            ") END ELSE offsets IS NOT NULL END LIMIT 1"
        ).fetchone()
        if tokens is not None:
            return f"document {tokens[0]}: its stored tokens are not whole offset pairs"
        for doc_id, offsets, length in self.db.execute(  # in order and within the text: only
            "SELECT t.doc_id, t.offsets, length(d.text) FROM tokens t "  # Python can tell
            "JOIN documents d ON d.id = t.doc_id ORDER BY t.doc_id"
        ):
            try:
                check_tokens(decode_offsets(offsets), length)
            except ValueError as error:  # spaCy's Doc refused them (E031, empty token)
                return f"document {doc_id}: its stored {error}"
        return None

    def data_version(self) -> int:
        """Changes when another connection commits (``PRAGMA data_version``): a read-only
        window asks it to follow the writer's edits."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def writer_elsewhere(self) -> bool | None:
        """Whether another window or process holds this project for writing (None where that
        cannot be told): a read-only window asks, to say when it could write."""
        return writer_present(self.path)

    def revision(self, doc_id: int) -> int:
        """Bumped by every change to the document's annotations or status."""
        row = self.db.execute("SELECT revision FROM documents WHERE id = ?", [doc_id]).fetchone()
        if row is None:
            raise NotFoundError(f"{self.path}: no document {doc_id}")
        return row[0]

    @property
    def _span_select(self) -> str:
        """``_SPAN_COLUMNS`` to read spans; an older file opened read-only (not upgraded) has
        no ``status_reason`` column yet, so it reads as NULL."""
        if self._span_select_columns is None:
            present = {row[1] for row in self.db.execute("PRAGMA table_info(spans)")}
            self._span_select_columns = (
                _SPAN_COLUMNS
                if "status_reason" in present
                else _SPAN_COLUMNS.replace("status_reason", "NULL AS status_reason")
            )
        return self._span_select_columns

    def _aligned(self, doc_id: int, start: int, end: int) -> bool | None:
        """Whether the span is on token boundaries; None (not known yet) for a document not
        tokenized yet (the error is not cached: its tokens may land from another connection)."""
        try:
            return is_aligned(start, end, self.tokens(doc_id))  # nothing to build: one span
        except TokensMissingError:
            return None

    def _text_length(self, doc_id: int) -> int:
        length = self._text_lengths.get(doc_id)
        if length is not None:
            return length
        row = self.db.execute(
            "SELECT length(text) FROM documents WHERE id = ?", [doc_id]
        ).fetchone()
        if row is None:
            raise ValidationError(f"no document {doc_id} in {self.path}")
        self._remember_text_lengths([(doc_id, row[0])])
        return row[0]

    def _text_lengths_of(self, doc_ids: Sequence[int]) -> dict[int, int]:
        """The text length of each stored document of ``doc_ids``: those this connection
        remembers (``length(text)`` reads the whole text: 0.1 s for the spans of 10,000
        documents an import has just added), the others read."""
        remembered = self._text_lengths
        lengths = {doc_id: remembered[doc_id] for doc_id in doc_ids if doc_id in remembered}
        lengths.update(
            self._rows_in(
                "SELECT id, length(text) FROM documents WHERE id IN ({marks})",
                [doc_id for doc_id in doc_ids if doc_id not in lengths],
            )
        )
        return lengths

    def _rows_in(
        self, sql: str, values: Sequence[Any], after: Sequence[Any] = ()
    ) -> Iterator[tuple]:
        """The rows of ``sql`` whose ``IN ({marks})`` takes ``values``, a chunk of them at a
        time (under SQLite's limit on variables); ``after`` are the parameters that follow."""
        for chunk in _chunks(values):
            yield from self.db.execute(
                sql.replace("{marks}", ",".join("?" * len(chunk))), [*chunk, *after]
            )

    def _remember_text_lengths(self, lengths: Iterable[tuple[int, int]]) -> None:
        if len(self._text_lengths) >= TEXT_LENGTHS_KEPT:
            self._text_lengths.clear()
        self._text_lengths.update(lengths)

    def _bump(self, doc_id: int) -> None:
        if self._bumps is not None:  # inside ``apply``: once for the whole edit
            self._bumps.add(doc_id)
            return
        self.db.execute("UPDATE documents SET revision = revision + 1 WHERE id = ?", [doc_id])
        self._unkept.add(doc_id)

    # -- annotations: reads -------------------------------------------------------------------

    def spans(self, doc_id: int, status: str | Iterable[str] | None = None) -> list[Span]:
        where, params = _status_filter(status, prefix=" AND")
        rows = self.db.execute(
            f"SELECT {self._span_select} FROM spans WHERE doc_id = ?{where} "
            "ORDER BY start, end, label",
            [doc_id, *params],
        )
        return [_span_from_row(row) for row in rows]

    def span_ids_in(self, doc_id: int, span_ids: Collection[str]) -> set[str]:
        """Those of ``span_ids`` that are spans of document ``doc_id``, of any status."""
        found: set[str] = set()
        for chunk in _chunks(list(span_ids)):
            marks = ",".join("?" * len(chunk))
            found.update(
                span_id
                for (span_id,) in self.db.execute(
                    f"SELECT id FROM spans WHERE doc_id = ? AND id IN ({marks})", [doc_id, *chunk]
                )
            )
        return found

    def span(self, span_id: str) -> Span:
        row = self.db.execute(
            f"SELECT {self._span_select} FROM spans WHERE id = ?", [span_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{self.path}: no span {span_id}")
        return _span_from_row(row)

    def misaligned_span_ids(self, doc_id: int | None = None) -> list[str]:
        """Spans not on token boundaries: spaCy would drop them (W030), so they are flagged."""
        sql = "SELECT id FROM spans WHERE aligned = 0"
        params: list[Any] = []
        if doc_id is not None:
            sql += " AND doc_id = ?"
            params.append(doc_id)
        return [row[0] for row in self.db.execute(sql, params)]

    def count_misaligned(self, after_document: int = 0) -> int:
        """How many spans (of documents with higher ids than ``after_document``) are known to
        be off token boundaries."""
        return self.db.execute(
            "SELECT count(*) FROM spans WHERE aligned = 0 AND doc_id > ?", [after_document]
        ).fetchone()[0]

    def relations(self, doc_id: int, status: str | Iterable[str] | None = None) -> list[Relation]:
        where, params = _status_filter(status, prefix=" AND")
        rows = self.db.execute(
            f"SELECT {_RELATION_COLUMNS} FROM relations WHERE doc_id = ?{where} ORDER BY rowid",
            [doc_id, *params],
        )
        return [_relation_from_row(row) for row in rows]

    def relation(self, relation_id: str) -> Relation:
        row = self.db.execute(
            f"SELECT {_RELATION_COLUMNS} FROM relations WHERE id = ?", [relation_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{self.path}: no relation {relation_id}")
        return _relation_from_row(row)

    # -- edits --------------------------------------------------------------------------------

    def apply(self, edit: Edit, actor: str | None = None) -> None:
        """Perform one user edit as one committed transaction, and log it.

        Raises ``ValidationError`` (and changes nothing) when the edit does not fit the project,
        e.g. a stale ``before`` or a label outside the schema. The log names ``actor``, by
        default the project's annotator.
        """
        with self.transaction():
            # one revision bump per document for the whole edit, not one per row: accepting
            # 10,000 suggestions at once made 10,000 of them (a third of its statements)
            self._bumps = bumped = set()
            try:
                edit.apply(self)
            finally:
                self._bumps = None
            self._bump_many(sorted(bumped))
            self._log(
                edit.kind,
                edit.doc_id,
                edit.description,
                edit_to_json(edit),
                actor or self.settings.actor,
            )

    def log_event(
        self,
        kind: str,
        description: str,
        payload: Any = None,
        actor: str | None = None,
        doc_id: int | None = None,
    ) -> None:
        """Record a bulk operation (import, suggest, export) in the edit log."""
        with self.transaction():
            self._log(
                kind,
                doc_id,
                description,
                json.dumps(payload, ensure_ascii=False),
                actor or self.settings.actor,
            )

    def _log(
        self, kind: str, doc_id: int | None, description: str, payload: str, actor: str
    ) -> None:
        self.db.execute(
            "INSERT INTO edit_log (at, actor, kind, doc_id, description, payload) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [_now(), actor, kind, doc_id, description, payload],
        )

    def edit_log(self, doc_id: int | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(_LOG_COLUMNS)} FROM edit_log"
        params: list[Any] = []
        if doc_id is not None:
            sql += " WHERE doc_id = ?"
            params.append(doc_id)
        return [
            dict(zip(_LOG_COLUMNS, row, strict=True))
            for row in self.db.execute(sql + " ORDER BY id", params)
        ]

    # EditTarget: the primitive writes edits are made of. Each validates against the store.

    def insert_span(self, span: Span) -> None:
        self._require_writable()
        check_span(span, self._text_length(span.doc_id), self.schema)
        aligned = self._aligned(span.doc_id, span.start, span.end)
        try:
            self.db.execute(
                f"INSERT INTO spans ({_SPAN_COLUMNS}) VALUES ({_SPAN_MARKS})",
                _span_to_row(span, aligned),
            )
        except sqlite3.IntegrityError:
            raise ValidationError(f"span {span.id} already exists") from None
        self._bump(span.doc_id)

    def delete_span(self, span: Span) -> None:
        self._require_writable()
        self._expect_span(span)
        used = self.db.execute(
            "SELECT count(*) FROM relations WHERE head = ? OR child = ?", [span.id, span.id]
        ).fetchone()[0]
        if used:
            raise ValidationError(f"span {span.id} is still used by {used} relation(s)")
        self.db.execute("DELETE FROM spans WHERE id = ?", [span.id])
        self._bump(span.doc_id)

    def replace_span(self, before: Span, after: Span) -> None:
        self._require_writable()
        self._expect_span(before)
        if after.id != before.id or after.doc_id != before.doc_id:
            raise ValidationError("an update cannot change a span's id or document")
        check_span(after, self._text_length(after.doc_id), self.schema)
        if after.label != before.label:
            self._check_relations_still_allowed(after)
        aligned = self._aligned(after.doc_id, after.start, after.end)
        self.db.execute(
            "UPDATE spans SET start = ?, end = ?, label = ?, origin = ?, status = ?, score = ?, "
            "edited = ?, aligned = ?, status_reason = ? WHERE id = ?",
            [
                after.start,
                after.end,
                after.label,
                after.origin,
                after.status,
                after.score,
                int(after.edited),
                None if aligned is None else int(aligned),
                after.status_reason,
                after.id,
            ],
        )
        self._bump(after.doc_id)

    def _check_relations_still_allowed(self, span: Span) -> None:
        for relation in self.db.execute(
            f"SELECT {_RELATION_COLUMNS} FROM relations WHERE head = ? OR child = ?",
            [span.id, span.id],
        ).fetchall():
            relation = _relation_from_row(relation)
            other_id = relation.child if relation.head == span.id else relation.head
            spans = {span.id: span, other_id: self.span(other_id)}
            check_relation(relation, spans, self.schema)

    def _expect_span(self, span: Span) -> None:
        try:
            current = self.span(span.id)
        except NotFoundError:
            raise ValidationError(f"span {span.id} no longer exists") from None
        if current != span:
            raise ValidationError(f"span {span.id} has changed since this edit was made")

    def insert_relation(self, relation: Relation) -> None:
        self._require_writable()
        spans = {}
        for span_id in (relation.head, relation.child):
            with suppress(NotFoundError):
                spans[span_id] = self.span(span_id)
        check_relation(relation, spans, self.schema)
        try:
            self.db.execute(
                f"INSERT INTO relations ({_RELATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    relation.id,
                    relation.doc_id,
                    relation.head,
                    relation.child,
                    relation.label,
                    relation.origin,
                    relation.status,
                    relation.score,
                ],
            )
        except sqlite3.IntegrityError:
            raise ValidationError(f"relation {relation.id} already exists") from None
        self._bump(relation.doc_id)

    def delete_relation(self, relation: Relation) -> None:
        self._require_writable()
        self._expect_relation(relation)
        self.db.execute("DELETE FROM relations WHERE id = ?", [relation.id])
        self._bump(relation.doc_id)

    def replace_relation(self, before: Relation, after: Relation) -> None:
        self._require_writable()
        self._expect_relation(before)
        if (after.id, after.doc_id, after.head, after.child) != (
            before.id,
            before.doc_id,
            before.head,
            before.child,
        ):
            raise ValidationError("an update cannot change a relation's id, document or spans")
        spans = {after.head: self.span(after.head), after.child: self.span(after.child)}
        check_relation(after, spans, self.schema)
        self.db.execute(
            "UPDATE relations SET label = ?, origin = ?, status = ?, score = ? WHERE id = ?",
            [after.label, after.origin, after.status, after.score, after.id],
        )
        self._bump(after.doc_id)

    def _expect_relation(self, relation: Relation) -> None:
        try:
            current = self.relation(relation.id)
        except NotFoundError:
            raise ValidationError(f"relation {relation.id} no longer exists") from None
        if current != relation:
            raise ValidationError(f"relation {relation.id} has changed since this edit was made")

    def replace_document_status(
        self, doc_id: int, before: DocumentStatus, after: DocumentStatus
    ) -> None:
        self._require_writable()
        current = self.document_status(doc_id)
        if current != before:
            raise ValidationError(
                f"document {doc_id} is {current}, not {before}; it changed since this edit was made"
            )
        self.db.execute(
            "UPDATE documents SET status = ?, revision = revision + 1 WHERE id = ?", [after, doc_id]
        )

    # -- bulk writes for import and suggest ---------------------------------------------------

    def add_spans(self, spans: Iterable[Span]) -> int:
        """Insert many spans (validated) without logging each; returns how many."""
        return self.add_spans_bulk(list(spans))[0]

    def add_relations(self, relations: Iterable[Relation]) -> int:
        """Insert many relations (validated) without logging each; returns how many."""
        return self.add_relations_bulk(list(relations))

    def add_documents_bulk(self, documents: Sequence[Document]) -> list[tuple[int, bool]]:
        """``add_document`` for many documents at once (import): batched inserts, one savepoint.

        Returns (id, created) for each document in order; a text already stored, or repeated
        earlier in ``documents``, gives the id of that document and ``False``.
        """
        self._require_writable()
        digests = [text_hash(document.text) for document in documents]
        known = self.document_ids_by_hash(list(dict.fromkeys(digests)))
        fresh: dict[str, Document] = {}
        for digest, document in zip(digests, documents, strict=True):
            if digest not in known and digest not in fresh:
                fresh[digest] = document
        if fresh:
            rows = [
                (
                    document.text,
                    digest,
                    json.dumps(document.meta, ensure_ascii=False),
                    document.status,
                    encode_tokens(document.tokens),
                )
                for digest, document in fresh.items()
            ]
            known.update(zip(fresh, self.add_document_rows(rows), strict=True))
        results = []
        for digest in digests:
            results.append((known[digest], digest in fresh))
            fresh.pop(digest, None)
        return results

    def document_hashes(self, status: str | None = None) -> dict[str, int]:
        """Documents as {text hash: id}: how projects of one corpus find each other's."""
        if status is None:
            rows = self.db.execute("SELECT text_hash, id FROM documents ORDER BY id")
        else:
            rows = self.db.execute(
                "SELECT text_hash, id FROM documents WHERE status = ? ORDER BY id", [status]
            )
        return dict(rows.fetchall())

    def created_at(self) -> str:
        """When the project file was made: with the annotator, tells a copy from another file."""
        return str(self._read_meta("created_at") or "")

    def content_digest(self) -> str:
        """A digest of the documents' statuses, the spans, the relations and the edit log: the
        same for a copy of the file, another for a copy worked on since (a merge reads a copy
        once, and refuses two different files of one annotator)."""
        digest = hashlib.sha256()
        for query in (
            "SELECT id, status FROM documents ORDER BY id",
            'SELECT id, doc_id, start, "end", label, status FROM spans ORDER BY id',
            "SELECT id, doc_id, head, child, label, status FROM relations ORDER BY id",
            "SELECT count(*), max(id) FROM edit_log",
        ):
            for row in self.db.execute(query):
                digest.update(repr(row).encode())
        return digest.hexdigest()

    def add_document_rows(
        self,
        rows: Sequence[tuple[str, str, str, str, StoredOffsets | None]],
        ids: Sequence[int] | None = None,
        index_texts: bool = True,
        revisions: Sequence[int] | None = None,
    ) -> list[int]:
        """Store new documents given as rows ``(text, text_hash, meta JSON, status, stored
        offsets)`` (``encode_offsets``; None: not tokenized yet, see ``services.tokenizing``),
        checked by the caller; returns their ids in order. ``revisions`` (default 0 each) is
        for a caller that adds their annotations next without a bump (``bumped``).

        The bulk import's path: no model object per document. A text already stored raises
        ``ValidationError``; ``add_documents_bulk`` is the path that finds them first. ``ids``
        (unused ones) place the documents in the list, which is in id order (a merge puts the
        documents in dispute first); by default they follow the last. ``index_texts=False``
        leaves their texts to the text index's catch-up (``index_texts``, see
        ``text_index_from``): an import commits without it. While the index is behind, new
        documents past its border wait for it too, so "every id below the border is indexed,
        none from it on" always holds.
        """
        self._require_writable()
        if not rows:
            return []
        now = _now()
        with self.transaction():
            first = self.last_document_id() + 1
            ids = list(range(first, first + len(rows)) if ids is None else ids)
            try:
                self.db.conn.executemany(
                    "INSERT INTO documents (id, text, text_hash, meta, status, revision, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (doc_id, text, digest, meta, status, revision, now)
                        for doc_id, (text, digest, meta, status, _), revision in zip(
                            ids, rows, revisions or [0] * len(rows), strict=True
                        )
                    ],
                )
            except sqlite3.IntegrityError as error:
                raise ValidationError(f"a text is already in the project ({error})") from None
            border = self.text_index_from()
            if border is None and not index_texts:
                border = first
            self.db.conn.executemany(  # the text index (migration m005), below its border
                "INSERT INTO documents_fts (rowid, text) VALUES (?, ?)",
                (
                    (doc_id, row[0])
                    for doc_id, row in zip(ids, rows, strict=True)
                    if border is None or doc_id < border
                ),
            )
            if border is not None and max(ids) >= border:
                self._write_meta(TEXT_INDEX_FROM, border)
            self.db.conn.executemany(
                "INSERT INTO tokens (doc_id, offsets) VALUES (?, ?)",
                (
                    (doc_id, row[4])
                    for doc_id, row in zip(ids, rows, strict=True)
                    if row[4] is not None
                ),
            )
        # for their spans, next (an import's batch): a rollback forgets them (``transaction``)
        self._remember_text_lengths(zip(ids, (len(row[0]) for row in rows), strict=True))
        return ids

    def text_index_from(self) -> int | None:
        """The text index's border: documents with a lower id are in it, those from this id on
        are not yet (an import leaves them to ``index_texts``); None when it holds every text
        (a project no import left behind, or a file from before the border existed)."""
        value = self._read_meta(TEXT_INDEX_FROM)
        return value if isinstance(value, int) else None

    def leave_to_text_index(self, first: int) -> None:
        """Leave the texts from document ``first`` on to the index's catch-up
        (``index_texts``): for documents written without it (a merge's ``INSERT ... SELECT``),
        all of them from ``first`` on. The border only moves down."""
        border = self.text_index_from()
        if border is None or first < border:
            with self.transaction():
                self._write_meta(TEXT_INDEX_FROM, first)

    def count_unindexed(self) -> int:
        """How many documents the text index does not hold yet."""
        border = self.text_index_from()
        if border is None:
            return 0
        sql = "SELECT count(*) FROM documents WHERE id >= ?"
        return int(self.db.execute(sql, [border]).fetchone()[0])

    def index_texts(self, limit: int | None = None) -> int:
        """Add the next ``limit`` texts past the border (all of them when None) to the text
        index (m005) and move the border past them, in one transaction: interrupted, the index
        and its border still agree. Returns how many texts were indexed (0: none was missing).

        FTS5 gathers new entries in memory and writes them out as a segment each time they pass
        its ``hashsize`` (1 MB), then merges the segments: a larger size for this statement
        alone (``FTS_BULK_HASH_BYTES``) writes fewer, larger segments (10,000 texts of 5,000
        characters: 4.5 -> 3.3 CPU s). The setting is a row of the index's config table,
        removed again in the same transaction, so the file keeps the configuration it had.
        """
        with self._writing():
            border = self.text_index_from()
            if border is None or limit == 0:
                return 0
            last, count = self.db.execute(
                "SELECT max(id), count(*) FROM (SELECT id FROM documents WHERE id >= ? "
                "ORDER BY id LIMIT ?)",
                [border, -1 if limit is None else limit],
            ).fetchone()
            if count:
                try:
                    self.db.execute(
                        "INSERT INTO documents_fts (documents_fts, rank) VALUES ('hashsize', ?)",
                        [FTS_BULK_HASH_BYTES],
                    )
                    larger = True
                except sqlite3.OperationalError:  # an SQLite older than FTS5's hashsize option
                    larger = False
                self.db.execute(
                    "INSERT INTO documents_fts (rowid, text) SELECT id, text FROM documents "
                    "WHERE id >= ? AND id <= ? ORDER BY id",
                    [border, last],
                )
                if larger:
                    self.db.execute("DELETE FROM documents_fts_config WHERE k = 'hashsize'")
            if count == 0 or last >= self.last_document_id():
                self.db.execute("DELETE FROM meta WHERE key = ?", [TEXT_INDEX_FROM])
            else:
                self._write_meta(TEXT_INDEX_FROM, last + 1)
            return int(count)

    @contextmanager
    def _writing(self) -> Iterator[Project]:
        """``transaction``, holding the write lock from the start (``BEGIN IMMEDIATE``) when
        it opens one: what it reads first is then what it writes over, though other
        connections write the file too (a background pass beside the window's edits)."""
        self._require_writable()
        if self.db.conn.in_transaction:
            with self.transaction():
                yield self
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            with self.transaction():
                yield self
        except BaseException:
            self.db.conn.rollback()
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def bulk_cache(self, kibibytes: int = BULK_CACHE_KIB) -> Iterator[Project]:
        """A larger page cache for this connection while a bulk write runs (the indexes of a
        large import outgrow SQLite's default 2 MB, and pages go back and forth to the OS);
        the connection's own size afterwards. Nothing of it is stored in the file."""
        (before,) = self.db.execute("PRAGMA cache_size").fetchone()
        self.db.execute(f"PRAGMA cache_size = {-int(kibibytes)}")
        try:
            yield self
        finally:
            self.db.execute(f"PRAGMA cache_size = {int(before)}")

    @contextmanager
    def rollback_journal(self) -> Iterator[Project]:
        """The writes inside go through a rollback journal instead of the WAL, then the file is
        back in WAL mode: for the bulk import into a project file the command has just made,
        that no other connection has open.

        In WAL mode every page of a bulk write is written twice (to the ``-wal``, then copied
        into the file by the checkpoint), with a checksum per frame; a rollback journal keeps
        only the pages the file had before the transaction, and a new project has a few dozen.
        An import of 10,000 documents (110 MB): 4.3 -> 3.6 CPU s, and one 110 MB write less.
        Nothing is given up: ``synchronous`` stays FULL, and a transaction cut short by a
        crash is rolled back from the journal when the file is next opened, as the WAL would
        have left it. When another connection has the file open (SQLite refuses to leave WAL
        mode then), the writes simply stay in the WAL; when one reads it at the end (after the
        busy timeout), the file stays in rollback mode until a writer opens it again.
        """
        self._require_writable()
        (timeout,) = self.db.execute("PRAGMA busy_timeout").fetchone()
        self.db.execute("PRAGMA busy_timeout = 0")  # another connection: do not wait for it
        try:
            (mode,) = self.db.execute("PRAGMA journal_mode = DELETE").fetchone()
        except sqlite3.OperationalError:  # "database is locked": open elsewhere
            mode = "wal"
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        try:
            yield self
        finally:
            if mode != "wal":
                try:
                    self.db.execute("PRAGMA journal_mode = WAL")
                except sqlite3.OperationalError as error:  # a reader came meanwhile, still there
                    # harmless: the file works as it is, and the next writer's open sets WAL
                    log.info("%s: left in rollback journal mode for now (%s)", self.path, error)

    @contextmanager
    def documents_counted_after(self) -> Iterator[None]:
        """Inside a transaction, for a bulk insert of documents: the trigger that counts each
        new document by status (``document_counts_ai``, m007) is dropped, and made again when
        the block ends, from the statement that made it, with the counts of every status
        recounted once from the status index. Into an empty ``documents`` table, its indexes
        are dropped and made again too, but not the unique one of the text hashes, which
        refuses a text twice and which the import looks documents up by.

        With the trigger's upsert, once a row, and the indexes, inserting the documents of an
        import of 10,000 articles (``benchmarks/bench_import.py``'s corpus) took 0.53-0.58 CPU
        s; without them, 0.21-0.26 s. An error inside leaves them dropped: the transaction,
        rolled back, brings them back. A write outside a transaction keeps them.
        """
        self._require_writable()
        statements: list[tuple[str, str, str]] = []  # (type, name, sql)
        if self.db.conn.in_transaction:
            if not self.db.execute("SELECT 1 FROM documents").fetchone():
                statements += self.db.execute(
                    "SELECT type, name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'documents' AND sql IS NOT NULL "
                    "AND name != 'idx_documents_text_hash' ORDER BY rowid"
                ).fetchall()
            statements += self.db.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'document_counts_ai'"
            ).fetchall()
        for kind, name, _ in statements:
            self.db.execute(f'DROP {kind} "{name}"')
        yield
        for *_, sql in statements:
            self.db.execute(sql)
        if any(kind == "trigger" for kind, *_ in statements):
            self.db.execute("DELETE FROM document_counts")
            self.db.execute(
                "INSERT INTO document_counts (status, documents) "
                "SELECT status, count(*) FROM documents GROUP BY status"
            )

    @contextmanager
    def annotations_indexed_after(self) -> Iterator[Callable[[], None]]:
        """Inside a transaction, for a bulk insert into empty ``spans`` and ``relations``
        tables (a new project's first import): their secondary indexes (spans by document and
        by label, relations by document, head and child) are dropped and made again, from the
        statements that made them, when the block ends, or before when the caller calls the
        function it yields (before reading spans or relations by document, which would scan
        the table without them). Not the primary keys': an id used twice is still refused at
        its insert.

        Made at the end, an index sorts its keys once; kept all along, each of 330,000 rows
        found its place in two more B-trees: 1.05 -> 0.84 CPU s for the spans of 10,000
        documents. An error inside leaves them dropped: the transaction, rolled back, brings
        them back. A table that holds rows, or a write outside a transaction, keeps them.
        """
        self._require_writable()
        statements: list[tuple[str, str]] = []
        if self.db.conn.in_transaction:
            for table in ("spans", "relations"):
                if not self.db.execute(f"SELECT 1 FROM {table}").fetchone():
                    statements += self.db.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid",
                        [table],
                    ).fetchall()
        for name, _ in statements:
            self.db.execute(f'DROP INDEX "{name}"')

        def restore() -> None:
            while statements:
                self.db.execute(statements.pop(0)[1])

        yield restore
        restore()

    def document_ids_by_hash(self, digests: Sequence[str]) -> dict[str, int]:
        """Which of these text hashes (``text_hash``) are stored, and as which document."""
        sql = "SELECT text_hash, id FROM documents WHERE text_hash IN ({marks})"
        return dict(self._rows_in(sql, digests))

    def add_spans_bulk(
        self,
        spans: Sequence[Span],
        boundaries: Mapping[int, TokenBoundaries | SortedBoundaries] | None = None,
    ) -> tuple[int, int]:
        """Insert many spans, each validated as ``insert_span`` does; one savepoint, not logged.
        ``boundaries`` as for ``add_span_rows``.

        Returns (spans inserted, how many of them are not on token boundaries).
        """
        return self.add_span_rows(
            [
                (
                    s.id,
                    s.doc_id,
                    s.start,
                    s.end,
                    s.label,
                    s.origin,
                    s.status,
                    s.score,
                    s.edited,
                    s.status_reason,
                )
                for s in spans
            ],
            boundaries,
        )

    def add_span_rows(
        self,
        rows: Sequence[tuple],
        boundaries: Mapping[int, TokenBoundaries | SortedBoundaries] | None = None,
        bumped: Collection[int] = (),
    ) -> tuple[int, int]:
        """``add_spans_bulk`` for plain tuples ``(id, doc_id, start, end, label, origin, status,
        score, edited[, status_reason])``: bulk writers skip one model object per span, not
        the checks.

        ``boundaries`` are token boundaries the caller already has (the import has just
        tokenized the documents; propagation's store has the open document's tokens in this
        connection's cache); the others are read from the file. A span of a document not
        tokenized yet is stored with its alignment flag unknown (NULL) and not counted.
        Each document's revision is bumped, but those of ``bumped``: documents the caller has
        just added with their revision counted already (``add_document_rows(revisions=...)``;
        each bump rewrites the document's row, text included).
        """
        self._require_writable()
        if not rows:
            return 0, 0
        known = boundaries or {}
        spans_in = Counter(map(_DOC_ID, rows))  # counted in C: 330,000 rows an import
        doc_ids = sorted(spans_in)
        lengths = self._text_lengths_of(doc_ids)
        bounds: dict[int, TokenBoundaries | SortedBoundaries] = {}
        unknown = [doc_id for doc_id in doc_ids if doc_id not in known]
        for chunk in _chunks(unknown):
            marks = ",".join("?" * len(chunk))
            for doc_id, offsets in self.db.execute(
                f"SELECT doc_id, offsets FROM tokens WHERE doc_id IN ({marks})", chunk
            ):
                tokens = decode_offsets(offsets)
                # a few spans in a long document (propagation's, on the UI thread): no sets
                few = spans_in[doc_id] * SETS_PAY_FROM < len(tokens)
                bounds[doc_id] = SortedBoundaries(tokens) if few else TokenBoundaries(tokens)
        schema = self.schema
        # each check over a whole column, in C (map, set, min): unpacking and testing each of
        # 330,000 rows in a loop took a fifth of the store's time in an import
        columns = list(zip(*rows, strict=False))  # 9 columns, or 10 when every row has a reason
        span_ids, doc_of, starts, ends, labels, origins, statuses, scores, edited = columns[:9]
        sizes = list(map(lengths.get, doc_of))
        if not (
            None not in sizes
            and all(map(isinstance, starts, repeat(int)))
            and all(map(isinstance, ends, repeat(int)))
            and min(starts) >= 0
            and all(map(lt, starts, ends))
            and all(map(le, ends, sizes))
            and all(map(ANNOTATION_STATUSES.__contains__, statuses))
            and all(origins)
            and set(schema.entity_names).issuperset(labels)
        ):
            _refuse_span_rows(rows, lengths, schema, self.path)
        count = len(rows)
        reasons: Sequence[str | None] = [None] * count  # why, when no person set the status
        if len(columns) > 9:
            reasons = columns[9]
        elif max(map(len, rows)) > 9:
            reasons = [row[9] if len(row) > 9 else None for row in rows]
        aligned: list[int | None] = [None] * count  # not tokenized yet: unknown
        if known or bounds:
            aligned = [
                None if boundaries is None else int(boundaries.aligned(start, end))
                for boundaries, start, end in zip(
                    [known.get(doc_id) or bounds.get(doc_id) for doc_id in doc_of],
                    starts,
                    ends,
                    strict=True,
                )
            ]
        # runs of rows sharing origin, status, edited, alignment flag and status reason, in
        # row order: (those columns, the rows' other columns)
        shared = (origins, statuses, list(map(int, edited)), aligned, reasons)
        others = zip(span_ids, doc_of, starts, ends, labels, scores, strict=True)
        if all(len(set(column)) == 1 for column in shared):  # an import's batch, as a rule
            runs = [(tuple(column[0] for column in shared), list(others))]
        else:
            runs = [
                (key, list(map(_SECOND, run)))
                for key, run in groupby(
                    zip(zip(*shared, strict=True), others, strict=True), key=_FIRST
                )
            ]
        with self.transaction():
            unwatched = (  # a trigger a row would cost more than dropping it (m008)
                self.span_inserts_unwatched(
                    set(
                        compress(
                            map(_DOC_ID, rows), map(eq, map(_STATUS, rows), repeat("accepted"))
                        )
                    )
                )
                if len(rows) >= UNWATCHED_SPAN_INSERTS
                else nullcontext()
            )
            with unwatched:
                try:
                    _insert_span_runs(self.db.conn, runs)
                except sqlite3.IntegrityError as error:
                    raise ValidationError(f"a span id is already used ({error})") from None
            self._bump_many([doc_id for doc_id in doc_ids if doc_id not in bumped])
            self._unkept.update(doc_ids)
        return count, aligned.count(0)

    def add_checked_rows(self, spans: Sequence[tuple], relations: Sequence[tuple] = ()) -> None:
        """Spans as whole ``spans`` rows (``_SPAN_COLUMNS`` order: alignment flag and status
        reason included) and relations as ``add_relation_rows`` takes them, of documents added
        in the same transaction, checked by the caller in bulk (a merge copies decisions that
        its projects checked one by one): no check per row, no revision bump."""
        self._require_writable()
        with self.transaction():
            try:
                self.db.conn.executemany(
                    f"INSERT INTO spans ({_SPAN_COLUMNS}) VALUES ({_SPAN_MARKS})", spans
                )
                self.db.conn.executemany(
                    f"INSERT INTO relations ({_RELATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    relations,
                )
            except sqlite3.IntegrityError as error:
                raise ValidationError(f"an id is already used ({error})") from None

    def add_relations_bulk(self, relations: Sequence[Relation]) -> int:
        """Insert many relations, each validated as ``insert_relation`` does; not logged."""
        return self.add_relation_rows(
            [
                (r.id, r.doc_id, r.head, r.child, r.label, r.origin, r.status, r.score)
                for r in relations
            ]
        )

    def add_relation_rows(
        self,
        rows: Sequence[tuple],
        bumped: Collection[int] = (),
        added_spans: Mapping[str, tuple[int, str]] | None = None,
    ) -> int:
        """``add_relations_bulk`` for plain tuples ``(id, doc_id, head, child, label, origin,
        status, score)``, with the same checks against the stored spans and the schema;
        ``bumped`` as for ``add_span_rows``. ``added_spans`` gives span id -> (document id,
        label) of spans the caller has stored in this transaction (an import's batch), which
        are then not read back: 60,000 lookups for the relations of 10,000 documents."""
        self._require_writable()
        # span id -> (doc_id, label): no model each
        ends_of: dict[str, tuple[int, str]] = dict(added_spans or {})
        span_ids = list({end for row in rows for end in (row[2], row[3])}.difference(ends_of))
        ends_of.update(
            (span_id, (doc_id, label))
            for span_id, doc_id, label in self._rows_in(
                "SELECT id, doc_id, label FROM spans WHERE id IN ({marks})", span_ids
            )
        )
        schema = self.schema
        checked: set[tuple[str, str, str]] = set()  # (label, head label, child label) allowed
        for relation_id, doc_id, head, child, label, origin, status, _ in rows:
            ends = ends_of.get(head), ends_of.get(child)
            if (
                ends[0] is None
                or ends[1] is None
                or ends[0][0] != doc_id
                or ends[1][0] != doc_id
                or (label, ends[0][1], ends[1][1]) not in checked
            ):
                check_relation(
                    Relation.model_construct(
                        id=relation_id, doc_id=doc_id, head=head, child=child, label=label
                    ),
                    {
                        span_id: Span.model_construct(id=span_id, doc_id=end[0], label=end[1])
                        for span_id, end in zip((head, child), ends, strict=True)
                        if end is not None
                    },
                    schema,
                )
                checked.add((label, ends[0][1], ends[1][1]))  # type: ignore[index]
            if status not in ANNOTATION_STATUSES or not origin:
                raise ValidationError(
                    f"relation {label!r} {status!r} of document {doc_id} is not a valid relation"
                )
        with self.transaction():
            try:
                self.db.conn.executemany(
                    f"INSERT INTO relations ({_RELATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except sqlite3.IntegrityError as error:
                raise ValidationError(f"a relation id is already used ({error})") from None
            self._bump_many(sorted(set(map(_DOC_ID, rows)).difference(bumped)))
        return len(rows)

    def _bump_many(self, doc_ids: Sequence[int]) -> None:
        self.db.conn.executemany(
            "UPDATE documents SET revision = revision + 1 WHERE id = ?", [(i,) for i in doc_ids]
        )
        self._unkept.update(doc_ids)

    def set_document_status(self, doc_id: int, status: DocumentStatus) -> None:
        """Set a status outside the undo history (import, suggest); users go through ``apply``."""
        with self.transaction():
            self.db.execute(
                "UPDATE documents SET status = ?, revision = revision + 1 WHERE id = ?",
                [status, doc_id],
            )


_SPAN_RUN_COLUMNS = (
    "id, doc_id, start, end, label, score, origin, status, edited, aligned, status_reason"
)
SPAN_RUN_FROM = 16
"""Spans in a row sharing origin, status, ``edited``, alignment flag and status reason, from
this many on, are inserted with those written into the statement (``_insert_span_runs``)."""


def _refuse_span_rows(
    rows: Sequence[tuple], lengths: Mapping[int, int], schema: LabelSchema, path: Path
) -> None:
    """Raise ``ValidationError`` for the first of ``add_span_rows``' rows it refuses: one of
    no stored document, with offsets that are not integers ``0 <= start < end``, an unknown
    status, no label or origin, past its text's end, or with a label the schema lacks."""
    labels = set(schema.entity_names)
    for row in rows:
        doc_id, start, end, label, origin, status = row[1:7]
        length = lengths.get(doc_id)
        if length is None:
            raise ValidationError(f"no document {doc_id} in {path}")
        if (
            not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end)
            or status not in ANNOTATION_STATUSES
            or not label
            or not origin
        ):
            raise ValidationError(
                f"span [{start}, {end}) {label!r} {status!r} of document {doc_id} "
                "is not a valid span"
            )
        if end > length or label not in labels:
            check_span(
                Span.model_construct(doc_id=doc_id, start=start, end=end, label=label),
                length,
                schema,
            )


def _insert_span_runs(conn: sqlite3.Connection, runs: list[tuple[tuple, list[tuple]]]) -> None:
    """Insert span rows ``(id, doc_id, start, end, label, score)``, in runs that share the
    other columns, in their order (rowids as one ``executemany`` of whole rows would give).

    sqlite3 binds each parameter of each row with a call of its own: 330,000 spans of 11
    parameters took 1.5 CPU s, of 6 parameters with the 5 shared ones written once as SQL
    literals 1.0 s. Only plain values are written so (None, integers, printable ASCII text);
    runs of other values, and short runs, bind every column.
    """
    whole: list[tuple] = []
    for columns, rows in runs:
        literals = _sql_literals(columns) if len(rows) >= SPAN_RUN_FROM else None
        if literals is None:
            whole.extend(row + columns for row in rows)
            continue
        if whole:
            conn.executemany(
                f"INSERT INTO spans ({_SPAN_RUN_COLUMNS}) VALUES ({_SPAN_MARKS})", whole
            )
            whole = []
        conn.executemany(
            f"INSERT INTO spans ({_SPAN_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, {literals})", rows
        )
    if whole:
        conn.executemany(f"INSERT INTO spans ({_SPAN_RUN_COLUMNS}) VALUES ({_SPAN_MARKS})", whole)


def _sql_literals(values: tuple) -> str | None:
    """``values`` as SQL literals separated by commas, or None when one is not a plain value
    (None, an int, printable ASCII text: nothing SQLite could read differently than bound)."""
    literals = []
    for value in values:
        if value is None:
            literals.append("NULL")
        elif type(value) is int and value in SQLITE_INTEGERS:
            literals.append(str(value))
        elif type(value) is str and value.isascii() and value.isprintable():
            literals.append("'" + value.replace("'", "''") + "'")
        else:
            return None
    return ", ".join(literals)


def _migrations_pending(db: PlainDatabase) -> bool:
    """Whether one of the migrations (``layout.MIGRATIONS``) is not applied to the file yet,
    read without sqlite-utils, as its ``Migrations.pending`` reads it."""
    try:
        rows = db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'annotator'"
        ).fetchall()
    except sqlite3.OperationalError:  # no such table: none applied
        return True
    return not set(MIGRATIONS) <= {name for (name,) in rows}


def _chunks(values: Sequence[Any], size: int = _SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _status_filter(
    status: str | Iterable[str] | None, prefix: str = " WHERE"
) -> tuple[str, list[str]]:
    if status is None:
        return "", []
    statuses = [status] if isinstance(status, str) else list(status)
    return f"{prefix} status IN ({','.join('?' * len(statuses))})", statuses
