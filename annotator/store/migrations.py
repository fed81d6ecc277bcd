"""Schema of the project file, as ``sqlite_utils.Migrations`` so older files upgrade on open."""

from __future__ import annotations

from annotator.store.sqlite import Database, Migrations

migrations = Migrations("annotator")


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
