"""What agreement counts, read from ``TeamTables`` as a few small tables: SQL groups the
versions of the documents two or more annotators finished by who made them (a bit mask), so
that Python adds up a few hundred rows, not a million spans (``services.agreement``).

Every query keeps to the shared documents (``everyone >= 2``) and gives, with each count, the
mask of the annotators who finished the document (``members``): a pair of annotators is
measured on the documents both finished.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import groupby, islice
from operator import itemgetter

from annotator.model.document import StoredOffsets
from annotator.store.team_tables import TeamTables

_SHARED = "JOIN temp.team_docs k ON k.key = v.key WHERE k.everyone >= 2"


def shared_documents(tables: TeamTables) -> list[tuple[int, int]]:
    """(members, documents) of the shared documents."""
    return tables.conn.execute(
        "SELECT members, count(*) FROM temp.team_docs WHERE everyone >= 2 GROUP BY members"
    ).fetchall()


def offsets_labels(tables: TeamTables) -> list[tuple[list[tuple[str, int]], int, int]]:
    """([(label, made by), ...], members, places): the labels given at the same offsets of a
    document, for the confusion table, with how many places have that combination."""
    rows = tables.conn.execute(
        "SELECT labels, members, count(*) FROM ("
        "SELECT json_group_array(json_array(v.label, v.accepted_by)) AS labels, k.members "
        f"FROM temp.team_versions v {_SHARED} GROUP BY v.key, v.start, v.end) "
        "GROUP BY labels, members"
    )
    return [
        ([(label, made_by) for label, made_by in json.loads(labels)], m, n) for labels, m, n in rows
    ]


def relation_counts(tables: TeamTables) -> list[tuple[int, int, int]]:
    """(made by, members, relations) of the shared documents."""
    return tables.conn.execute(
        "SELECT v.made_by, k.members, count(*) FROM temp.team_relations v "
        f"{_SHARED} GROUP BY v.made_by, k.members"
    ).fetchall()


def labels(tables: TeamTables) -> list[str]:
    """Every label of the shared documents' versions."""
    return [
        label
        for (label,) in tables.conn.execute(
            f"SELECT DISTINCT v.label FROM temp.team_versions v {_SHARED} ORDER BY v.label"
        )
    ]


def token_batches(
    tables: TeamTables, label_index: dict[str, int], size: int
) -> Iterator[tuple[int, list[StoredOffsets], str]]:
    """Shared documents ``size`` at a time, each batch finished by the same annotators:
    (members, each document's stored offsets, its versions as one string of numbers
    ``document,start,end,label,made by,...`` with ``document`` the place in the batch and
    ``label`` from ``label_index``); C builds the string, numpy reads it."""
    conn = tables.conn
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS team_label_index (label TEXT PRIMARY KEY, i)")
    conn.execute("DELETE FROM temp.team_label_index")
    conn.executemany("INSERT INTO temp.team_label_index VALUES (?, ?)", label_index.items())
    documents = conn.execute(  # a cursor: only a batch of documents in memory at a time
        "SELECT members, key FROM temp.team_docs WHERE everyone >= 2 ORDER BY members, key"
    )
    for members, rows in groupby(documents, key=itemgetter(0)):
        while batch := list(islice(rows, size)):
            keys = json.dumps([key for _members, key in batch])
            offsets = [
                found
                for (found,) in conn.execute(
                    "SELECT t.offsets FROM json_each(?1) p "
                    "JOIN temp.team_tokens t ON t.key = p.value ORDER BY p.key",
                    [keys],
                )
            ]
            (versions,) = conn.execute(
                "SELECT group_concat(p.key || ',' || v.start || ',' || v.end || ',' || "
                "l.i || ',' || v.accepted_by) FROM json_each(?1) p "
                "JOIN temp.team_versions v ON v.key = p.value "
                "JOIN temp.team_label_index l ON l.label = v.label",
                [keys],
            ).fetchone()
            yield members, offsets, versions or ""
