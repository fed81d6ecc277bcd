"""The import service: one transaction per command, duplicates, schema extension, any reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotator.errors import AnnotatorError, Cancelled, FormatError
from annotator.io import registry
from annotator.io.records import ImportedRelation, ImportedSpan, ImportRecord
from annotator.services import importing
from annotator.services.importing import import_sources
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project, project_stats

TEXT = "Brad Smith works for Microsoft in Redmond."


def jsonl(path: Path, *tasks: dict[str, Any] | str) -> Path:
    lines = [task if isinstance(task, str) else json.dumps(task) for task in tasks]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prodigy_task(text: str = TEXT, answer: str | None = "accept", **extra: Any) -> dict:
    task: dict[str, Any] = {
        "text": text,
        "spans": [
            {"start": 0, "end": 10, "label": "PER"},
            {"start": 21, "end": 30, "label": "ORG"},
        ],
        "relations": [
            {
                "head": 1,
                "child": 4,
                "head_span": {"start": 0, "end": 10, "label": "PER"},
                "child_span": {"start": 21, "end": 30, "label": "ORG"},
                "label": "works_for",
            }
        ],
        "_input_hash": 1,
        "_task_hash": 2,
        **extra,
    }
    if answer is not None:
        task["answer"] = answer
    return task


def snapshot(project: Project) -> dict[str, Any]:
    """Everything an import could change."""
    db = project.db
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        for table in ("documents", "tokens", "spans", "relations", "edit_log", "meta")
    }


def test_text_folder_is_logged_and_tokenized_on_first_need(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "b.txt").write_text("Autre texte.", encoding="utf-8")
    report = import_sources(project, [folder])
    assert (report.documents, report.records, report.spans) == (2, 2, 0)
    assert report.sources[0].format == "text"
    assert project.untokenized_ids() == [1, 2]
    assert ensure_tokens(project) == 2
    first = project.document(project.document_ids()[0])
    assert first.text == TEXT and first.status == "new" and first.meta == {"file": "a.txt"}
    assert first.tokens[:2] == ((0, 4), (5, 10))
    [event] = [e for e in project.edit_log() if e["kind"] == "import"]
    assert json.loads(event["payload"])["documents"] == 2


def test_same_text_again_is_a_reported_duplicate(project: Project, tmp_path: Path) -> None:
    source = jsonl(tmp_path / "a.jsonl", prodigy_task())
    import_sources(project, [source])
    before = snapshot(project)
    again = import_sources(project, [source])
    assert (again.documents, again.duplicates, again.spans) == (0, 1, 0)
    assert again.duplicate_examples == [f"{source}:1 is document 1"]
    after = snapshot(project)
    assert after["documents"] == before["documents"] and after["spans"] == before["spans"]


def test_text_repeated_in_one_command_is_merged(project: Project, tmp_path: Path) -> None:
    source = jsonl(
        tmp_path / "a.jsonl",
        prodigy_task(answer=None),
        prodigy_task(text="Other text.", answer=None, spans=[], relations=[]),
        prodigy_task(answer="accept"),  # same text: spans and relation upgraded, not doubled
    )
    report = import_sources(project, [source])
    assert (report.documents, report.repeated) == (2, 1)
    doc_id = project.document_ids()[0]
    assert [(s.label, s.status) for s in project.spans(doc_id)] == [
        ("PER", "accepted"),
        ("ORG", "accepted"),
    ]
    assert [r.status for r in project.relations(doc_id)] == ["accepted"]
    assert project.document_status(doc_id) == "done"


def test_repeated_text_across_batches_merges_into_the_stored_document(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH_RECORDS", 1)
    first = prodigy_task(answer=None)
    second = prodigy_task(answer="accept")
    second["spans"].append({"start": 34, "end": 41, "label": "LOC"})
    source = jsonl(tmp_path / "a.jsonl", first, {"text": "filler"}, second)
    report = import_sources(project, [source])
    assert (report.documents, report.repeated, report.duplicates) == (2, 1, 0)
    doc_id = project.document_ids()[0]
    assert [(s.label, s.status) for s in project.spans(doc_id)] == [
        ("PER", "accepted"),
        ("ORG", "accepted"),
        ("LOC", "accepted"),
    ]
    assert [r.status for r in project.relations(doc_id)] == ["accepted"]
    assert project.document_status(doc_id) == "done"


def test_bad_line_rolls_back_the_whole_command(project: Project, tmp_path: Path) -> None:
    import_sources(project, [jsonl(tmp_path / "old.jsonl", {"text": "kept from before"})])
    before = snapshot(project)
    schema = project.schema
    good = jsonl(tmp_path / "good.jsonl", prodigy_task(), {"text": "more"})
    bad = jsonl(tmp_path / "bad.jsonl", {"text": "fine"}, '{"text": oops}')
    with pytest.raises(FormatError) as error:
        import_sources(project, [good, bad])
    assert str(error.value).startswith(f"{bad}:2: not valid JSON")
    assert snapshot(project) == before
    assert project.schema == schema
    assert "works_for" in project.schema.relation_names  # the cached schema was not kept


def test_span_outside_the_text_is_refused_and_nothing_kept(
    project: Project, tmp_path: Path
) -> None:
    task = prodigy_task(spans=[{"start": 30, "end": 99, "label": "ORG"}], relations=[])
    source = jsonl(tmp_path / "a.jsonl", {"text": "first"}, task)
    with pytest.raises(FormatError) as error:
        import_sources(project, [source])
    assert str(error.value) == (
        f"{source}:2: span [30, 99) ORG is outside the text ({len(TEXT)} characters) or empty"
    )
    assert project.count_documents() == 0


def test_new_labels_extend_the_schema_and_are_reported(project: Project, tmp_path: Path) -> None:
    task = prodigy_task()
    task["spans"][1]["label"] = "COMPANY"
    task["relations"][0]["child_span"]["label"] = "COMPANY"
    task["relations"].append(dict(task["relations"][0], label="employs"))
    report = import_sources(project, [jsonl(tmp_path / "a.jsonl", task)])
    assert report.labels_added == ["COMPANY"]
    assert report.relation_labels_added == ["employs"]
    assert report.relation_pairs_added == {
        "employs": [("PER", "COMPANY")],
        "works_for": [("PER", "COMPANY")],
    }
    schema = project.schema
    assert "COMPANY" in schema.entity_names
    assert schema.relation("works_for").allows("PER", "COMPANY")
    assert schema.relation("works_for").allows("PER", "ORG")
    assert schema.relation("employs").allowed == (("PER", "COMPANY"),)


def test_misaligned_spans_are_kept_flagged_and_counted(project: Project, tmp_path: Path) -> None:
    task = {"text": TEXT, "spans": [{"start": 0, "end": 3, "label": "PER"}], "answer": "accept"}
    report = import_sources(project, [jsonl(tmp_path / "a.jsonl", task)])
    assert (report.spans, report.misaligned) == (1, 0)  # not known until tokenized
    assert project.misaligned_span_ids() == []
    ensure_tokens(project)
    assert len(project.misaligned_span_ids()) == 1


@pytest.mark.parametrize(
    ("task", "status"),
    [
        ({"text": TEXT}, "new"),
        ({"text": TEXT, "spans": [{"start": 0, "end": 10, "label": "PER"}]}, "suggested"),
        (
            {"text": TEXT, "spans": [{"start": 0, "end": 10, "label": "PER"}], "answer": "reject"},
            "new",
        ),
        (
            {
                "text": TEXT,
                "spans": [{"start": 0, "end": 10, "label": "PER"}],
                "answer": "accept",
                "_view_id": "ner",
            },
            "in_progress",
        ),
        ({"text": TEXT, "answer": "ignore"}, "skipped"),
        ({"text": TEXT, "answer": "accept"}, "done"),
    ],
)
def test_document_status(project: Project, tmp_path: Path, task: dict, status: str) -> None:
    import_sources(project, [jsonl(tmp_path / "a.jsonl", task)], format="prodigy")
    assert project.document_status(project.document_ids()[0]) == status


def test_split_paragraph_and_split_refused_for_other_formats(
    project: Project, tmp_path: Path
) -> None:
    text = tmp_path / "a.txt"
    text.write_text("One.\n\nTwo.\n\nThree.", encoding="utf-8")
    report = import_sources(project, [text], split="paragraph")
    assert report.documents == 3
    assert [d.meta["paragraph"] for d in project.documents(tokens=False)] == [1, 2, 3]
    with pytest.raises(FormatError, match="--split sentence applies to plain text, not to"):
        import_sources(project, [jsonl(tmp_path / "a.jsonl", {"text": "x"})], split="sentence")
    with pytest.raises(AnnotatorError, match="unknown --split 'word'"):
        import_sources(project, [text], split="word")


def test_cancel_keeps_nothing(project: Project, tmp_path: Path) -> None:
    source = jsonl(tmp_path / "a.jsonl", {"text": "one"}, {"text": "two"}, {"text": "three"})
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) == 3

    with pytest.raises(Cancelled):
        import_sources(project, [source], cancel=cancel)
    assert project.count_documents() == 0


def test_progress_reports_records_against_the_total(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH_RECORDS", 2)
    source = jsonl(tmp_path / "a.jsonl", *({"text": f"text {n}"} for n in range(5)))
    calls: list[tuple[int, int | None]] = []
    import_sources(project, [source], progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) >= 4


def test_empty_texts_are_left_out_and_counted(project: Project, tmp_path: Path) -> None:
    report = import_sources(project, [jsonl(tmp_path / "a.jsonl", {"text": ""}, {"text": "x"})])
    assert (report.documents, report.empty) == (1, 1)


def test_a_text_of_white_space_only_is_left_out_as_empty(project: Project, tmp_path: Path) -> None:
    """A .txt of one line break became a document with nothing to annotate."""
    (tmp_path / "blank.txt").write_text("\n  \n", encoding="utf-8")
    report = import_sources(project, [tmp_path / "blank.txt"])
    assert (report.documents, report.empty) == (0, 1)
    assert project.count_documents() == 0


def test_unknown_format_and_missing_source(project: Project, tmp_path: Path) -> None:
    source = jsonl(tmp_path / "a.jsonl", {"text": "x"})
    with pytest.raises(FormatError, match="unknown format 'csv'"):
        import_sources(project, [source], format="csv")
    with pytest.raises(FormatError, match="no such file or folder"):
        import_sources(project, [tmp_path / "missing.jsonl"])


def test_docbin_through_the_service(project: Project, tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    from annotator.io.docbin import ensure_rel_extension

    ensure_rel_extension()
    doc = spacy.blank("fr")(TEXT)
    doc.ents = [doc.char_span(0, 10, "PER"), doc.char_span(21, 30, "ORG")]
    doc._.rel = {(0, 4): {"works_for": 1.0}}
    path = tmp_path / "train.spacy"
    DocBin(store_user_data=True, docs=[doc]).to_disk(path)
    report = import_sources(project, [path])
    assert (report.documents, report.spans, report.relations) == (1, 2, 1)
    [relation] = project.relations(project.document_ids()[0])
    assert (relation.label, relation.origin, relation.status) == (
        "works_for",
        "import:spacy",
        "accepted",
    )


def test_any_registered_reader_works(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_custom(path: Path, **_: Any) -> Iterator[ImportRecord]:
        yield ImportRecord(
            text=TEXT,
            where="doc A",
            meta={"id": "A"},
            tokens=((0, 4), (5, 10), (11, 16), (17, 20), (21, 30), (31, 33), (34, 41), (41, 42)),
            spans=[
                ImportedSpan(0, 10, "PER", key="T1", origin="model:x@1", status="suggested"),
                ImportedSpan(21, 30, "ORG", key="T2", score=0.9),
            ],
            relations=[ImportedRelation("T1", "T2", "works_for", status="suggested")],
            status="in_progress",
        )

    monkeypatch.setitem(
        registry.READERS,
        "custom",
        registry.ReaderEntry("custom", read_custom, lambda p, h: p.suffix == ".cst", 99, "x"),
    )
    source = tmp_path / "a.cst"
    source.write_text("anything", encoding="utf-8")
    report = import_sources(project, [source])
    assert report.sources[0].format == "custom"
    doc_id = project.document_ids()[0]
    assert project.document(doc_id, tokens=False).meta == {"id": "A"}
    assert project.document_status(doc_id) == "in_progress"
    spans = project.spans(doc_id)
    assert [(s.origin, s.status, s.score) for s in spans] == [
        ("model:x@1", "suggested", None),
        ("import:custom", "accepted", 0.9),
    ]
    stats = project_stats(project)
    assert stats["relations"]["by_status"] == {"suggested": 1}


def test_relation_to_an_unknown_span_key_names_the_record(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_bad(path: Path, **_: Any) -> Iterator[ImportRecord]:
        yield ImportRecord(
            text=TEXT,
            where="doc B",
            spans=[ImportedSpan(0, 10, "PER", key="T1")],
            relations=[ImportedRelation("T1", "T9", "works_for")],
        )

    monkeypatch.setitem(
        registry.READERS, "bad", registry.ReaderEntry("bad", read_bad, None, 0, "x")
    )
    source = tmp_path / "b.bad"
    source.write_text("x", encoding="utf-8")
    with pytest.raises(FormatError) as error:
        import_sources(project, [source], format="bad")
    assert str(error.value) == (
        f"{source} (doc B): relation works_for: its child 'T9' is not a span of this record"
    )
    assert project.count_documents() == 0


# -- the store's bulk writes the service uses ---------------------------------------------------


def test_add_documents_bulk_returns_ids_in_order_and_finds_duplicates(project: Project) -> None:
    from annotator.model import Document

    first_id, _ = project.add_document(Document(text="already"))
    results = project.add_documents_bulk(
        [Document(text="a", tokens=((0, 1),)), Document(text="already"), Document(text="a")]
    )
    new_id = results[0][0]
    assert results == [(new_id, True), (first_id, False), (new_id, False)]
    assert project.tokens(new_id) == ((0, 1),)
    assert project.count_documents() == 2


def test_add_spans_bulk_validates_like_insert_span(project: Project, doc_id: int) -> None:
    from annotator.errors import ValidationError
    from annotator.model import Relation, Span

    good = Span(doc_id=doc_id, start=0, end=10, label="PER")
    off = Span(doc_id=doc_id, start=0, end=3, label="PER")
    assert project.add_spans_bulk([good, off]) == (2, 1)
    assert project.misaligned_span_ids() == [off.id]
    before = snapshot(project)
    with pytest.raises(ValidationError, match="runs past the end"):
        project.add_spans_bulk([Span(doc_id=doc_id, start=40, end=99, label="ORG")])
    with pytest.raises(ValidationError, match="'COMPANY' is not in the schema"):
        project.add_spans_bulk([Span(doc_id=doc_id, start=21, end=30, label="COMPANY")])
    with pytest.raises(ValidationError, match="no document 99"):
        project.add_spans_bulk([Span(doc_id=99, start=0, end=1, label="ORG")])
    with pytest.raises(ValidationError, match="not allowed from PER to PER"):
        project.add_relations_bulk(
            [Relation(doc_id=doc_id, head=good.id, child=off.id, label="works_for")]
        )
    assert snapshot(project) == before


def test_unknown_document_status_from_a_reader_names_the_record(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_odd(path: Path, **_: Any) -> Iterator[ImportRecord]:
        yield ImportRecord(text=TEXT, where=3, status="finished")  # type: ignore[arg-type]

    monkeypatch.setitem(
        registry.READERS, "odd", registry.ReaderEntry("odd", read_odd, None, 0, "x")
    )
    source = tmp_path / "c.odd"
    source.write_text("x", encoding="utf-8")
    with pytest.raises(FormatError, match=r"c\.odd:3: document status 'finished' is unknown"):
        import_sources(project, [source], format="odd")


def test_reimporting_a_file_with_a_repeated_text_counts_each_record_as_duplicate(
    project: Project, tmp_path: Path
) -> None:
    source = jsonl(tmp_path / "a.jsonl", {"text": "same"}, {"text": "other"}, {"text": "same"})
    first = import_sources(project, [source])
    assert (first.documents, first.repeated, first.duplicates) == (2, 1, 0)
    again = import_sources(project, [source])
    assert (again.documents, again.repeated, again.duplicates) == (0, 0, 3)
    assert f"{source}:3 is document 1" in again.duplicate_examples


def test_records_are_written_while_the_file_is_still_being_read(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streaming: a batch is stored before the next records are read, never all at once."""
    monkeypatch.setattr(importing, "BATCH_RECORDS", 2)
    seen: list[int] = []

    def read_slowly(path: Path, **_: Any) -> Iterator[ImportRecord]:
        for number in range(6):
            seen.append(project.db.execute("SELECT count(*) FROM documents").fetchone()[0])
            yield ImportRecord(text=f"text {number}", where=number + 1)

    monkeypatch.setitem(
        registry.READERS, "slow", registry.ReaderEntry("slow", read_slowly, None, 0, "x")
    )
    source = tmp_path / "s.slow"
    source.write_text("x", encoding="utf-8")
    import_sources(project, [source], format="slow")
    assert seen == [0, 0, 2, 2, 4, 4]


def test_known_formats_lists_every_reader() -> None:
    formats = importing.known_formats()
    assert {"text", "jsonl", "prodigy", "spacy"} <= set(formats)
    assert formats == sorted(registry.READERS)


def test_reader_notes_are_reported_once_with_their_records(
    project: Project, tmp_path: Path
) -> None:
    tasks = [
        {"id": n, "data": {"text": f"Text {n}."}, "annotations": [], "predictions": [n]}
        for n in (3, 7)
    ]
    source = tmp_path / "ls.json"
    source.write_text(json.dumps(tasks), encoding="utf-8")
    report = import_sources(project, [source])
    assert report.documents == 2
    (note,) = report.notes
    assert note.startswith(f"{source}: Label Studio predictions given as ids only")
    assert note.endswith("(2 records: task 3, task 7)")
