"""Label Studio JSON: real exports, region problems named by task and id, and the round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import annotator.io.formats  # noqa: F401  (registers every format)
from annotator.errors import FormatError
from annotator.io import registry
from annotator.io.records import ExportDocument, ImportRecord
from annotator.model import Document, Relation, Span

TEXT = "Brad Smith works for Microsoft in Redmond."


def read(path: Path, **options: object) -> list[ImportRecord]:
    return list(registry.read(path, "labelstudio", **options))


def region(rid: str, start: int, end: int, label: str, text: str | None = None) -> dict:
    value: dict[str, Any] = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def task_file(tmp_path: Path, tasks: Any, name: str = "tasks.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def spans_of(record: ImportRecord) -> list[tuple[int, int, str, str]]:
    return [(s.start, s.end, s.label, s.status) for s in record.spans]


def test_named_entity_annotation_and_prediction(fixtures_dir: Path) -> None:
    folder = fixtures_dir / "labelstudio/frontend-examples/named_entity"
    (annotated,) = read(folder / "annotations/1.json")  # one task, not a list
    assert spans_of(annotated) == [(343, 354, "Date", "accepted")]
    assert annotated.text[343:354] == "February 22"
    assert annotated.status == "done"
    (predicted,) = read(folder / "tasks.json")
    assert spans_of(predicted) == [(343, 354, "Date", "suggested")]
    assert predicted.status is None
    assert predicted.meta["labelstudio"]["predictions"][0]["model_version"] == "model 1"


def test_legacy_completions_are_read_like_annotations(fixtures_dir: Path) -> None:
    path = fixtures_dir / "labelstudio/converter-legacy-completions/348.json"
    (record,) = read(path)
    raw = json.loads(path.read_text("utf-8"))["completions"][0]["result"]
    assert len(record.spans) == len(raw) == 38
    assert all(s.status == "accepted" and s.label == "INGREDIENT" for s in record.spans)
    assert record.text[121:155] == "Sodium Lauroyl Methyl Isethionate,"
    assert record.meta["labelstudio"]["id"] == 348


@pytest.mark.parametrize("name", ["annotations/1.json", "tasks.json"])
def test_text_mismatch_is_refused_naming_task_and_region(fixtures_dir: Path, name: str) -> None:
    path = fixtures_dir / "labelstudio/frontend-examples/rich_text_plain" / name
    with pytest.raises(FormatError) as error:
        read(path)
    assert str(error.value) == (
        f"{path} (task 1): region beFiQTT1cU: text 'February 22' does not match the document "
        "text ' supporters' at 343-354"
    )


def test_text_mismatch_can_be_skipped_and_is_kept_in_meta(fixtures_dir: Path) -> None:
    path = fixtures_dir / "labelstudio/frontend-examples/rich_text_plain/annotations/1.json"
    (record,) = read(path, invalid_spans="skip")
    assert record.text.startswith("Donald Trump")  # the only string of data ("ner")
    assert not record.spans
    assert record.meta["labelstudio"]["skipped_regions"][0]["id"] == "beFiQTT1cU"


def test_region_past_the_end_is_refused_or_skipped_with_its_relations(
    fixtures_dir: Path,
) -> None:
    path = fixtures_dir / "labelstudio/kiji-proxy/sample_predictions.json"
    with pytest.raises(FormatError) as error:
        read(path)
    assert str(error.value).endswith(
        "(task 1): region ent-5: offsets 68-90 run past the end of the text (85 characters)"
    )
    (record,) = read(path, invalid_spans="skip")
    assert spans_of(record) == [
        (0, 10, "Person", "suggested"),
        (15, 19, "Person", "suggested"),
        (33, 35, "Pronoun", "suggested"),
        (44, 47, "Pronoun", "suggested"),
    ]
    assert all(s.score == 0.95 for s in record.spans)  # the prediction's score
    by_key = {s.key: record.text[s.start : s.end] for s in record.spans}
    assert [(by_key[r.head], by_key[r.child], r.label, r.status) for r in record.relations] == [
        ("He", "John Smith", "relation", "suggested"),
        ("her", "Mary", "relation", "suggested"),
    ]


def test_cancelled_annotations_are_skipped_and_listed(tmp_path: Path) -> None:
    task = {
        "id": 5,
        "data": {"text": TEXT},
        "annotations": [
            {"id": 1, "was_cancelled": True, "result": [region("a", 0, 4, "PER", "Brad")]},
            {"id": 2, "result": [region("b", 0, 10, "PER", "Brad Smith")]},
        ],
    }
    (record,) = read(task_file(tmp_path, [task]))
    assert spans_of(record) == [(0, 10, "PER", "accepted")]
    assert record.meta["labelstudio"]["cancelled"] == [1]


def test_relations_several_labels_duplicates_and_other_results(tmp_path: Path) -> None:
    relation = {"from_id": "p", "to_id": "o", "type": "relation", "labels": ["works_for"]}
    left = {"from_id": "l", "to_id": "o", "type": "relation", "direction": "left"}
    choice = {"id": "c", "type": "choices", "value": {"choices": ["news"]}}
    annotation = [
        region("p", 0, 10, "PER", "Brad Smith"),
        region("o", 21, 30, "ORG", "Microsoft"),
        region("l", 34, 41, "LOC", "Redmond"),
        relation,
        left,
        choice,
    ]
    second = [region("x", 0, 10, "PER", "Brad Smith")]  # the same span by another annotator
    prediction = [region("q", 21, 30, "ORG", "Microsoft"), region("r", 0, 4, "MISC", "Brad")]
    task = {
        "data": {"text": TEXT, "url": "http://example.org"},
        "annotations": [{"result": annotation}, {"result": second}],
        "predictions": [{"result": prediction, "score": 0.4}],
    }
    (record,) = read(task_file(tmp_path, task))
    assert spans_of(record) == [
        (0, 10, "PER", "accepted"),
        (21, 30, "ORG", "accepted"),
        (34, 41, "LOC", "accepted"),
        (0, 4, "MISC", "suggested"),
    ]
    assert record.spans[-1].score == 0.4
    by_key = {s.key: s.label for s in record.spans}
    assert [(by_key[r.head], by_key[r.child], r.label) for r in record.relations] == [
        ("PER", "ORG", "works_for"),
        ("ORG", "LOC", "relation"),  # direction left: the arrow points at from_id
    ]
    assert record.meta["labelstudio"]["other_results"] == [choice]
    assert record.meta["labelstudio"]["data"] == {"url": "http://example.org"}


def test_utf16_offsets_are_converted_when_the_text_says_so(tmp_path: Path) -> None:
    text = "🙂 Brad Smith"
    task = {"data": {"text": text}, "annotations": [{"result": [region("a", 3, 13, "PER")]}]}
    task["annotations"][0]["result"][0]["value"]["text"] = "Brad Smith"
    (record,) = read(task_file(tmp_path, task))
    assert text[record.spans[0].start : record.spans[0].end] == "Brad Smith"


def test_ambiguous_text_key_is_refused(tmp_path: Path) -> None:
    task = {"data": {"title": "a", "body": "b"}, "annotations": []}
    with pytest.raises(FormatError, match=r"\(task 1\): cannot tell which data key"):
        read(task_file(tmp_path, [task]))
    (record,) = read(task_file(tmp_path, [task]), text_key="body")
    assert record.text == "b"


def test_write_then_read_keeps_accepted_suggested_relations_and_region_ids(
    tmp_path: Path,
) -> None:
    doc = Document(id=9, text=TEXT, status="done", meta={"source": "a.txt"})
    spans = [
        Span(id="per", doc_id=9, start=0, end=10, label="PER"),
        Span(id="org", doc_id=9, start=21, end=30, label="ORG"),
        Span(id="loc", doc_id=9, start=34, end=41, label="LOC", status="suggested", score=0.7),
    ]
    relations = [
        Relation(doc_id=9, head="per", child="org", label="works_for"),
        Relation(doc_id=9, head="org", child="loc", label="located_in", status="suggested"),
    ]
    empty = Document(id=10, text="Nothing.", status="done")
    output = tmp_path / "ls.json"
    report = registry.write(
        "labelstudio",
        [ExportDocument(doc, spans, relations), ExportDocument(empty, [], [])],
        output,
    )
    assert report.files == [str(output)] and report.spans == 3 and report.relations == 2
    tasks = json.loads(output.read_text("utf-8"))
    annotation_ids = [r.get("id") for r in tasks[0]["annotations"][0]["result"]]
    assert annotation_ids[:2] == ["per", "org"]  # stable: the span ids
    assert tasks[1]["annotations"] == [{"result": [], "was_cancelled": False}]
    first, second = read(output)
    assert sorted(spans_of(first)) == sorted((s.start, s.end, s.label, s.status) for s in spans)
    assert next(s for s in first.spans if s.label == "LOC").score == 0.7
    by_key = {s.key: s.label for s in first.spans}
    assert sorted(
        (by_key[r.head], by_key[r.child], r.label, r.status) for r in first.relations
    ) == [
        ("ORG", "LOC", "located_in", "suggested"),
        ("PER", "ORG", "works_for", "accepted"),
    ]
    assert first.meta["source"] == "a.txt" and first.status == "done"
    assert not second.spans


@pytest.mark.parametrize("status", ["in_progress", "suggested", "new", "skipped"])
def test_an_unfinished_documents_decisions_are_prelabels_not_a_finished_annotation(
    tmp_path: Path, status: str
) -> None:
    """Label Studio takes a task with an annotation as labelled: an unfinished document's
    accepted spans and relations go with its suggestions into the prediction, so that neither
    Label Studio nor our import reads the document as finished (its untouched tokens would
    then be negatives in training data)."""
    doc = Document(id=9, text=TEXT, status=status)
    spans = [
        Span(id="per", doc_id=9, start=0, end=10, label="PER"),
        Span(id="org", doc_id=9, start=21, end=30, label="ORG"),
        Span(id="loc", doc_id=9, start=34, end=41, label="LOC", status="suggested", score=0.7),
    ]
    relations = [Relation(doc_id=9, head="per", child="org", label="works_for")]
    output = tmp_path / "ls.json"
    report = registry.write("labelstudio", [ExportDocument(doc, spans, relations)], output)
    assert report.spans == 3 and report.relations == 1
    (task,) = json.loads(output.read_text("utf-8"))
    assert "annotations" not in task
    (prediction,) = task["predictions"]
    assert [r["id"] for r in prediction["result"] if r["type"] == "labels"] == ["per", "org", "loc"]
    assert [r["type"] for r in prediction["result"]].count("relation") == 1
    (back,) = read(output)
    assert back.status != "done"
    assert sorted(spans_of(back)) == [
        (0, 10, "PER", "suggested"),
        (21, 30, "ORG", "suggested"),
        (34, 41, "LOC", "suggested"),
    ]
    assert [(r.label, r.status) for r in back.relations] == [("works_for", "suggested")]


def test_prediction_ids_only_are_skipped_with_a_note(tmp_path: Path) -> None:
    """Label Studio's default JSON export lists prediction ids, not predictions."""
    task = {
        "id": 3,
        "data": {"text": TEXT},
        "annotations": [{"id": 1, "result": [region("a", 0, 10, "PER", "Brad Smith")]}],
        "predictions": [7, 8],
    }
    (record,) = read(task_file(tmp_path, [task]), invalid_spans="skip")
    assert spans_of(record) == [(0, 10, "PER", "accepted")]
    assert record.meta["labelstudio"]["prediction_ids"] == [7, 8]
    assert record.notes and "ids only" in record.notes[0]


def test_json_min_export_is_read(tmp_path: Path) -> None:
    """JSON-MIN: one flat object per annotation, a list of regions per labels control."""
    flat = {
        "text": TEXT,
        "id": 12,
        "label": [
            {"start": 0, "end": 10, "text": "Brad Smith", "labels": ["PER"]},
            {"start": 21, "end": 30, "text": "Microsoft", "labels": ["ORG", "MISC"]},
        ],
        "annotator": 1,
        "annotation_id": 40,
        "created_at": "2026-11-30T10:00:00.000000Z",
        "updated_at": "2026-11-30T10:01:00.000000Z",
        "lead_time": 12.5,
    }
    path = task_file(tmp_path, [flat])
    assert registry.detect_format(path) == "labelstudio"
    (record,) = read(path)
    assert spans_of(record) == [
        (0, 10, "PER", "accepted"),
        (21, 30, "ORG", "accepted"),
        (21, 30, "MISC", "accepted"),
    ]
    assert record.status == "done"
    assert record.meta["labelstudio"]["id"] == 12
    annotation = record.meta["labelstudio"]["annotations"][0]
    assert (annotation["id"], annotation["annotator"], annotation["lead_time"]) == (40, 1, 12.5)


def test_json_min_region_text_mismatch_names_the_task(tmp_path: Path) -> None:
    flat = {
        "text": TEXT,
        "id": 4,
        "label": [{"start": 0, "end": 4, "text": "Smith", "labels": ["PER"]}],
        "annotation_id": 1,
        "lead_time": 1.0,
    }
    with pytest.raises(FormatError, match=r"\(task 4\): region label-1: text 'Smith'"):
        read(task_file(tmp_path, [flat]))


def test_repeated_relations_are_kept_within_one_annotation(tmp_path: Path) -> None:
    """As the Prodigy reader does: a relation listed twice, or with two labels, is kept."""
    relation = {"from_id": "p", "to_id": "o", "type": "relation", "labels": ["works_for"]}
    two_labels = {"from_id": "p", "to_id": "o", "type": "relation", "labels": ["a", "b"]}
    annotation = [
        region("p", 0, 10, "PER", "Brad Smith"),
        region("o", 21, 30, "ORG", "Microsoft"),
        relation,
        dict(relation),
        two_labels,
    ]
    task = {"data": {"text": TEXT}, "annotations": [{"result": annotation}]}
    (record,) = read(task_file(tmp_path, task))
    assert [r.label for r in record.relations] == ["works_for", "works_for", "a", "b"]


def test_the_same_relation_in_two_annotations_is_kept_once(tmp_path: Path) -> None:
    result = [
        region("p", 0, 10, "PER", "Brad Smith"),
        region("o", 21, 30, "ORG", "Microsoft"),
        {"from_id": "p", "to_id": "o", "type": "relation", "labels": ["works_for"]},
    ]
    task = {"data": {"text": TEXT}, "annotations": [{"result": result}, {"result": result}]}
    (record,) = read(task_file(tmp_path, task))
    assert [r.label for r in record.relations] == ["works_for"]


def test_relation_directions(tmp_path: Path) -> None:
    """right: from -> to; left: the arrow points from to_id to from_id; bi: kept as such."""
    result = [
        region("p", 0, 10, "PER", "Brad Smith"),
        region("o", 21, 30, "ORG", "Microsoft"),
        {"from_id": "p", "to_id": "o", "type": "relation", "direction": "right", "labels": ["r"]},
        {"from_id": "p", "to_id": "o", "type": "relation", "direction": "left", "labels": ["l"]},
        {"from_id": "p", "to_id": "o", "type": "relation", "direction": "bi", "labels": ["b"]},
    ]
    task = {"data": {"text": TEXT}, "annotations": [{"result": result}]}
    (record,) = read(task_file(tmp_path, task))
    by_key = {s.key: s.label for s in record.spans}
    assert [(by_key[r.head], by_key[r.child], r.label) for r in record.relations] == [
        ("PER", "ORG", "r"),
        ("ORG", "PER", "l"),
        ("PER", "ORG", "b"),
    ]
    assert record.meta["labelstudio"]["bidirectional"] == [[0, 10, "PER", 21, 30, "ORG", "b"]]


def test_bidirectional_relations_are_exported_as_bi(tmp_path: Path) -> None:
    from annotator.model import LabelSchema, RelationLabel

    meta = {"labelstudio": {"bidirectional": [[0, 10, "PER", 21, 30, "ORG", "b"]]}}
    doc = Document(id=1, text=TEXT, status="done", meta=meta)
    spans = [
        Span(id="per", doc_id=1, start=0, end=10, label="PER"),
        Span(id="org", doc_id=1, start=21, end=30, label="ORG"),
        Span(id="loc", doc_id=1, start=34, end=41, label="LOC"),
    ]
    relations = [
        Relation(doc_id=1, head="per", child="org", label="b"),
        Relation(doc_id=1, head="per", child="org", label="r"),
        Relation(doc_id=1, head="org", child="loc", label="near"),
    ]
    schema = LabelSchema(relations=(RelationLabel(name="near", directed=False),))
    output = tmp_path / "ls.json"
    registry.write("labelstudio", [ExportDocument(doc, spans, relations)], output, schema=schema)
    (task,) = json.loads(output.read_text("utf-8"))
    written = [r for r in task["annotations"][0]["result"] if r["type"] == "relation"]
    assert [(r["labels"][0], r["direction"]) for r in written] == [
        ("b", "bi"),
        ("r", "right"),
        ("near", "bi"),
    ]
    (record,) = read(output)
    assert len(record.meta["labelstudio"]["bidirectional"]) == 2


def test_relation_to_a_region_with_two_labels_attaches_to_each_span(tmp_path: Path) -> None:
    """One region id, two labels (in one result, or two results sharing the id)."""
    second_result = region("o", 21, 30, "MISC", "Microsoft")
    second_result["from_name"] = "kind"
    result = [
        region("p", 0, 10, "PER", "Brad Smith"),
        region("o", 21, 30, "ORG", "Microsoft"),
        second_result,
        {"from_id": "p", "to_id": "o", "type": "relation", "labels": ["works_for"]},
    ]
    task = {"data": {"text": TEXT}, "annotations": [{"result": result}]}
    (record,) = read(task_file(tmp_path, task))
    by_key = {s.key: s.label for s in record.spans}
    assert [(by_key[r.head], by_key[r.child]) for r in record.relations] == [
        ("PER", "ORG"),
        ("PER", "MISC"),
    ]
    one_result = region("o", 21, 30, "ORG", "Microsoft")
    one_result["value"]["labels"] = ["ORG", "MISC"]
    result = [result[0], one_result, result[3]]
    (record,) = read(
        task_file(tmp_path, {"data": {"text": TEXT}, "annotations": [{"result": result}]})
    )
    by_key = {s.key: s.label for s in record.spans}
    assert [(by_key[r.head], by_key[r.child]) for r in record.relations] == [
        ("PER", "ORG"),
        ("PER", "MISC"),
    ]


def test_export_offsets_are_utf16_units_as_label_studio_counts(tmp_path: Path) -> None:
    """Label Studio's frontend counts in JavaScript (UTF-16): an emoji is two units."""
    text = "🙂 Brad Smith 🙂🙂 works for Microsoft."
    start = text.index("Microsoft")
    doc = Document(id=1, text=text, status="done")
    spans = [Span(id="org", doc_id=1, start=start, end=start + 9, label="ORG")]
    output = tmp_path / "ls.json"
    registry.write("labelstudio", [ExportDocument(doc, spans, [])], output)
    (task,) = json.loads(output.read_text("utf-8"))
    value = task["annotations"][0]["result"][0]["value"]
    js_start = len(text[:start].encode("utf-16-le")) // 2
    assert (value["start"], value["end"], value["text"]) == (js_start, js_start + 9, "Microsoft")
    (record,) = read(output)
    assert [(s.start, s.end) for s in record.spans] == [(start, start + 9)]


def test_our_export_whose_first_task_is_bare_is_told_label_studio(tmp_path: Path) -> None:
    """A document without any span is a task of ``data`` alone: a file starting with one was
    'not a known annotation format' with --format auto."""
    bare = Document(id=1, text="Nothing here.", status="new")
    doc = Document(id=2, text=TEXT, status="done")
    spans = [Span(id="per", doc_id=2, start=0, end=10, label="PER")]
    output = tmp_path / "ls.json"
    registry.write(
        "labelstudio", [ExportDocument(bare, [], []), ExportDocument(doc, spans, [])], output
    )
    assert registry.detect_format(output) == "labelstudio"
    first, second = registry.read(output)
    assert first.text == "Nothing here." and spans_of(second) == [(0, 10, "PER", "accepted")]
