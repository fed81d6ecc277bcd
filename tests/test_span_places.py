"""The exports that write spans' places (doccano, brat, CoNLL) read each document's accepted
spans from the row the project file keeps of them (``span_places``, migration m008) when there
is one. A row is never out of date, whatever changed the spans: each export here is compared,
byte for byte, with the same export of a copy whose rows were all deleted, which reads the
``spans`` table itself."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator import edits
from annotator.model import LabelSchema, Span
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project, migrations
from annotator.store import project as project_module

FORMATS = ("doccano", "brat", "conll")
TEXTS = (
    "Brad Smith dirige Microsoft à Redmond depuis Paris.",
    "Marie Curie travaille à Paris pour Danone et Airbus.",
    "Selon Reuters, Jean Dupont quitte Lyon pour Genève.",
)


def _line(text: str) -> dict:
    """Every capitalised word an entity, the first two linked."""
    entities, position = [], 0
    for word in text.split(" "):
        bare = word.rstrip(".,")
        if bare[:1].isupper():
            number = len(entities) + 1
            end = position + len(bare)
            entities.append(
                {"id": number, "label": "ORG", "start_offset": position, "end_offset": end}
            )
        position += len(word) + 1
    relations = [{"id": 1, "from_id": 1, "to_id": 2, "type": "works_for"}]
    return {"text": text, "entities": entities, "relations": relations}


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Project]:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(_line(text)) + "\n" for text in TEXTS), "utf-8")
    project = Project.create(tmp_path / "p.annotator")  # PER, ORG, LOC, MISC
    import_sources(project, [source], format="doccano")
    yield project
    project.close()


def _exported(project: Project, format: str, output: Path) -> dict[str, bytes]:
    export_project(project, format, output, status="all")
    files = sorted(output.rglob("*")) if output.is_dir() else [output]
    return {
        str(path.relative_to(output)) if output.is_dir() else "": path.read_bytes()
        for path in files
        if path.is_file() and not path.name.startswith(".")
    }


def _kept(project: Project) -> set[int]:
    return {doc_id for (doc_id,) in project.db.execute("SELECT doc_id FROM span_places")}


def _assert_exports_read_what_spans_hold(project: Project, folder: Path) -> None:
    """Each format's export of ``project`` is the export of a copy without ``span_places``
    rows (read from ``spans``, as before m008)."""
    folder.mkdir()
    copy = folder / "copy.annotator"
    with sqlite3.connect(copy) as target:
        project.db.conn.backup(target)
        target.execute("DELETE FROM span_places")
    with Project.open(copy) as unkept:
        for format in FORMATS:
            ours = _exported(project, format, folder / f"ours-{format}")
            read = _exported(unkept, format, folder / f"read-{format}")
            assert ours == read, format


def _doccano_entities(project: Project, folder: Path) -> list[list[tuple[int, int, str]]]:
    content = _exported(project, "doccano", folder / "check.jsonl")[""].decode()
    return [
        [(e["start_offset"], e["end_offset"], e["label"]) for e in json.loads(line)["entities"]]
        for line in content.splitlines()
    ]


def test_an_import_keeps_a_row_for_each_document_with_accepted_spans(
    imported: Project, tmp_path: Path
) -> None:
    assert _kept(imported) == {1, 2, 3}
    _assert_exports_read_what_spans_hold(imported, tmp_path / "check")


def test_edits_and_their_undo_keep_the_rows_right(imported: Project, tmp_path: Path) -> None:
    first = imported.spans(1)[0]
    added = Span(doc_id=1, start=18, end=27, label="PER")  # "Microsoft"
    suggestion = Span(doc_id=2, start=0, end=11, label="PER", status="suggested", origin="m")
    imported.add_spans([suggestion])
    steps = [
        edits.add_span(added),
        edits.relabel_span(first, "PER"),
        edits.resize_span(imported.spans(3)[-1], 44, 49),
        edits.remove_span(imported.spans(3)[0], imported.relations(3)),
        edits.accept_span(suggestion),
        edits.reject_span(imported.spans(1)[-1], imported.relations(1)),
    ]
    for number, step in enumerate(steps):
        imported.apply(step)
        assert _kept(imported) == {1, 2, 3}, step.kind  # made again after the edit
        _assert_exports_read_what_spans_hold(imported, tmp_path / f"edit-{number}")
        imported.apply(step.inverse())
        _assert_exports_read_what_spans_hold(imported, tmp_path / f"undo-{number}")
        imported.apply(step)
    entities = _doccano_entities(imported, tmp_path)
    assert (18, 27, "PER") in entities[0] and (0, 4, "PER") in entities[0]
    assert (0, 11, "PER") in entities[1]  # the suggestion, accepted
    assert (44, 49, "ORG") in entities[2] and (0, 5, "ORG") not in entities[2]


def test_a_renamed_label_is_read_renamed(imported: Project, tmp_path: Path) -> None:
    old = imported.schema
    renamed = LabelSchema(
        entities=tuple(
            e.model_copy(update={"name": "ORGANISATION"}) if e.name == "ORG" else e
            for e in old.entities
        ),
        relations=tuple(
            r.model_copy(
                update={
                    "allowed": tuple(
                        tuple("ORGANISATION" if n == "ORG" else n for n in pair)
                        for pair in r.allowed
                    )
                }
            )
            for r in old.relations
        ),
    )
    imported.set_schema(renamed, entity_renames={"ORG": "ORGANISATION"})
    assert _kept(imported) == {1, 2, 3}
    assert {label for doc in _doccano_entities(imported, tmp_path) for *_, label in doc} == {
        "ORGANISATION"
    }
    _assert_exports_read_what_spans_hold(imported, tmp_path / "check")


LAST = "(SELECT max(start) FROM spans WHERE doc_id = 2)"  # in no relation


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE spans SET start = start + 1 WHERE doc_id = 2 AND start = 0",
        "UPDATE spans SET label = 'LOC' WHERE doc_id = 2",
        "UPDATE spans SET status = 'rejected' WHERE doc_id = 2 AND start = 0",
        f"UPDATE spans SET doc_id = 3 WHERE doc_id = 2 AND start = {LAST}",
        f"DELETE FROM spans WHERE doc_id = 2 AND start = {LAST}",
        "INSERT INTO spans (id, doc_id, start, end, label, origin, status) "
        "VALUES ('x', 2, 1, 4, 'PER', 'human', 'accepted')",
        # SQLite deletes the span replaced without its delete trigger
        "INSERT OR REPLACE INTO spans (id, doc_id, start, end, label, origin, status) "
        f"SELECT id, 3, 0, 5, 'LOC', 'human', 'accepted' FROM spans WHERE start = {LAST}",
        f"UPDATE OR REPLACE spans SET id = (SELECT id FROM spans WHERE start = {LAST}) "
        "WHERE doc_id = 3 AND start = 44",
    ],
)
def test_spans_changed_by_another_program_are_read_as_changed(
    imported: Project, tmp_path: Path, statement: str
) -> None:
    """A change the window and the command line never make, written with ``sqlite3`` by
    another program: SQLite's triggers delete the row it leaves wrong."""
    before = _doccano_entities(imported, tmp_path / "before")
    path = imported.path
    imported.close()
    with sqlite3.connect(path) as other:
        other.execute(statement)
    with Project.open(path) as project:
        assert _doccano_entities(project, tmp_path / "after") != before
        _assert_exports_read_what_spans_hold(project, tmp_path / "check")


def test_suggestions_and_statuses_written_keep_the_rows(imported: Project, tmp_path: Path) -> None:
    imported.add_spans_bulk(
        [Span(doc_id=2, start=0, end=5, label="PER", status="suggested", origin="m")]
    )
    imported.set_document_status(3, "done")
    assert _kept(imported) == {1, 2, 3}
    _assert_exports_read_what_spans_hold(imported, tmp_path / "check")


def test_a_bulk_insert_keeps_the_rows_right_and_the_trigger_in_place(
    imported: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many spans inserted at once drop the insert trigger for their statement (its cost a
    row), and delete and make their documents' rows themselves."""
    monkeypatch.setattr(project_module, "UNWATCHED_SPAN_INSERTS", 2)
    imported.add_spans_bulk(
        [
            Span(doc_id=2, start=0, end=5, label="PER", origin="human"),
            Span(doc_id=3, start=0, end=5, label="LOC", status="suggested", origin="m"),
        ]
    )
    assert _kept(imported) == {1, 2, 3}
    assert (0, 5, "PER") in _doccano_entities(imported, tmp_path / "bulk")[1]
    _assert_exports_read_what_spans_hold(imported, tmp_path / "check")
    path = imported.path
    imported.close()
    with sqlite3.connect(path) as other:
        other.execute(
            "INSERT INTO spans (id, doc_id, start, end, label, origin, status) "
            "VALUES ('x', 1, 1, 4, 'LOC', 'human', 'accepted')"
        )
    with Project.open(path) as project:
        assert _kept(project) == {2, 3}  # the trigger, made again, deleted the row
        assert (1, 4, "LOC") in _doccano_entities(project, tmp_path / "after")[0]


def test_a_row_left_for_a_document_not_made_yet_is_not_read(
    imported: Project, tmp_path: Path
) -> None:
    """A crafted file's row for the id the next document will have."""
    imported.db.execute("INSERT INTO span_places VALUES (4, 1, 'x', '0', '1', 'LOC')")
    source = tmp_path / "more.jsonl"
    source.write_text(json.dumps(_line("Encore Lyon et Paris.")) + "\n", "utf-8")
    import_sources(imported, [source], format="doccano")
    entities = _doccano_entities(imported, tmp_path / "after")
    assert entities[3] == [(0, 6, "ORG"), (7, 11, "ORG"), (15, 20, "ORG")]
    assert _kept(imported) == {1, 2, 3, 4}
    _assert_exports_read_what_spans_hold(imported, tmp_path / "check")


def test_rows_are_not_read_from_a_file_without_the_triggers(
    imported: Project, tmp_path: Path
) -> None:
    """A file whose triggers another program dropped may hold rows its spans no longer
    match: it is read from ``spans``."""
    path = imported.path
    imported.close()
    with sqlite3.connect(path) as other:
        other.execute("DROP TRIGGER span_places_bu")
        other.execute("UPDATE spans SET label = 'LOC' WHERE doc_id = 2")
    with Project.open(path) as project:
        labels = {label for *_, label in _doccano_entities(project, tmp_path)[1]}
        assert labels == {"LOC"}


def test_triggers_dropped_while_the_project_is_open_are_noticed(
    imported: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script holding the project open, while another program drops a trigger and then
    changes spans: the next export reads ``spans``, and a bulk insert goes on without it."""
    _doccano_entities(imported, tmp_path / "before")
    with sqlite3.connect(imported.path) as other:
        other.execute("DROP TRIGGER span_places_ad")
        other.execute("DELETE FROM spans WHERE doc_id = 2 AND start = " + LAST)
    assert len(_doccano_entities(imported, tmp_path / "after")[1]) == 4
    monkeypatch.setattr(project_module, "UNWATCHED_SPAN_INSERTS", 1)
    with sqlite3.connect(imported.path) as other:
        other.execute("DROP TRIGGER span_places_bi")
    imported.add_spans_bulk([Span(doc_id=1, start=0, end=4, label="LOC", origin="human")])
    assert (0, 4, "LOC") in _doccano_entities(imported, tmp_path / "bulk")[0]


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "a larger file"])
def test_a_file_made_before_the_rows_is_read_from_spans_and_upgraded_on_open(
    imported: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filled: bool
) -> None:
    """Upgrading makes every document's row at once, but on a file of more spans than
    ``FILLED_ON_UPGRADE``: its documents get theirs as they are edited."""
    if not filled:
        monkeypatch.setattr(migrations, "FILLED_ON_UPGRADE", 2)
    path = imported.path
    expected = _doccano_entities(imported, tmp_path / "before")
    imported.close()
    with sqlite3.connect(path) as other:  # as a file written before migration m008
        for trigger in ("span_places_bi", "span_places_ad", "span_places_bu"):
            other.execute(f"DROP TRIGGER {trigger}")
        other.execute("DROP TABLE span_places")
        other.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_span_places'")
    with Project.open(path, read_only=True) as project:
        assert _doccano_entities(project, tmp_path / "read-only") == expected
    with Project.open(path) as project:
        assert _kept(project) == ({1, 2, 3} if filled else set())
        assert _doccano_entities(project, tmp_path / "upgraded") == expected
        project.apply(edits.relabel_span(project.spans(2)[0], "PER"))
        assert _kept(project) == ({1, 2, 3} if filled else {2})
        _assert_exports_read_what_spans_hold(project, tmp_path / "check")
