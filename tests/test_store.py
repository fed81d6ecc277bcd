"""The project file: opening, locking, damage, upgrades, schema changes, durability."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from project_files import older_project_file
from sqlite_utils import Database

from annotator import edits
from annotator.errors import (
    NotAProjectError,
    ProjectError,
    ProjectLockedError,
    ProjectReadOnlyError,
    ValidationError,
)
from annotator.model import Document, LabelSchema, Span, default_schema
from annotator.store import FORMAT_MARKER, Project
from annotator.store.migrations import migrations


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    path.write_text("precious")
    with pytest.raises(ProjectError, match="a file already exists there"):
        Project.create(path)
    assert path.read_text() == "precious"


def test_create_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist"):
        Project.create(tmp_path / "nope" / "p.annotator")


def test_project_uses_wal_and_reopens_with_settings(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    Project.create(path).close()
    with Project.open(path) as project:
        assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert project.schema == default_schema()
        assert project.settings.lang == "fr"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        # not "or damaged": a text given as the project is not a damaged project
        (b"hello, not a database at all" * 100, r"not an annotator project \(not an SQLite file\)"),
        (b"SQLite format 3\x00" + b"\xff" * 2000, "not an annotator project or damaged"),
    ],
)
def test_a_file_that_is_not_a_project_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "p.annotator"
    path.write_bytes(content)
    with pytest.raises(NotAProjectError, match=message):
        Project.open(path)


def test_another_sqlite_database_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    Database(path)["things"].insert({"a": 1})
    with pytest.raises(NotAProjectError, match="an SQLite file, but not an annotator project"):
        Project.open(path)


def test_a_damaged_project_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        for n in range(200):
            project.add_document(Document(text=f"document number {n} " * 20))
        project.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096:12288] = b"\xff" * 8192  # overwrite pages in the middle
    path.write_bytes(bytes(data))
    with pytest.raises(NotAProjectError, match="damaged"):
        Project.open(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="no such project file"):
        Project.open(tmp_path / "missing.annotator")


def test_a_second_writer_in_the_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path), pytest.raises(ProjectLockedError, match="open for writing"):
        Project.open(path)


def test_a_second_writer_in_another_process_is_refused_and_read_only_works(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        project.add_document(Document(text="Brad Smith"))
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(f"""
                import sys, time
                from annotator.store import Project
                project = Project.open({str(path)!r})
                print("open", flush=True)
                time.sleep(60)
            """),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(ProjectLockedError, match=str(path)):
            Project.open(path)
        with Project.open(path, read_only=True) as reader:
            assert reader.count_documents() == 1
            with pytest.raises(ProjectReadOnlyError, match="read-only"):
                reader.add_document(Document(text="another"))
            told = Path("/proc/locks").exists()  # where the kernel lists locks (Linux)
            assert reader.writer_elsewhere() is (True if told else None)
    finally:
        holder.kill()
        holder.wait()
    # the kernel drops the lock of a killed process: no stale lock
    with Project.open(path, read_only=True) as reader:
        assert reader.writer_elsewhere() is (False if told else None)
    Project.open(path).close()


def test_an_edit_is_on_disk_when_apply_returns(tmp_path: Path) -> None:
    """Killing the process right after an edit loses nothing."""
    path = tmp_path / "p.annotator"
    script = textwrap.dedent(f"""
        import os, signal
        from annotator import edits
        from annotator.model import Document, Span
        from annotator.store import Project
        project = Project.create({str(path)!r})
        doc_id, _ = project.add_document(Document(text="Brad Smith", tokens=((0, 4), (5, 10))))
        project.apply(edits.add_span(Span(doc_id=doc_id, start=0, end=10, label="PER")))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", script])
    assert result.returncode == -signal.SIGKILL
    with Project.open(path) as project:
        assert [(s.start, s.end, s.label) for s in project.spans(1)] == [(0, 10, "PER")]


def test_an_older_project_file_is_upgraded_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.annotator"
    older_project_file(path, "m002_relation_endpoint_indexes").conn.close()
    with Project.open(path) as project:
        assert not migrations.pending(project.db)
        assert "idx_relations_head" in {i.name for i in project.db["relations"].indexes}


def test_read_only_open_does_not_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.annotator"
    db = Database(path)
    migrations.apply(db, stop_before="m002_relation_endpoint_indexes")
    db["meta"].insert({"key": "format", "value": f'"{FORMAT_MARKER}"'})
    db.conn.close()
    with Project.open(path, read_only=True) as project:
        pending = [m.name for m in migrations.pending(project.db)]
        assert pending[0] == "m002_relation_endpoint_indexes"


def test_the_same_text_is_one_document(project: Project) -> None:
    first = project.add_document(Document(text="same text"))
    second = project.add_document(Document(text="same text"))
    assert first == (1, True)
    assert second == (1, False)
    assert project.count_documents() == 1


def test_misaligned_spans_are_kept_and_flagged(project: Project, doc_id: int) -> None:
    inside = Span(doc_id=doc_id, start=1, end=8, label="PER")  # "rad Smi"
    project.apply(edits.add_span(inside))
    assert project.misaligned_span_ids(doc_id) == [inside.id]
    project.apply(edits.resize_span(project.span(inside.id), 0, 10))
    assert project.misaligned_span_ids() == []


def test_renaming_a_label_keeps_its_annotations(project: Project, doc_id: int) -> None:
    span = Span(doc_id=doc_id, start=0, end=10, label="PER")
    project.apply(edits.add_span(span))
    old = project.schema
    renamed = LabelSchema(
        entities=tuple(
            e.model_copy(update={"name": "PERSON"}) if e.name == "PER" else e for e in old.entities
        ),
        relations=tuple(
            r.model_copy(
                update={
                    "allowed": tuple(
                        tuple("PERSON" if n == "PER" else n for n in pair) for pair in r.allowed
                    )
                }
            )
            for r in old.relations
        ),
    )
    project.set_schema(renamed, entity_renames={"PER": "PERSON"})
    assert project.span(span.id).label == "PERSON"
    assert project.schema.entity_names[0] == "PERSON"


def test_schema_changes_are_stored(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    bigger = default_schema().with_labels({"GGP"})
    with Project.create(path) as project:
        project.set_schema(bigger)
    with Project.open(path) as project:
        assert project.schema == bigger


def test_removing_a_label_in_use_is_refused(project: Project, doc_id: int) -> None:
    project.apply(edits.add_span(Span(doc_id=doc_id, start=0, end=10, label="PER")))
    smaller = LabelSchema(entities=tuple(e for e in project.schema.entities if e.name != "PER"))
    with pytest.raises(ValidationError, match="would disappear from the schema: PER"):
        project.set_schema(smaller)
    assert project.schema == default_schema()


def test_session_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        project.set_state("last_document", 7)
    with Project.open(path) as project:
        assert project.get_state("last_document") == 7
        assert project.get_state("missing", "default") == "default"


def test_worker_connection_sees_committed_edits(project: Project, doc_id: int) -> None:
    project.apply(edits.add_span(Span(doc_id=doc_id, start=0, end=10, label="PER")))
    with project.worker_connection(read_only=True) as worker:
        assert len(worker.spans(doc_id)) == 1


def test_a_transaction_that_reads_first_waits_for_another_writer_instead_of_failing(
    project: Project, doc_id: int
) -> None:
    """An edit reads (its ``before``), then writes. Begun deferred, a write committed by
    another connection in between (the window's tokens, stored by a worker) made SQLite refuse
    the edit at once, "database is locked", without waiting: the window said "edit not saved"
    now and then. Begun for writing, the other writer waits for the edit instead."""
    import threading

    other_wrote = threading.Event()

    def other_writer() -> None:
        with project.worker_connection() as worker:
            worker.set_state("tokens", "stored")
        other_wrote.set()

    with project.transaction():
        assert project.spans(doc_id) == []  # the edit's read
        writer = threading.Thread(target=other_writer)
        writer.start()
        other_wrote.wait(timeout=1.0)  # deferred: it commits now; else it waits for us
        project.insert_span(Span(doc_id=doc_id, start=0, end=10, label="PER"))
    writer.join(timeout=10)
    assert other_wrote.is_set()
    assert len(project.spans(doc_id)) == 1
    assert project.get_state("tokens") == "stored"


def test_a_failed_transaction_leaves_nothing(project: Project) -> None:
    with pytest.raises(RuntimeError), project.transaction():
        project.add_document(Document(text="kept?"))
        raise RuntimeError("boom")
    assert project.count_documents() == 0


def test_read_only_open_of_a_file_without_write_permission(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    Project.create(path).close()
    os.chmod(path, 0o444)
    try:
        with Project.open(path, read_only=True) as project:
            assert project.count_documents() == 0
    finally:
        os.chmod(path, 0o644)


def test_a_truncated_header_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
    with pytest.raises(NotAProjectError, match=str(path)):
        Project.open(path)


def test_a_file_without_status_reason_is_read_then_upgraded(tmp_path: Path) -> None:
    """Spans of a file older than ``status_reason`` read as without one, read-only too; once
    upgraded, the reason a suggestion was superseded is kept."""
    path = tmp_path / "old.annotator"
    db = older_project_file(path, "m003_span_status_reason")
    db["documents"].insert({"id": 1, "text": "Le WSJ a dit.", "text_hash": "h", "status": "new"})
    misc = Span(doc_id=1, start=3, end=6, label="MISC", origin="model:m@1", status="suggested")
    db["spans"].insert({**misc.model_dump(exclude={"edited", "status_reason"}), "edited": 0})
    db.conn.close()
    with Project.open(path, read_only=True) as project:  # not upgraded, still readable
        assert project.spans(1) == [misc]
    with Project.open(path) as project:
        assert project.spans(1) == [misc]
        org = Span(doc_id=1, start=3, end=6, label="ORG")
        project.apply(edits.with_superseded(edits.add_span(org), project.spans(1), []))
    with Project.open(path, read_only=True) as project:
        assert project.span(misc.id).status_reason == "superseded: ORG decided on the same tokens"


def test_a_span_is_checked_against_the_text_of_its_document_after_a_rollback(
    tmp_path: Path,
) -> None:
    """Texts never change, so their lengths are remembered; a document added in a transaction
    that was rolled back leaves its id free, and the next document with that id is checked
    against its own text."""
    with Project.create(tmp_path / "p.annotator") as project:
        with pytest.raises(RuntimeError), project.transaction():
            doc_id, _ = project.add_document(Document(text="Nice"))
            project.apply(edits.add_span(Span(doc_id=doc_id, start=0, end=4, label="LOC")))
            raise RuntimeError("cancelled")
        again, _ = project.add_document(Document(text="Jean Moulin, à Lyon"))
        assert again == doc_id
        span = Span(doc_id=again, start=15, end=19, label="LOC")
        project.apply(edits.add_span(span))
        assert [s.label for s in project.spans(again)] == ["LOC"]


def _accepted_span(project: Project, doc_id: int, start: int, end: int) -> None:
    project.apply(
        edits.add_span(Span(doc_id=doc_id, start=start, end=end, label="PER", status="accepted"))
    )


def test_edits_follow_a_project_renamed_while_open(tmp_path: Path) -> None:
    """Renamed while the window had it open, the project lost every edit of the session:
    they stayed in the -wal file under the old name, which SQLite did not fold into the file
    when it closed (it does not checkpoint a file that moved)."""
    path, moved = tmp_path / "p.annotator", tmp_path / "renamed.annotator"
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text="Alice et Bob partent."))
        _accepted_span(project, doc_id, 0, 5)
        path.rename(moved)
        _accepted_span(project, doc_id, 9, 12)
    with Project.open(moved, read_only=True) as reopened:
        assert [(s.start, s.end) for s in reopened.spans(doc_id)] == [(0, 5), (9, 12)]
    old_wal = tmp_path / "p.annotator-wal"
    assert not old_wal.exists() or old_wal.stat().st_size == 0  # nothing left behind


def test_a_checkpoint_puts_the_edits_in_the_project_file_itself(tmp_path: Path) -> None:
    """Until SQLite folded the -wal file in (at 4 MB, or on close), a copy of the project file
    alone, or the file after a crash whose -wal was deleted, held none of the session."""
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text="Alice et Bob partent."))
        _accepted_span(project, doc_id, 0, 5)
        project.checkpoint()
        copy = tmp_path / "copy.annotator"
        copy.write_bytes(path.read_bytes())  # the file alone, as a backup tool copies it
    with Project.open(copy, read_only=True) as copied:
        assert [(s.start, s.end) for s in copied.spans(doc_id)] == [(0, 5)]


def test_a_project_renamed_while_open_stops_background_connections_in_one_line(
    tmp_path: Path,
) -> None:
    """Renamed while the window had it open, the window's background connections opened the
    old path: the propagation search said "old.annotator: not an annotator project or damaged
    (unable to open database file)", and a writing one made a new, empty file there."""
    path, moved = tmp_path / "old.annotator", tmp_path / "new.annotator"
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text="Alice et Bob partent."))
        path.rename(moved)
        for read_only in (False, True):
            with pytest.raises(ProjectError) as refused:
                project.worker_connection(read_only=read_only)
            assert str(refused.value) == (
                f"{path}: the project file was renamed, moved or deleted while open (it is now "
                f"{moved}); your edits are kept in it, but background work stops: close the "
                f"window and open {moved}"
            )
        assert not path.exists()  # nothing made at the old name
        _accepted_span(project, doc_id, 0, 5)  # the window's own edits go on
        copy = tmp_path / "copy.annotator"
        project.checkpoint()
        copy.write_bytes(moved.read_bytes())
        moved.unlink()  # deleted while open: said as such
        with pytest.raises(ProjectError, match="was deleted, or moved to another file system"):
            project.worker_connection()
        copy.rename(moved)  # put back (a copy: not the file this connection holds)
    with Project.open(moved, read_only=True) as reopened:
        assert [(s.start, s.end) for s in reopened.spans(doc_id)] == [(0, 5)]


def test_unreadable_value_names_the_first_value_no_reader_can_use(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text="Brad Smith", tokens=((0, 4), (5, 10))))
        span = Span(doc_id=doc_id, start=0, end=10, label="PER")
        project.add_spans([span])
        assert project.unreadable_value() is None
        project.db.execute(
            "INSERT INTO relations (id, doc_id, head, child, label, origin, status) "
            "VALUES ('r', ?, ?, ?, 'works_for', 'human', 'accepted')",
            [doc_id, span.id, span.id],
        )
        assert project.unreadable_value() == (
            f"document {doc_id}: relation 'r' does not link two spans of its document"
        )
        project.db.execute("DELETE FROM relations")
        assert isinstance(project.db.execute("SELECT offsets FROM tokens").fetchone()[0], bytes)
        for crafted in ("[[0,4],[5]]", bytes(12), 7):  # JSON text is an earlier version's
            project.db.execute("UPDATE tokens SET offsets = ?", [crafted])
            assert project.unreadable_value() == (
                f"document {doc_id}: its stored tokens are not whole offset pairs"
            )
        project.db.execute("UPDATE tokens SET offsets = '[[0,4],[5,10]]'")
        assert project.unreadable_value() is None
        project.db.execute("UPDATE spans SET start = -1")
        assert "holds start -1, end 10" in (project.unreadable_value() or "")
        project.db.execute('UPDATE spans SET start = 10, "end" = 10')  # empty: the model's rule
        assert "holds start 10, end 10" in (project.unreadable_value() or "")
        project.db.rollback()
