"""Schema of the project file, as ``sqlite_utils.Migrations`` so older files upgrade on open."""

from __future__ import annotations

from annotator.store.layout import SPAN_PLACES_JOINED
from annotator.store.sqlite import Database, Migrations

migrations = Migrations("annotator")
FILLED_ON_UPGRADE = 2_000_000
"""Spans (by the highest rowid) up to which upgrading a file to m008 makes every document's
row at once, about 1 s: a larger pool's documents get theirs as they are edited, and the
export reads the others from ``spans`` as before."""


@migrations()
def m001_initial(db: Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["documents"].create(
        {
            "id": int,
            "text": str,
            "text_hash": str,
            "meta": str,
            "status": str,
            "revision": int,
            "created_at": str,
        },
        pk="id",
        not_null={"text", "text_hash", "status"},
        defaults={"status": "new", "revision": 0, "meta": "{}"},
    )
    db["documents"].create_index(["text_hash"], unique=True)
    db["documents"].create_index(["status"])
    db["tokens"].create({"doc_id": int, "offsets": str}, pk="doc_id")
    db["spans"].create(
        {
            "id": str,
            "doc_id": int,
            "start": int,
            "end": int,
            "label": str,
            "origin": str,
            "status": str,
            "score": float,
            "edited": int,
            "aligned": int,
        },
        pk="id",
        not_null={"doc_id", "start", "end", "label", "origin", "status"},
        defaults={"edited": 0, "aligned": 1},
    )
    db["spans"].create_index(["doc_id", "start"])
    db["spans"].create_index(["label"])
    db["relations"].create(
        {
            "id": str,
            "doc_id": int,
            "head": str,
            "child": str,
            "label": str,
            "origin": str,
            "status": str,
            "score": float,
        },
        pk="id",
        not_null={"doc_id", "head", "child", "label", "origin", "status"},
    )
    db["relations"].create_index(["doc_id"])
    db["edit_log"].create(
        {
            "id": int,
            "at": str,
            "actor": str,
            "kind": str,
            "doc_id": int,
            "description": str,
            "payload": str,
        },
        pk="id",
    )
    db["edit_log"].create_index(["doc_id"])
    db["state"].create({"key": str, "value": str}, pk="key")


@migrations()
def m002_relation_endpoint_indexes(db: Database) -> None:
    """Removing or relabelling a span looks up the relations that hang on it."""
    db["relations"].create_index(["head"])
    db["relations"].create_index(["child"])


@migrations()
def m003_span_status_reason(db: Database) -> None:
    """Why a span has its status when no person set it, e.g. a suggestion superseded by a
    person's decision on the same tokens; empty for the spans of older files."""
    db["spans"].add_column("status_reason", str)


@migrations()
def m004_learned_relation_patterns(db: Database) -> None:
    """Relation patterns learned from accepted relations (``store.learned``)."""
    db["learned_patterns"].create(
        {
            "id": str,
            "label": str,
            "head_label": str,
            "child_label": str,
            "pattern": str,
            "created_at": str,
        },
        pk="id",
        not_null={"label", "head_label", "child_label", "pattern"},
    )


@migrations()
def m005_documents_text_index(db: Database) -> None:
    """A trigram FTS5 index of the texts, so the document list's text filter answers from an
    index on a pool of millions of documents instead of scanning every text (see ``listing``).

    New documents are indexed by ``Project.add_document_rows``, or, for an import, after it
    (``Project.index_texts``, up to the border ``text_index_from``): an insert trigger, one
    index insert a row, made an import four times slower.
    sqlite-utils' own update trigger would re-index a text at every status change; the one
    here fires on the text alone.
    """
    db["documents"].enable_fts(["text"], tokenize="trigram", create_triggers=False)
    db.executescript(
        """
        CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
          INSERT INTO documents_fts (documents_fts, rowid, text)
          VALUES ('delete', old.rowid, old.text);
        END;
        CREATE TRIGGER documents_au AFTER UPDATE OF text ON documents BEGIN
          INSERT INTO documents_fts (documents_fts, rowid, text)
          VALUES ('delete', old.rowid, old.text);
          INSERT INTO documents_fts (rowid, text) VALUES (new.rowid, new.text);
        END;
        """
    )


@migrations()
def m006_documents_priority(db: Database) -> None:
    """``annotator sample`` without ``--into`` ranks documents (1 first) for the list to sort by."""
    db["documents"].add_column("priority", int)
    db["documents"].create_index(["priority"])


@migrations()
def m007_document_list_indexes(db: Database) -> None:
    """What the window reads on open, without work proportional to the pool.

    The ids alone, in order: the document list reads them from this index, about 9 bytes a
    document, rather than from the table, where they sit between the texts. And the documents
    per status, kept by triggers (counting a million rows of the status index takes 80 ms of
    CPU, and the progress bar, the status bar and the suggestions bar each asked on open).
    """
    db["documents"].create_index(["id"])
    db["document_counts"].create(
        {"status": str, "documents": int}, pk="status", not_null={"documents"}
    )
    db.executescript(
        """
        INSERT INTO document_counts (status, documents)
          SELECT status, count(*) FROM documents GROUP BY status;
        CREATE TRIGGER document_counts_ai AFTER INSERT ON documents BEGIN
          INSERT INTO document_counts (status, documents) VALUES (new.status, 1)
            ON CONFLICT (status) DO UPDATE SET documents = documents + 1;
        END;
        CREATE TRIGGER document_counts_ad AFTER DELETE ON documents BEGIN
          UPDATE document_counts SET documents = documents - 1 WHERE status = old.status;
        END;
        CREATE TRIGGER document_counts_au AFTER UPDATE OF status ON documents
        WHEN new.status IS NOT old.status BEGIN
          UPDATE document_counts SET documents = documents - 1 WHERE status = old.status;
          INSERT INTO document_counts (status, documents) VALUES (new.status, 1)
            ON CONFLICT (status) DO UPDATE SET documents = documents + 1;
        END;
        """
    )


@migrations()
def m008_span_places(db: Database) -> None:
    """Each document's accepted spans as one row of joined columns, what the exports that write
    spans' places read (``Project.export_rows``, ``"places"``), kept rather than joined by
    ``group_concat`` at each export (0.13 of the doccano export's 0.9 CPU s, 10,000 documents).

    A row is only ever right or absent: these triggers delete a document's row whenever one of
    its accepted spans is inserted, deleted or changed in a column the row holds, whatever
    program writes it, and the export reads a document without a row from ``spans``. They run
    before the write, so that a span an ``INSERT OR REPLACE`` (or ``UPDATE OR REPLACE``) puts
    in the place of another, which SQLite deletes without its delete trigger, takes that
    span's document's row away too. Rows are made again when a transaction that moved
    documents' revisions ends, and after an import (``Project.keep_span_places``). The insert
    trigger costs SQLite about 1.5 µs a row (as much with a ``WHEN`` that is false): a bulk
    insert of spans drops it for its statement and deletes its documents' rows itself
    (``Project.span_inserts_unwatched``).
    """
    db["span_places"].create(
        {"doc_id": int, "span_count": int, "ids": str, "starts": str, "ends": str, "labels": str},
        pk="doc_id",
    )
    db.executescript(
        """
        CREATE TRIGGER span_places_bi BEFORE INSERT ON spans BEGIN
          DELETE FROM span_places WHERE doc_id IN (
            CASE WHEN new.status = 'accepted' THEN new.doc_id END,
            (SELECT doc_id FROM spans WHERE id = new.id AND status = 'accepted'));
        END;
        CREATE TRIGGER span_places_ad AFTER DELETE ON spans
        WHEN old.status = 'accepted' BEGIN
          DELETE FROM span_places WHERE doc_id = old.doc_id;
        END;
        CREATE TRIGGER span_places_bu
        BEFORE UPDATE OF id, doc_id, start, "end", label, status ON spans
        WHEN old.status = 'accepted' OR new.status = 'accepted' OR new.id IS NOT old.id BEGIN
          DELETE FROM span_places WHERE doc_id IN (old.doc_id, new.doc_id,
            (SELECT doc_id FROM spans WHERE id = new.id AND status = 'accepted'));
        END;
        """
    )
    (last,) = db.execute("SELECT ifnull(max(rowid), 0) FROM spans").fetchone()
    if last <= FILLED_ON_UPGRADE:
        db.execute(
            "INSERT INTO span_places (doc_id, span_count, ids, starts, ends, labels) "
            f"SELECT {SPAN_PLACES_JOINED} FROM spans WHERE status = 'accepted' GROUP BY doc_id"
        )
