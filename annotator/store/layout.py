"""What every migration applied to an empty database makes, written out: checking a file on
open then needs neither sqlite-utils nor running the migrations (a tenth of ``annotator
stats``). ``tests/test_store_integrity.py`` checks it against the migrations; after adding one,
print ``integrity.layout_from_migrations()`` and update these three tables."""

from __future__ import annotations

# the migrations (``store.migrations``), by name, in order: a file that lacks one is upgraded
MIGRATIONS: tuple[str, ...] = (
    "m001_initial",
    "m002_relation_endpoint_indexes",
    "m003_span_status_reason",
    "m004_learned_relation_patterns",
    "m005_documents_text_index",
    "m006_documents_priority",
    "m007_document_list_indexes",
    "m008_span_places",
)

SPAN_PLACES_JOINED = (
    "doc_id, count(*), group_concat(ifnull(id, ''), ' '), group_concat(start), "
    "group_concat(\"end\"), group_concat(label, ' ')"
)
"""A document's spans as one row, grouped by ``doc_id`` (``Project.export_rows``,
``"places"``, and the ``span_places`` table, m008): labels hold no space (``model.labels``); an
id that does (from a crafted file) shows as one id too many. A NULL id (SQLite lets a text
primary key be NULL) is joined as "", not skipped: ``group_concat`` skips NULLs, and the ids
would have lost their places beside the offsets."""

# table: its columns
TABLES: dict[str, tuple[str, ...]] = {
    "_sqlite_migrations": ("applied_at", "id", "migration_set", "name"),
    "meta": ("key", "value"),
    "documents": (
        "created_at",
        "id",
        "meta",
        "priority",
        "revision",
        "status",
        "text",
        "text_hash",
    ),
    "tokens": ("doc_id", "offsets"),
    "spans": (
        "aligned",
        "doc_id",
        "edited",
        "end",
        "id",
        "label",
        "origin",
        "score",
        "start",
        "status",
        "status_reason",
    ),
    "relations": ("child", "doc_id", "head", "id", "label", "origin", "score", "status"),
    "edit_log": ("actor", "at", "description", "doc_id", "id", "kind", "payload"),
    "state": ("key", "value"),
    "learned_patterns": ("child_label", "created_at", "head_label", "id", "label", "pattern"),
    "documents_fts_data": ("block", "id"),
    "documents_fts_idx": ("pgno", "segid", "term"),
    "documents_fts_docsize": ("id", "sz"),
    "documents_fts_config": ("k", "v"),
    "document_counts": ("documents", "status"),
    "span_places": ("doc_id", "ends", "ids", "labels", "span_count", "starts"),
}
# index: (table, columns, unique)
INDEXES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "idx__sqlite_migrations_migration_set_name": (
        "_sqlite_migrations",
        ("migration_set", "name"),
        True,
    ),
    "idx_documents_text_hash": ("documents", ("text_hash",), True),
    "idx_documents_status": ("documents", ("status",), False),
    "idx_spans_doc_id_start": ("spans", ("doc_id", "start"), False),
    "idx_spans_label": ("spans", ("label",), False),
    "idx_relations_doc_id": ("relations", ("doc_id",), False),
    "idx_edit_log_doc_id": ("edit_log", ("doc_id",), False),
    "idx_relations_head": ("relations", ("head",), False),
    "idx_relations_child": ("relations", ("child",), False),
    "idx_documents_priority": ("documents", ("priority",), False),
    "idx_documents_id": ("documents", ("id",), False),
}
# trigger, view or virtual table: (kind, SQL with its whitespace folded)
STATEMENTS: dict[str, tuple[str, str]] = {
    "documents_fts": (
        "virtual table",
        'CREATE VIRTUAL TABLE "documents_fts" USING FTS5 ( "text", '
        "tokenize='trigram', content=\"documents\" )",
    ),
    "documents_ad": (
        "trigger",
        "CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN INSERT "
        "INTO documents_fts (documents_fts, rowid, text) VALUES ('delete', "
        "old.rowid, old.text); END",
    ),
    "documents_au": (
        "trigger",
        "CREATE TRIGGER documents_au AFTER UPDATE OF text ON documents BEGIN "
        "INSERT INTO documents_fts (documents_fts, rowid, text) VALUES "
        "('delete', old.rowid, old.text); INSERT INTO documents_fts (rowid, "
        "text) VALUES (new.rowid, new.text); END",
    ),
    "document_counts_ai": (
        "trigger",
        "CREATE TRIGGER document_counts_ai AFTER INSERT ON documents BEGIN "
        "INSERT INTO document_counts (status, documents) VALUES (new.status, 1) "
        "ON CONFLICT (status) DO UPDATE SET documents = documents + 1; END",
    ),
    "document_counts_ad": (
        "trigger",
        "CREATE TRIGGER document_counts_ad AFTER DELETE ON documents BEGIN "
        "UPDATE document_counts SET documents = documents - 1 WHERE status = "
        "old.status; END",
    ),
    "document_counts_au": (
        "trigger",
        "CREATE TRIGGER document_counts_au AFTER UPDATE OF status ON documents "
        "WHEN new.status IS NOT old.status BEGIN UPDATE document_counts SET "
        "documents = documents - 1 WHERE status = old.status; INSERT INTO "
        "document_counts (status, documents) VALUES (new.status, 1) ON CONFLICT "
        "(status) DO UPDATE SET documents = documents + 1; END",
    ),
    "span_places_bi": (
        "trigger",
        "CREATE TRIGGER span_places_bi BEFORE INSERT ON spans BEGIN DELETE FROM "
        "span_places WHERE doc_id IN ( CASE WHEN new.status = 'accepted' THEN "
        "new.doc_id END, (SELECT doc_id FROM spans WHERE id = new.id AND status = "
        "'accepted')); END",
    ),
    "span_places_ad": (
        "trigger",
        "CREATE TRIGGER span_places_ad AFTER DELETE ON spans WHEN old.status = "
        "'accepted' BEGIN DELETE FROM span_places WHERE doc_id = old.doc_id; END",
    ),
    "span_places_bu": (
        "trigger",
        'CREATE TRIGGER span_places_bu BEFORE UPDATE OF id, doc_id, start, "end", '
        "label, status ON spans WHEN old.status = 'accepted' OR new.status = 'accepted' "
        "OR new.id IS NOT old.id BEGIN DELETE FROM span_places WHERE doc_id IN "
        "(old.doc_id, new.doc_id, (SELECT doc_id FROM spans WHERE id = new.id AND "
        "status = 'accepted')); END",
    ),
}
