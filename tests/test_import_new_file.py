"""The bulk paths of ``annotator import`` into a new project file: the rollback journal it
writes through, what a crash leaves, and the span rows written in runs (``add_span_rows``)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from annotator.model import Document, LabelSchema, text_hash
from annotator.model.schema import EntityLabel
from annotator.services.importing import import_into_file
from annotator.store import Project
from annotator.store import project as store_project

ROOT = Path(__file__).resolve().parents[1]


def _doccano(path: Path, count: int = 40) -> Path:
    lines = []
    for number in range(count):
        text = f"Marie Curie {number} travaille pour Acme à Paris."
        entities = [
            {"id": 1, "start_offset": 0, "end_offset": 11, "label": "PER"},
            {"id": 2, "start_offset": 34, "end_offset": 38, "label": "ORG"},
        ]
        relations = [{"id": 1, "from_id": 1, "to_id": 2, "type": "works_for"}]
        lines.append(
            json.dumps({"id": number, "text": text, "entities": entities, "relations": relations})
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _journal_mode(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def test_a_new_project_is_back_in_wal_mode_with_no_journal_left(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    report, created = import_into_file(path, [_doccano(tmp_path / "in.jsonl")], format="doccano")
    assert created and report.documents == 40 and report.spans == 80
    assert _journal_mode(path) == "wal"
    assert not Path(f"{path}-journal").exists()
    with Project.open(path) as project:
        assert project.count_documents() == 40
        assert project.db.execute("SELECT count(*) FROM relations").fetchone()[0] == 40


def test_the_rollback_journal_is_used_inside_and_wal_after(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.annotator") as project:
        with project.rollback_journal():
            assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_another_connection_keeps_the_wal_without_waiting(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        reader = sqlite3.connect(path)
        try:
            reader.execute("SELECT count(*) FROM documents").fetchone()  # has the file open
            started = time.perf_counter()
            with project.rollback_journal():
                assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                project.add_document(Document(text="Une phrase."))
            assert time.perf_counter() - started < 2  # not the 5 s busy timeout
            assert project.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        finally:
            reader.close()
        assert project.count_documents() == 1


def test_a_reader_at_the_end_leaves_the_file_in_rollback_mode_without_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        project.db.execute("PRAGMA busy_timeout = 100")  # else 5 s before giving up
        reader = sqlite3.connect(path)
        try:
            with project.rollback_journal():
                project.add_document(Document(text="Une phrase."))
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM documents").fetchone()  # holds a lock
            assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        finally:
            reader.close()
    with Project.open(path) as project:  # the next writer's open: WAL again
        assert project.count_documents() == 1
    assert _journal_mode(path) == "wal"


def test_a_crash_in_the_middle_of_the_import_leaves_the_empty_project(tmp_path: Path) -> None:
    """The process dies after a few batches are written, before the commit: the next open
    rolls the journal back, and the file is the project as created, with no document."""
    path = tmp_path / "p.annotator"
    source = _doccano(tmp_path / "in.jsonl", count=2000)
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from annotator.services import importing\n"
        "importing.BATCH_RECORDS = 100\n"
        "asked = 0\n"
        "def cancel():\n"
        "    global asked\n"
        "    asked += 1\n"
        "    if asked == 1500:\n"
        "        os._exit(3)  # no cleanup, no rollback: as a crash\n"
        "    return False\n"
        f"importing.import_into_file(Path({str(path)!r}), [Path({str(source)!r})], "
        "format='doccano', cancel=cancel)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 3, done.stderr
    assert Path(f"{path}-journal").exists()  # the import had written pages of its own
    with Project.open(path) as project:
        assert project.count_documents() == 0
        assert project.db.execute("SELECT count(*) FROM spans").fetchone()[0] == 0
    assert _journal_mode(path) == "wal"
    assert not Path(f"{path}-journal").exists()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project.create(
        tmp_path / "runs.annotator",
        schema=LabelSchema(entities=[EntityLabel(name="PER"), EntityLabel(name="ORG")]),
    )
    text = "Marie Curie et Pierre Curie travaillent chez Acme."
    project.add_document_rows([(text, text_hash(text), "{}", "new", None)])  # no tokens yet
    yield project
    project.close()


def _row(number: int, origin: str, status: str = "accepted", score: float | None = None):
    return (f"s{number:03d}", 1, number, number + 1, "PER", origin, status, score, False)


def test_span_runs_store_the_rows_as_given_in_their_order(project: Project) -> None:
    """Runs of shared columns written as SQL literals, runs of values that are not written
    so (a quote, non-ASCII, a control character), short runs: the same rows either way."""
    quote = "pattern:l'équipe"
    rows = [
        *(_row(n, "import:doccano") for n in range(20)),  # a long run: literals
        *(_row(n, "import:o'brien") for n in range(20, 40)),  # a quote, escaped
        *(_row(n, quote) for n in range(40, 45)),  # non-ASCII: bound
        _row(45, "import:doccano", "suggested", 0.5),  # a run of one
        *(_row(n, "rule:a\tb", "rejected", 0.25) for n in range(46, 49)),  # a tab: bound
    ]
    assert project.add_span_rows(rows) == (49, 0)
    stored = project.db.execute(
        "SELECT id, doc_id, start, end, label, origin, status, score, edited, aligned, "
        "status_reason FROM spans ORDER BY rowid"
    ).fetchall()
    assert stored == [(*row[:8], 0, None, None) for row in rows]
    types = project.db.execute(
        "SELECT DISTINCT typeof(origin), typeof(status), typeof(edited), typeof(aligned), "
        "typeof(status_reason) FROM spans"
    ).fetchall()
    assert types == [("text", "text", "integer", "null", "null")]


def test_span_runs_take_the_literal_path_only_for_plain_values() -> None:
    assert store_project._sql_literals(("import:o'brien", "accepted", 0, None, None)) == (
        "'import:o''brien', 'accepted', 0, NULL, NULL"
    )
    for odd in ("é", "a\x00b", "a\nb", 2**63, 1.5, True):
        assert store_project._sql_literals(("import:doccano", odd)) is None


def test_a_span_id_used_twice_in_a_run_is_refused_and_nothing_is_kept(project: Project) -> None:
    rows = [_row(n, "import:doccano") for n in range(20)]
    rows.append(rows[3])
    with pytest.raises(Exception, match="a span id is already used"):
        project.add_span_rows(rows)
    assert project.db.execute("SELECT count(*) FROM spans").fetchone()[0] == 0


def _indexes(project: Project, table: str = "spans") -> list[tuple[str, str]]:
    return project.db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        [table],
    ).fetchall()


def _all_indexes(project: Project) -> list[tuple[str, str]]:
    return _indexes(project, "spans") + _indexes(project, "relations")


def test_the_annotation_indexes_are_made_again_as_they_were(tmp_path: Path) -> None:
    with Project.create(tmp_path / "fresh.annotator") as fresh:
        expected = _all_indexes(fresh)
        assert len(_indexes(fresh, "spans")) == 2 and len(_indexes(fresh, "relations")) == 3
    path = tmp_path / "p.annotator"
    import_into_file(path, [_doccano(tmp_path / "in.jsonl")], format="doccano")
    with Project.open(path) as project:  # the layout check on open passes
        assert project.db.execute("SELECT count(*) FROM relations").fetchone()[0] > 0
        assert _all_indexes(project) == expected
        for sql, index in [
            ("SELECT * FROM spans WHERE doc_id = 3", "idx_spans_doc_id_start"),
            ("SELECT * FROM relations WHERE head = 'x'", "idx_relations_head"),
        ]:
            assert index in str(project.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())


def test_inside_the_block_the_indexes_are_gone_until_asked_for(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.annotator") as project:
        expected = _all_indexes(project)
        with project.transaction(), project.annotations_indexed_after() as index_annotations:
            assert _all_indexes(project) == []
            index_annotations()
            assert _all_indexes(project) == expected
            index_annotations()  # once only
        assert _all_indexes(project) == expected


def test_a_table_with_rows_or_no_transaction_keeps_its_indexes(project: Project) -> None:
    expected = _all_indexes(project)
    with project.annotations_indexed_after():  # not in a transaction
        assert _all_indexes(project) == expected
    project.add_span_rows([_row(1, "import:doccano")])
    with project.transaction(), project.annotations_indexed_after():
        assert _indexes(project, "spans") == expected[:2]  # kept: the table has a span
        assert _indexes(project, "relations") == []  # still empty: dropped
    assert _all_indexes(project) == expected


def test_annotations_are_read_by_document_and_label_with_their_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text repeated in a later batch is merged into its document, which reads its spans
    and relations; a label first seen in a later batch makes the schema check the labels in use: the
    indexes are back by then (without them each would scan the whole table)."""
    from annotator.services import importing

    monkeypatch.setattr(importing, "BATCH_RECORDS", 10)
    path = _doccano(tmp_path / "in.jsonl", count=30)
    lines = path.read_text(encoding="utf-8").splitlines()
    late = json.loads(lines[25])
    late["entities"][1]["label"] = "LOC"  # a new label, batch 3
    lines[25] = json.dumps(late)
    lines.append(lines[2])  # the text of line 3, again in batch 4
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[int] = []
    spans, set_schema = Project.spans, Project.set_schema

    def counting_spans(self: Project, *args: object, **kwargs: object) -> object:
        seen.append(len(_all_indexes(self)))
        return spans(self, *args, **kwargs)

    def counting_set_schema(self: Project, *args: object, **kwargs: object) -> object:
        if self.db.execute("SELECT count(*) FROM spans").fetchone()[0]:
            seen.append(len(_all_indexes(self)))
        return set_schema(self, *args, **kwargs)

    monkeypatch.setattr(Project, "spans", counting_spans)
    monkeypatch.setattr(Project, "set_schema", counting_set_schema)
    report, _ = import_into_file(tmp_path / "p.annotator", [path], format="doccano")
    assert report.documents == 30 and report.repeated == 1
    assert seen and set(seen) == {5}


def _counts(project: Project) -> dict[str, int]:
    return dict(
        project.db.execute("SELECT status, documents FROM document_counts WHERE documents > 0")
    )


def _counted(project: Project) -> dict[str, int]:
    return dict(project.db.execute("SELECT status, count(*) FROM documents GROUP BY status"))


def _document_objects(project: Project) -> list[tuple[str, str, str]]:
    return project.db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'documents' "
        "AND sql IS NOT NULL AND type != 'table' ORDER BY name"
    ).fetchall()


def test_documents_are_counted_and_indexed_after_an_import_as_before(tmp_path: Path) -> None:
    with Project.create(tmp_path / "fresh.annotator") as fresh:
        expected = _document_objects(fresh)
        assert [name for _, name, _ in expected if name.startswith("document_counts")]
    path = tmp_path / "p.annotator"
    import_into_file(path, [_doccano(tmp_path / "a.jsonl", 30)], format="doccano")
    with Project.open(path) as project:  # the layout check on open passes
        assert _document_objects(project) == expected
        assert _counts(project) == _counted(project) and sum(_counts(project).values()) == 30
        project.set_document_status(1, "done")
        project.set_document_status(2, "skipped")
        before = _counts(project)
    # into a project that has documents: counted again from every document, old and new
    second = tmp_path / "b.jsonl"
    second.write_text(
        (tmp_path / "a.jsonl").read_text(encoding="utf-8")  # 30 texts already there
        + _doccano(tmp_path / "c.jsonl", 50).read_text(encoding="utf-8").split("\n", 30)[30],
        encoding="utf-8",
    )
    report, _ = import_into_file(path, [second], format="doccano")
    assert report.documents == 20 and report.duplicates == 30
    with Project.open(path) as project:
        assert _document_objects(project) == expected
        assert _counts(project) == _counted(project)
        assert sum(_counts(project).values()) == 50 and _counts(project)["done"] == before["done"]
        # the trigger is back: a document added afterwards is counted
        project.add_document_rows(
            [("Un texte de plus.", text_hash("Un texte de plus."), "{}", "new", None)]
        )
        assert _counts(project) == _counted(project) and _counts(project)["new"] == 1


def test_inside_the_block_the_count_trigger_and_indexes_are_gone(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.annotator") as project:
        expected = _document_objects(project)
        with project.transaction(), project.documents_counted_after():
            # the text hashes' unique index stays: it refuses a text twice
            assert [name for _, name, _ in _document_objects(project)] == [
                "document_counts_ad",
                "document_counts_au",
                "documents_ad",
                "documents_au",
                "idx_documents_text_hash",
            ]
            project.add_document_rows([("Un texte.", text_hash("Un texte."), "{}", "done", None)])
            assert _counts(project) == {}
        assert _document_objects(project) == expected
        assert _counts(project) == {"done": 1}
        with project.transaction(), project.documents_counted_after():
            # the table has a document: its indexes are kept, the trigger is not
            assert {name for _, name, _ in expected} - {
                name for _, name, _ in _document_objects(project)
            } == {"document_counts_ai"}
        assert _document_objects(project) == expected


@pytest.mark.parametrize(
    ("block", "objects"),
    [
        ("annotations_indexed_after", _all_indexes),
        ("documents_counted_after", _document_objects),
    ],
)
def test_an_error_inside_leaves_what_the_block_dropped_as_it_was(
    tmp_path: Path, block: str, objects: Callable[[Project], list]
) -> None:
    with Project.create(tmp_path / "p.annotator") as project:
        expected = objects(project)
        with pytest.raises(RuntimeError), project.transaction(), getattr(project, block)():
            assert objects(project) != expected
            project.add_document_rows([("Un texte.", text_hash("Un texte."), "{}", "done", None)])
            raise RuntimeError("stop")
        assert objects(project) == expected
        project.add_document_rows([("Un texte.", text_hash("Un texte."), "{}", "done", None)])
        assert _counts(project) == {"done": 1}


def test_outside_a_transaction_the_count_trigger_and_indexes_stay(project: Project) -> None:
    expected = _document_objects(project)
    with project.documents_counted_after():
        assert _document_objects(project) == expected


def test_revisions_are_what_the_bumps_of_spans_and_relations_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new document is stored with its revision counted (1 for its spans, 1 for its
    relations); a document a later batch merges into is bumped as before."""
    from annotator.services import importing

    monkeypatch.setattr(importing, "BATCH_RECORDS", 2)
    both = {"text": "Marie Curie chez Acme.", **_entities_and_relation()}
    spans_only = {"text": "Pierre chez Acme.", "label": [[0, 6, "PER"]]}
    bare = {"text": "Rien ici.", "label": []}
    again = {  # both's text in the third batch, with a new span and relation
        "text": both["text"],
        "entities": [
            *both["entities"],
            {"id": 3, "start_offset": 17, "end_offset": 21, "label": "LOC"},
        ],
        "relations": [{"id": 2, "from_id": 1, "to_id": 3, "type": "located_in"}],
    }
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(json.dumps(r) for r in (both, spans_only, bare, spans_only, again)) + "\n",
        encoding="utf-8",
    )
    path = tmp_path / "p.annotator"
    import_into_file(path, [source], format="doccano")
    with Project.open(path) as project:
        revisions = dict(project.db.execute("SELECT text, revision FROM documents"))
    assert revisions == {both["text"]: 2 + 2, spans_only["text"]: 1, bare["text"]: 0}


def _entities_and_relation() -> dict:
    return {
        "entities": [
            {"id": 1, "start_offset": 0, "end_offset": 11, "label": "PER"},
            {"id": 2, "start_offset": 17, "end_offset": 21, "label": "ORG"},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "works_for"}],
    }
