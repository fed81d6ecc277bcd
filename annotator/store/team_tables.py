"""Several annotators' projects gathered in temporary tables of one connection, matched in SQL.

A merge or an agreement compares about a million decided spans of three files: read row by row
into Python, that is most of their time. Here each file is ATTACHed in turn (read-only) and its
documents, decided spans and relations are copied by ``INSERT ... SELECT`` into ``temp``
tables keyed by a small number per text hash; the spans of all files are grouped by
(document, offsets, label) into versions as they are copied, each with the set of annotators
who made it as a bit mask (bit ``i``: the ``i``-th file). Files are attached one at a time, so
a team may be larger than SQLite's limit of attached databases (10); temporary tables live in
a file, so memory stays flat however large the corpus.

Tables (all ``temp.team_*``):

- ``team_docs``: one row per text hash: ``key``, ``hash``, ``owner`` (the first file that has
  it), ``members`` (mask of the files that have it), ``everyone`` (how many);
- ``team_entries``: each file's document of a key: its id, status and text length;
- ``team_links``: each file's accepted relations with their ends as (start, end, label);
- ``team_versions``: the files' decided spans (labels mapped) by (document, offsets, label),
  added to by ``INSERT ... ON CONFLICT``: the masks of who accepted and who rejected each, its
  ``aligned`` flag, the first file that has it, ``outside`` (not within its text) and a
  ``number`` made from the first file's span (merged ids are made from it);
- ``team_relations``: the relations grouped: ``made_by`` mask, ``first`` (file, then row: the
  order a reader of the files meets them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import ValidationError
from annotator.model.document import StoredOffsets, decode_offsets, encode_tokens
from annotator.store.project import _read_only_uri

MAX_MEMBERS = 62  # bits of a mask in an SQLite integer
TEMP_CACHE_KIB = 32 * 1024  # page cache of the temporary tables: bounded, whatever the corpus
ATTACHED = "team_member"
NUMBER = 1 << 40  # a version's number: the file's index times this, plus its span's rowid

_TABLES = """
CREATE TEMP TABLE team_docs (
  key INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, owner INTEGER NOT NULL,
  members INTEGER NOT NULL, everyone INTEGER NOT NULL DEFAULT 0);
CREATE TEMP TABLE team_entries (
  member INTEGER, doc_id INTEGER, key INTEGER, status TEXT, length INTEGER,
  PRIMARY KEY (member, doc_id)) WITHOUT ROWID;
CREATE TEMP TABLE team_versions (
  key INTEGER, start INTEGER, end INTEGER, label TEXT, accepted_by INTEGER,
  rejected_by INTEGER, linked_by INTEGER, aligned INTEGER, first_member INTEGER,
  outside INTEGER, number INTEGER, PRIMARY KEY (key, start, end, label)) WITHOUT ROWID;
CREATE TEMP TABLE team_links (
  key INTEGER, doc_id INTEGER, member INTEGER, ord INTEGER,
  head_start INTEGER, head_end INTEGER, head_label TEXT, head_aligned INTEGER,
  child_start INTEGER, child_end INTEGER, child_label TEXT, child_aligned INTEGER,
  label TEXT, outside INTEGER, head_number INTEGER, child_number INTEGER);
CREATE TEMP TABLE team_label_map (old TEXT PRIMARY KEY, new TEXT NOT NULL);
CREATE TEMP TABLE team_held (member INTEGER, doc_id INTEGER, offsets BLOB,
  PRIMARY KEY (member, doc_id)) WITHOUT ROWID;
CREATE TEMP TABLE team_tokens (key INTEGER PRIMARY KEY, offsets BLOB);
CREATE TEMP TABLE team_names (member INTEGER PRIMARY KEY, name TEXT NOT NULL);
"""


@dataclass(frozen=True)
class TeamFile:
    """One annotator's project file, and the token offsets its read-only ``Project`` made in
    memory for documents the file has none for (``Project.held_tokens``)."""

    name: str  # the annotator's
    path: Path
    held_tokens: Mapping[int, StoredOffsets]


def mapped(column: str, alias: str) -> str:
    """``column``'s label mapped by ``--map`` (``team_label_map`` joined as ``alias``)."""
    return f"COALESCE({alias}.new, {column})"


class TeamTables:
    """The files' documents and decisions in ``temp`` tables of ``conn`` (see the module)."""

    def __init__(
        self, conn: sqlite3.Connection, files: Sequence[TeamFile], label_map: Mapping[str, str]
    ) -> None:
        if len(files) > MAX_MEMBERS:
            raise ValidationError(f"give at most {MAX_MEMBERS} annotators' project files")
        self.conn = conn
        self.files = list(files)
        conn.create_function("stored_offsets", 1, _stored_offsets, deterministic=True)
        conn.create_function("unreadable_offsets", 1, _unreadable_offsets, deterministic=True)
        conn.execute(f"PRAGMA temp.cache_size = {-TEMP_CACHE_KIB}")
        conn.executescript(_TABLES)
        conn.executemany("INSERT INTO temp.team_label_map VALUES (?, ?)", label_map.items())
        conn.executemany(
            "INSERT INTO temp.team_names VALUES (?, ?)", enumerate(f.name for f in files)
        )
        for member, file in enumerate(files):
            conn.executemany(
                "INSERT INTO temp.team_held VALUES (?, ?, ?)",
                ((member, doc_id, offsets) for doc_id, offsets in file.held_tokens.items()),
            )

    @contextmanager
    def attached(self, member: int) -> Iterator[str]:
        """The file of ``member`` attached read-only as ``team_member`` (its schema name)."""
        self.conn.execute(f"ATTACH ? AS {ATTACHED}", [_read_only_uri(self.files[member].path)])
        try:
            yield ATTACHED
        finally:
            self.conn.execute(f"DETACH {ATTACHED}")

    def gather(self, status: str | None, accepted_only: bool, tokens: bool = False) -> None:
        """Copy each file's documents (those with ``status`` if given), decided spans (only the
        accepted ones with ``accepted_only``; pending suggestions are nobody's decision) and
        accepted relations, each file read in one transaction; with ``tokens``, the token
        offsets of each document from its owner (the first file that has it)."""
        where = "WHERE d.status = ?1" if status else "WHERE ?1 IS NULL"
        decided = "= 'accepted'" if accepted_only else "!= 'suggested'"
        for member in range(len(self.files)):
            bit = 1 << member
            with self.attached(member) as m:
                self.conn.execute("BEGIN")
                try:
                    self._copy(m, member, bit, where, decided, status, tokens)
                finally:
                    self.conn.execute("COMMIT")
        self.conn.executescript(
            """
            CREATE INDEX temp.team_entries_key ON team_entries (key);
            UPDATE temp.team_docs SET everyone = (
              SELECT count(*) FROM temp.team_entries e WHERE e.key = team_docs.key);
            """
        )

    def _copy(
        self,
        m: str,
        member: int,
        bit: int,
        where: str,
        decided: str,
        status: str | None,
        tokens: bool,
    ) -> None:
        run = self.conn.execute
        run(
            "INSERT INTO temp.team_docs (hash, owner, members) "
            f"SELECT d.text_hash, ?2, ?3 FROM {m}.documents d {where} ORDER BY d.id "
            "ON CONFLICT (hash) DO UPDATE SET members = members | excluded.members",
            [status, member, bit],
        )
        run(
            "INSERT INTO temp.team_entries (member, doc_id, key, status, length) "
            f"SELECT ?2, d.id, k.key, d.status, length(d.text) FROM {m}.documents d "
            f"JOIN temp.team_docs k ON k.hash = d.text_hash {where}",
            [status, member],
        )
        run(  # bit ``member`` added to the masks of the version, or a new version
            "INSERT INTO temp.team_versions (key, start, end, label, accepted_by, rejected_by, "
            "aligned, first_member, outside, number) "
            f"SELECT e.key, s.start, s.end, {mapped('s.label', 'l')}, "
            "CASE WHEN s.status = 'accepted' THEN ?2 END, "
            "CASE WHEN s.status != 'accepted' THEN ?2 END, s.aligned, ?1, "
            "NOT (0 <= s.start AND s.start < s.end AND s.end <= e.length), "
            f"{NUMBER} * ?1 + s.rowid "
            f"FROM temp.team_entries e CROSS JOIN {m}.spans s ON s.doc_id = e.doc_id "
            "LEFT JOIN temp.team_label_map l ON l.old = s.label "
            f"WHERE e.member = ?1 AND s.status {decided} ORDER BY e.key, s.start "
            "ON CONFLICT (key, start, end, label) DO UPDATE SET "  # a NULL mask: nobody
            "accepted_by = COALESCE(accepted_by | excluded.accepted_by, accepted_by, "
            "excluded.accepted_by), "
            "rejected_by = COALESCE(rejected_by | excluded.rejected_by, rejected_by, "
            "excluded.rejected_by), "
            "aligned = COALESCE(aligned, excluded.aligned)",
            [member, bit],
        )
        run(  # an end that is gone: no relation, as a join would have it
            "INSERT INTO temp.team_links "
            f"SELECT e.key, e.doc_id, ?1, r.rowid, h.start, h.end, {mapped('h.label', 'lh')}, "
            f"h.aligned, c.start, c.end, {mapped('c.label', 'lc')}, c.aligned, "
            f"{mapped('r.label', 'lr')}, NOT (0 <= h.start AND h.start < h.end "
            "AND h.end <= e.length AND 0 <= c.start AND c.start < c.end AND c.end <= e.length), "
            f"{NUMBER} * ?1 + h.rowid, {NUMBER} * ?1 + c.rowid "
            f"FROM temp.team_entries e CROSS JOIN {m}.relations r ON r.doc_id = e.doc_id "
            f"JOIN {m}.spans h ON h.id = r.head JOIN {m}.spans c ON c.id = r.child "
            "LEFT JOIN temp.team_label_map lh ON lh.old = h.label "
            "LEFT JOIN temp.team_label_map lc ON lc.old = c.label "
            "LEFT JOIN temp.team_label_map lr ON lr.old = r.label "
            "WHERE e.member = ?1 AND r.status = 'accepted'",
            [member],
        )
        unreadable = run(  # a merge would copy them, agreement count no token of them
            f"SELECT e.doc_id FROM temp.team_entries e {owner_tokens_joins(m)} "
            "WHERE e.member = ?1 AND unreadable_offsets(COALESCE(t.offsets, h.offsets)) LIMIT 1",
            [member],
        ).fetchone()
        if unreadable is not None:
            raise ValidationError(
                f"{self.files[member].path}: document {unreadable[0]}: its stored tokens are "
                "not whole offset pairs"
            )
        if tokens:
            run(
                "INSERT INTO temp.team_tokens "
                f"SELECT e.key, {OWNER_OFFSETS} FROM temp.team_entries e "
                "JOIN temp.team_docs k ON k.key = e.key AND k.owner = e.member "
                f"{owner_tokens_joins(m)} WHERE e.member = ?1",
                [member],
            )

    def group_relations(self) -> None:
        """``team_relations``: the relations by (document, ends, label), with the mask of who
        made each and the first met. A rowid numbers each (their ids are made from it)."""
        self.conn.executescript(
            """
            CREATE TEMP TABLE team_relations (
              key INTEGER, head_start INTEGER, head_end INTEGER, head_label TEXT,
              child_start INTEGER, child_end INTEGER, child_label TEXT, label TEXT,
              made_by INTEGER, first INTEGER);
            INSERT INTO temp.team_relations
              SELECT key, head_start, head_end, head_label, child_start, child_end, child_label,
                     label, sum(DISTINCT 1 << member), min((member << 40) + ord)
              FROM temp.team_links
              GROUP BY key, head_start, head_end, head_label, child_start, child_end,
                       child_label, label;
            CREATE INDEX temp.team_relations_key ON team_relations (key);
            """
        )


OWNER_OFFSETS = "stored_offsets(COALESCE(t.offsets, h.offsets))"
"""The token offsets of a document of the attached file: stored, else held in memory; as this
version stores them (``_stored_offsets``), so that files of two versions compare equal."""


def _unreadable_offsets(offsets: StoredOffsets | None) -> bool:
    """Whether a document's stored offsets are neither none nor whole pairs (a crafted file):
    whether they are in order and within the text, an export checks."""
    offsets = _stored_offsets(offsets)
    return offsets is not None and (not isinstance(offsets, bytes) or len(offsets) % 8 != 0)


def _stored_offsets(offsets: StoredOffsets | None) -> StoredOffsets | None:
    """``encode_offsets``' bytes for offsets stored as an earlier version did (JSON text);
    bytes, and what is not offsets (a crafted file, which its reader names), as they are."""
    if isinstance(offsets, str):
        try:
            return encode_tokens(decode_offsets(offsets))
        except (ValueError, TypeError, OverflowError):
            return offsets
    return offsets


def owner_tokens_joins(m: str) -> str:
    """The joins ``OWNER_OFFSETS`` reads from (``e``: the file's ``team_entries`` row)."""
    return (
        f"LEFT JOIN {m}.tokens t ON t.doc_id = e.doc_id "
        "LEFT JOIN temp.team_held h ON h.member = e.member AND h.doc_id = e.doc_id"
    )


def private_connection() -> sqlite3.Connection:
    """A connection of its own to a private temporary database (for ``TeamTables`` of a
    reader that writes no project: agreement)."""
    conn = sqlite3.connect("", check_same_thread=False)
    conn.isolation_level = None
    return conn
