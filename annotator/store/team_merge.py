"""The merged project written from ``TeamTables`` in SQL: documents, versions and relations are
copied by ``INSERT ... SELECT``, not row by row through Python (``services.team`` decides
what a version is; this module writes it).

What the versions are, as ``services.team.merge_projects`` says: a span someone accepted is
a pending suggestion made by those who accepted it; an end of an accepted relation that
nobody accepted is one too, made by those who made the relation (the first one met, reading
the files in order); a span everybody rejected stays rejected. Documents in dispute take the
ids from the first up, the others from the last down, both in text-hash order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from annotator.errors import ProjectError, ValidationError
from annotator.model.document import decode_offsets
from annotator.model.validation import TokenBoundaries
from annotator.store.project import Project, _now
from annotator.store.team_tables import OWNER_OFFSETS, TeamTables, owner_tokens_joins

WHO = "COALESCE(v.accepted_by, v.linked_by, v.rejected_by)"  # a version's makers


@dataclass
class MergeCounts:
    documents: int
    shared: int  # documents two or more files have
    unmatched: dict[int, int]  # documents only one file has, by file
    versions: int  # spans written as pending suggestions
    disputed: int
    relations: int


def check_decisions(tables: TeamTables, entity_labels: Sequence[str]) -> None:
    """A span (or a relation's end) not within its text, or with a label the schema does not
    have: one line naming the file and its document."""
    conn = tables.conn
    conn.execute("CREATE TEMP TABLE team_labels (name TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO temp.team_labels VALUES (?)", [(n,) for n in entity_labels])
    labels = "(SELECT name FROM temp.team_labels)"
    bad = conn.execute(  # the texts are the same: the first file with the span holds it
        "SELECT first_member, key, start, end, label FROM temp.team_versions "
        f"WHERE outside OR label NOT IN {labels} LIMIT 1"
    ).fetchone()
    if bad is None:
        bad = conn.execute(
            "SELECT member, key, start, end, label FROM (SELECT member, key, head_start start, "
            "head_end end, head_label label FROM temp.team_links WHERE outside "
            f"OR head_label NOT IN {labels} UNION ALL SELECT member, key, child_start, "
            "child_end, child_label FROM temp.team_links WHERE outside "
            f"OR child_label NOT IN {labels}) LIMIT 1"
        ).fetchone()
    if bad is not None:
        member, key, start, end, label = bad
        raise ValidationError(
            f"{_holder(tables, member, key)}: span [{start}, {end}) {label!r} "
            "is not within its text or not a label of the schema"
        )


def relation_triples(tables: TeamTables) -> list[tuple[str, str, str]]:
    """Each (relation label, head label, child label) the files' accepted relations have."""
    return tables.conn.execute(
        "SELECT DISTINCT label, head_label, child_label FROM temp.team_links"
    ).fetchall()


def relation_holder(tables: TeamTables, triple: tuple[str, str, str]) -> str:
    """``FILE: document N`` of the first relation with these labels."""
    member, key = tables.conn.execute(
        "SELECT member, key FROM temp.team_links WHERE label = ? AND head_label = ? "
        "AND child_label = ? ORDER BY member, ord LIMIT 1",
        triple,
    ).fetchone()
    return _holder(tables, member, key)


def _holder(tables: TeamTables, member: int, key: int) -> str:
    (doc_id,) = tables.conn.execute(
        "SELECT doc_id FROM temp.team_entries WHERE member = ? AND key = ?", [member, key]
    ).fetchone()
    return f"{tables.files[member].path}: document {doc_id}"


def settle_versions(tables: TeamTables, first_id: int) -> None:
    """Who makes each version, which documents are in dispute, and each document's id (from
    ``first_id``), status and annotators' statuses."""
    conn = tables.conn
    conn.executescript(
        """
        INSERT OR IGNORE INTO temp.team_versions (key, start, end, label, aligned, number)
          SELECT key, head_start, head_end, head_label, head_aligned, head_number
          FROM temp.team_links
          UNION ALL
          SELECT key, child_start, child_end, child_label, child_aligned, child_number
          FROM temp.team_links;
        UPDATE temp.team_versions AS v SET linked_by = (
          SELECT made_by FROM temp.team_relations r WHERE r.key = v.key AND (
            (r.head_start = v.start AND r.head_end = v.end AND r.head_label = v.label)
            OR (r.child_start = v.start AND r.child_end = v.end AND r.child_label = v.label))
          ORDER BY r.first LIMIT 1)
        WHERE accepted_by IS NULL;
        CREATE INDEX temp.team_links_member ON team_links (key, member);
        ALTER TABLE temp.team_docs ADD COLUMN workers INTEGER;
        ALTER TABLE temp.team_docs ADD COLUMN working INTEGER;
        UPDATE temp.team_docs SET workers = w.mask, working = w.count FROM (
          SELECT e.key, sum(1 << e.member) AS mask, count(*) AS count
          FROM temp.team_entries e
          WHERE e.status IN ('in_progress', 'done')
            OR EXISTS (SELECT 1 FROM temp.team_versions v WHERE v.key = e.key
                       AND ((COALESCE(v.accepted_by, 0) | COALESCE(v.rejected_by, 0))
                            >> e.member) & 1)
            OR EXISTS (SELECT 1 FROM temp.team_links l WHERE l.key = e.key
                       AND l.member = e.member)
          GROUP BY e.key) AS w
        WHERE w.key = team_docs.key;
        UPDATE temp.team_docs SET workers = 0, working = 0 WHERE workers IS NULL;
        ALTER TABLE temp.team_docs ADD COLUMN disputed INTEGER;
        ALTER TABLE temp.team_docs ADD COLUMN doc_id INTEGER;
        ALTER TABLE temp.team_docs ADD COLUMN status TEXT;
        ALTER TABLE temp.team_docs ADD COLUMN annotators TEXT;
        UPDATE temp.team_docs SET disputed = working > 1 AND (
          EXISTS (SELECT 1 FROM temp.team_versions v WHERE v.key = team_docs.key
                  AND v.accepted_by IS NOT NULL AND v.accepted_by != team_docs.workers)
          OR EXISTS (SELECT 1 FROM temp.team_relations r WHERE r.key = team_docs.key
                     AND r.made_by != team_docs.workers));
        """
    )
    total = conn.execute("SELECT count(*) FROM temp.team_docs").fetchone()[0]
    conn.execute(
        "UPDATE temp.team_docs SET doc_id = CASE WHEN n.disputed THEN ?1 + n.number - 1 "
        "ELSE ?1 + ?2 - n.number END "
        "FROM (SELECT key, disputed, row_number() OVER (PARTITION BY disputed ORDER BY hash) "
        "AS number FROM temp.team_docs) AS n WHERE n.key = team_docs.key",
        [first_id, total],
    )
    conn.execute(
        "UPDATE temp.team_docs SET annotators = a.statuses, status = a.status FROM ("
        "SELECT e.key, json_group_object(n.name, e.status) AS statuses, CASE WHEN "
        "max(e.status IN ('in_progress', 'done')) THEN 'in_progress' ELSE 'new' END AS status "
        "FROM (SELECT * FROM temp.team_entries ORDER BY key, member) e "
        "JOIN temp.team_names n ON n.member = e.member GROUP BY e.key) AS a "
        "WHERE a.key = team_docs.key"
    )


def version_makers(tables: TeamTables) -> list[tuple[int, int]]:
    """Each (makers' mask, how many annotators worked on the document) of the versions and
    relations to write: their origin and score are the caller's (``write_merged``). Who
    worked on a document (``settle_versions``): its status in progress or done in their
    file, or a decision of theirs in it; one who skipped it or never opened it is not a
    disagreement."""
    return tables.conn.execute(
        f"SELECT DISTINCT {WHO}, k.working FROM temp.team_versions v "
        "JOIN temp.team_docs k ON k.key = v.key UNION "
        "SELECT r.made_by, k.working FROM temp.team_relations r "
        "JOIN temp.team_docs k ON k.key = r.key"
    ).fetchall()


def write_merged(
    merged: Project,
    tables: TeamTables,
    origins: dict[tuple[int, int], tuple[str, float]],
) -> MergeCounts:
    """Write the documents (text, meta and tokens from their owner), versions and relations
    into ``merged``; refused when a file's tokens for a text differ from its owner's.
    ``origins``: ``(makers, everyone) -> (origin, score)`` of each of ``version_makers``."""
    conn = tables.conn
    conn.execute(
        "CREATE TEMP TABLE team_origins (made_by INTEGER, everyone INTEGER, origin TEXT, "
        "score REAL, PRIMARY KEY (made_by, everyone))"
    )
    conn.executemany(
        "INSERT INTO temp.team_origins VALUES (?, ?, ?, ?)",
        [(*key, *value) for key, value in origins.items()],
    )
    for member in range(len(tables.files)):
        with tables.attached(member) as m, merged.transaction(), merged.documents_counted_after():
            _check_tokens(tables, member, m)
            _write_documents(tables, member, m, _now())
    total = conn.execute("SELECT count(*) FROM temp.team_docs").fetchone()[0]
    if merged.count_documents() != total:
        raise ProjectError(
            f"{merged.path}: the projects changed while they were merged; merge again"
        )
    with merged.transaction():
        _write_versions(merged, tables)
        merged.leave_to_text_index(1)  # as an import does: the window catches it up
    return _counts(tables)


def _write_versions(merged: Project, tables: TeamTables) -> None:
    """The versions as spans, and the relations between them. Ids are a random run and the
    row's number (``consecutive_ids``' form), written in that order: the id index grows at
    its end."""
    spans_run, relations_run = os.urandom(8).hex(), os.urandom(8).hex()
    # none accepted: no document's joined spans to make again (m008), and no trigger a row
    with merged.span_inserts_unwatched(()):
        tables.conn.execute(
            "INSERT INTO main.spans (id, doc_id, start, end, label, origin, status, score, "
            "edited, aligned, status_reason) "
            "SELECT printf('%s%016x', ?1, v.number), k.doc_id, v.start, v.end, v.label, "
            "o.origin, CASE WHEN v.accepted_by IS NULL AND v.linked_by IS NULL THEN 'rejected' "
            "ELSE 'suggested' END, o.score, 0, v.aligned, NULL "
            "FROM temp.team_versions v JOIN temp.team_docs k ON k.key = v.key "
            f"JOIN temp.team_origins o ON o.made_by = {WHO} AND o.everyone = k.working "
            "ORDER BY v.number",
            [spans_run],
        )
    _flag_unknown_alignment(merged)
    tables.conn.execute(
        "INSERT INTO main.relations (id, doc_id, head, child, label, origin, status, score) "
        "SELECT printf('%s%016x', ?2, r.rowid), k.doc_id, printf('%s%016x', ?1, h.number), "
        "printf('%s%016x', ?1, c.number), r.label, o.origin, 'suggested', o.score "
        "FROM temp.team_relations r JOIN temp.team_docs k ON k.key = r.key "
        "JOIN temp.team_versions h ON h.key = r.key AND h.start = r.head_start "
        "AND h.end = r.head_end AND h.label = r.head_label "
        "JOIN temp.team_versions c ON c.key = r.key AND c.start = r.child_start "
        "AND c.end = r.child_end AND c.label = r.child_label "
        "JOIN temp.team_origins o ON o.made_by = r.made_by AND o.everyone = k.working",
        [spans_run, relations_run],
    )


def _check_tokens(tables: TeamTables, member: int, m: str) -> None:
    """The file's tokens of each text an earlier file owns are the owner's, as written."""
    found = tables.conn.execute(
        "SELECT e.doc_id, k.owner FROM temp.team_entries e "
        f"JOIN temp.team_docs k ON k.key = e.key {owner_tokens_joins(m)} "
        "JOIN main.tokens w ON w.doc_id = k.doc_id "
        f"WHERE e.member = ?1 AND k.owner != ?1 AND {OWNER_OFFSETS} IS NOT w.offsets LIMIT 1",
        [member],
    ).fetchone()
    if found is not None:
        doc_id, owner = found
        raise ValidationError(
            f"{tables.files[member].path}: document {doc_id} has other tokens than in "
            f"{tables.files[owner].path}; projects made with different tokenizers cannot be "
            "merged"
        )


def _write_documents(tables: TeamTables, member: int, m: str, now: str) -> None:
    """The documents ``member`` owns: its text and meta (with every annotator's status) and
    tokens, under the merged id."""
    conn = tables.conn
    conn.execute(
        "INSERT INTO main.documents (id, text, text_hash, meta, status, revision, created_at) "
        "SELECT k.doc_id, d.text, d.text_hash, json_set(COALESCE(NULLIF(d.meta, ''), '{}'), "
        "'$.annotators', json(k.annotators)), k.status, 0, ?2 "
        f"FROM temp.team_docs k JOIN {m}.documents d ON d.text_hash = k.hash "
        "WHERE k.owner = ?1 ORDER BY k.doc_id",
        [member, now],
    )
    conn.execute(
        f"INSERT INTO main.tokens (doc_id, offsets) SELECT k.doc_id, {OWNER_OFFSETS} "
        "FROM temp.team_docs k JOIN temp.team_entries e ON e.key = k.key AND e.member = ?1 "
        f"{owner_tokens_joins(m)} WHERE k.owner = ?1 AND {OWNER_OFFSETS} IS NOT NULL",
        [member],
    )


def _flag_unknown_alignment(merged: Project) -> None:
    """Versions copied from spans whose alignment no file knew (documents tokenized in memory
    only): flagged from the merged tokens."""
    unknown = merged.db.conn.execute(
        "SELECT s.id, s.start, s.end, t.offsets FROM main.spans s "
        "JOIN main.tokens t ON t.doc_id = s.doc_id WHERE s.aligned IS NULL"
    ).fetchall()
    bounds: dict[str, TokenBoundaries] = {}
    flags = []
    for span_id, start, end, offsets in unknown:
        known = bounds.get(offsets) or bounds.setdefault(
            offsets, TokenBoundaries(decode_offsets(offsets))
        )
        flags.append((int(known.aligned(start, end)), span_id))
    merged.db.conn.executemany("UPDATE main.spans SET aligned = ? WHERE id = ?", flags)


def _counts(tables: TeamTables) -> MergeCounts:
    def one(sql: str) -> int:
        return int(tables.conn.execute(sql).fetchone()[0])

    return MergeCounts(
        documents=one("SELECT count(*) FROM temp.team_docs"),
        shared=one("SELECT count(*) FROM temp.team_docs WHERE everyone > 1"),
        unmatched=dict(
            tables.conn.execute(
                "SELECT owner, count(*) FROM temp.team_docs WHERE everyone = 1 GROUP BY owner"
            ).fetchall()
        ),
        versions=one(
            "SELECT count(*) FROM temp.team_versions "
            "WHERE accepted_by IS NOT NULL OR linked_by IS NOT NULL"
        ),
        disputed=one("SELECT count(*) FROM temp.team_docs WHERE disputed"),
        relations=one("SELECT count(*) FROM temp.team_relations"),
    )
