"""doccano: every real export and import file, hand-made edge cases, and the writer's round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import annotator.io.formats  # noqa: F401  (registers every format)
from annotator.errors import FormatError
from annotator.io import registry
from annotator.io.records import ExportDocument, ImportRecord
from annotator.model import Document, Relation, Span
from annotator.services.importing import import_sources
from annotator.store import Project

GOOGLE = "Google was founded on September 4, 1998, by Larry Page and Sergey Brin."


def read(path: Path, **options: object) -> list[ImportRecord]:
    return list(registry.read(path, "doccano", **options))


def spans_of(record: ImportRecord) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in record.spans]


def relations_of(record: ImportRecord) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    by_key = {s.key: (s.start, s.end) for s in record.spans}
    return sorted((by_key[r.head], by_key[r.child], r.label) for r in record.relations)


GOOGLE_RELATIONS = [
    ((0, 6), (22, 39), "foundedAt"),
    ((0, 6), (44, 54), "foundedBy"),
    ((0, 6), (59, 70), "foundedBy"),
]


@pytest.mark.parametrize(
    "name",
    [
        "import_examples/relation_extraction/example.jsonl",
        "import_tests/relation_extraction/example.jsonl",
        "export_examples/relation_extraction/example.jsonl",  # one pretty-printed JSON object
    ],
)
def test_relation_extraction_files(fixtures_dir: Path, name: str) -> None:
    (record,) = read(fixtures_dir / "doccano" / name)
    assert record.text == GOOGLE
    assert spans_of(record) == [
        (0, 6, "ORG"),
        (22, 39, "DATE"),
        (44, 54, "PERSON"),
        (59, 70, "PERSON"),
    ]
    assert relations_of(record) == GOOGLE_RELATIONS


def test_sequence_labelling_export_and_import_examples(fixtures_dir: Path) -> None:
    exported = read(fixtures_dir / "doccano/export_examples/sequence_labeling/example.jsonl")
    assert [r.text for r in exported] == [
        "EU rejects German call to boycott British lamb.",
        "Peter Blackburn",
        "President Obama",
    ]
    assert [spans_of(r) for r in exported] == [
        [(0, 2, "ORG"), (11, 17, "MISC")],
        [(0, 15, "PERSON")],
        [(10, 15, "PERSON")],
    ]
    # doccano's example column names
    imported = read(fixtures_dir / "doccano/import_examples/sequence_labeling/example.jsonl")
    assert spans_of(imported[0]) == [(0, 2, "ORG")]


def test_intent_detection_keeps_spans_and_categories(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "doccano/export_examples/intent_detection/example.jsonl")
    assert spans_of(records[0]) == [(0, 26, "City"), (30, 36, "City")]
    assert records[0].meta["doccano"]["categories"] == ["flight"]


@pytest.mark.parametrize(
    "name",
    [
        "export_examples/text_classification/example.csv",
        "export_examples/text_classification/example.json",
        "export_examples/text_classification/example.jsonl",
        "export_examples/text_classification/example.txt",  # fastText
        "import_examples/text_classification/example.csv",
        "import_examples/text_classification/example.json",
        "import_examples/text_classification/example.jsonl",
        "import_examples/text_classification/example.txt",
    ],
)
def test_text_classification_imports_texts_with_categories_in_meta(
    fixtures_dir: Path, name: str
) -> None:
    records = read(fixtures_dir / "doccano" / name)
    assert [(r.text, r.meta["doccano"]["categories"]) for r in records] == [
        ("Terrible customer service.", ["negative"]),
        ("Really great transaction.", ["positive"]),
        ("Great price.", ["positive"]),
    ]
    assert not any(r.spans for r in records)


def test_utf16_csv(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "doccano/import_tests/example.utf16.csv")
    assert [(r.text, r.meta["doccano"]["categories"]) for r in records] == [
        ("AAA", ["Positive"]),
        ("BBB", ["Positive"]),
        ("CCC", ["Negative"]),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("example.csv", [("exampleA", ["positive"]), ("exampleB", None), ("", None)]),
        (
            "example_out_of_order_columns.csv",
            [("exampleA", ["positive"]), ("exampleB", None), ("", None)],
        ),
        (
            "example_fasttext.txt",
            [
                ("exampleA", ["positive"]),
                ("exampleB", ["positive", "negative"]),
                ("exampleC", None),
                ("", None),
            ],
        ),
    ],
)
def test_classification_rows_without_text_are_passed_on_empty(
    fixtures_dir: Path, name: str, expected: list
) -> None:
    records = read(fixtures_dir / "doccano/import_tests/text_classification" / name)
    assert [(r.text, r.meta.get("doccano", {}).get("categories")) for r in records] == expected


def test_record_meta_becomes_document_meta_and_duplicates_are_kept_once(
    fixtures_dir: Path,
) -> None:
    (record,) = read(
        fixtures_dir / "doccano/import_tests/sequence_labeling/example_overlapping.jsonl"
    )
    assert spans_of(record) == [(0, 1, "LOC")]
    assert record.meta == {"wikiPageID": 1, "doccano": {"duplicate_spans": 1}}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("import_tests/intent/example.jsonl", "example.jsonl:5: no text"),
        ("import_tests/sequence_labeling/example.jsonl", "example.jsonl:3: no text"),
        ("import_tests/text_classification/example.json", "example.json (record 4): no text"),
        (
            "import_tests/text_classification/example.invalid.2.csv",
            "example.invalid.2.csv:2: 3 columns where the header has 2",
        ),
        (
            "relation_extraction_captier.jsonl",
            "relation_extraction_captier.jsonl:68: entities: span [170, 183) Threat-Actor runs "
            "past the end of the text (100 characters)",
        ),
    ],
)
def test_invalid_fixture_files_are_refused_naming_the_line(
    fixtures_dir: Path, name: str, message: str
) -> None:
    with pytest.raises(FormatError) as error:
        read(fixtures_dir / "doccano" / name)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_captier_imports_when_spans_outside_the_text_are_skipped(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "doccano/relation_extraction_captier.jsonl", invalid_spans="skip")
    skipped = [e for r in records for e in r.meta.get("doccano", {}).get("skipped_entities", [])]
    skipped_relations = sum(
        len(r.meta.get("doccano", {}).get("skipped_relations", [])) for r in records
    )
    assert len(records) == 1500
    assert sum(len(r.spans) for r in records) + len(skipped) == 7053
    assert sum(len(r.relations) for r in records) + skipped_relations == 5907
    assert records[67].meta["doccano"]["skipped_entities"][0]["entity"]["id"] == 23942
    assert all(
        r.text[s.start : s.end] for r in records for s in r.spans
    )  # every kept span covers text


def test_crlf_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    lines = [{"text": "Paris est belle.", "label": [[0, 5, "LOC"]]}, {"text": "Lyon", "label": []}]
    path.write_bytes(b"".join(json.dumps(line).encode() + b"\r\n" for line in lines))
    records = read(path)
    assert [spans_of(r) for r in records] == [[(0, 5, "LOC")], []]
    assert [r.where for r in records] == [1, 2]


def test_pretty_printed_list(tmp_path: Path) -> None:
    path = tmp_path / "pretty.jsonl"
    path.write_text(json.dumps([{"text": "Paris", "label": [[0, 5, "LOC"]]}], indent=4))
    assert [spans_of(r) for r in read(path)] == [[(0, 5, "LOC")]]


def test_relation_to_an_unknown_entity_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    record = {
        "text": "Paris",
        "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "LOC"}],
        "relations": [{"id": 9, "from_id": 1, "to_id": 2, "type": "near"}],
    }
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(FormatError, match=r"bad\.jsonl:1: relation 9: to_id 2 is not an entity"):
        read(path)


def test_broken_json_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "a", "label": []}\n{"text": \n')
    with pytest.raises(FormatError, match=r"broken\.jsonl:2: not valid JSON"):
        read(path)


def test_write_then_read_gives_the_same_spans_and_relations(tmp_path: Path) -> None:
    doc = Document(id=3, text=GOOGLE, meta={"source": "g.txt"}, status="done")
    spans = [
        Span(id="a", doc_id=3, start=0, end=6, label="ORG"),
        Span(id="b", doc_id=3, start=22, end=39, label="DATE"),
        Span(id="c", doc_id=3, start=44, end=54, label="PERSON"),
        Span(id="d", doc_id=3, start=59, end=70, label="PERSON"),
        Span(id="e", doc_id=3, start=44, end=49, label="PERSON"),  # overlapping: kept
    ]
    relations = [
        Relation(doc_id=3, head="a", child="b", label="foundedAt"),
        Relation(doc_id=3, head="a", child="c", label="foundedBy"),
        Relation(doc_id=3, head="a", child="d", label="foundedBy"),
    ]
    empty = Document(id=4, text="Nothing.", status="done")
    output = tmp_path / "out.jsonl"
    report = registry.write(
        "doccano", [ExportDocument(doc, spans, relations), ExportDocument(empty, [], [])], output
    )
    assert report.files == [str(output)] and report.spans == 5 and report.relations == 3
    first = json.loads(output.read_text("utf-8").splitlines()[0])
    assert set(first) == {"id", "text", "entities", "relations", "meta"}
    back = read(output)
    assert [r.text for r in back] == [GOOGLE, "Nothing."]
    assert sorted(spans_of(back[0])) == sorted((s.start, s.end, s.label) for s in spans)
    assert relations_of(back[0]) == GOOGLE_RELATIONS
    assert back[0].meta["source"] == "g.txt"
    assert not back[1].spans


def test_a_doccano_file_imports_into_a_project(project: Project, fixtures_dir: Path) -> None:
    path = fixtures_dir / "doccano/import_tests/relation_extraction/example.jsonl"
    report = import_sources(project, [path])
    assert report.sources[0].format == "doccano"  # told by content (--format auto)
    (doc_id,) = project.document_ids()
    spans = {s.id: (s.start, s.end) for s in project.spans(doc_id)}
    assert sorted((s.start, s.end, s.label) for s in project.spans(doc_id)) == [
        (0, 6, "ORG"),
        (22, 39, "DATE"),
        (44, 54, "PERSON"),
        (59, 70, "PERSON"),
    ]
    relations = sorted(
        (spans[r.head], spans[r.child], r.label, r.status) for r in project.relations(doc_id)
    )
    assert relations == [(*r, "accepted") for r in GOOGLE_RELATIONS]
    assert project.spans(doc_id)[0].origin == "import:doccano"


def test_export_is_ascii_json_that_reads_back_the_same_text(tmp_path: Path) -> None:
    """doccano's "Auto" encoding guesses Windows-1254 on UTF-8: write ``\\u`` escapes only."""
    text = "Zoë à Paris, 東京 et 🙂 İstanbul."
    doc = Document(id=1, text=text, meta={"ville": "Besançon"}, status="done")
    spans = [Span(id="a", doc_id=1, start=13, end=15, label="LOC")]
    output = tmp_path / "out.jsonl"
    registry.write("doccano", [ExportDocument(doc, spans, [])], output)
    raw = output.read_bytes()
    assert raw.isascii()
    (back,) = read(output)
    assert back.text == text and back.meta["ville"] == "Besançon"
    assert spans_of(back) == [(13, 15, "LOC")]


def test_overlapping_spans_are_warned_about(tmp_path: Path) -> None:
    doc = Document(id=7, text=GOOGLE, status="done")
    spans = [
        Span(id="c", doc_id=7, start=44, end=54, label="PERSON"),
        Span(id="e", doc_id=7, start=44, end=49, label="PERSON"),
        Span(id="a", doc_id=7, start=0, end=6, label="ORG"),
    ]
    alone = Document(id=8, text="Nothing.", status="done")
    report = registry.write(
        "doccano",
        [ExportDocument(doc, spans, []), ExportDocument(alone, [], [])],
        tmp_path / "out.jsonl",
    )
    assert report.warnings == [
        "document 7: spans [44, 49) PERSON and [44, 54) PERSON overlap; doccano keeps them only "
        'in a project with "Allow overlapping spans" set'
    ]
    assert report.counts == {"doccano: documents with overlapping spans": 1}
    assert report.spans == 3  # still written


def test_export_lines_are_json_dumps_written_in_blocks_with_their_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines formatted directly, joined and written a block at a time (here of 200
    characters, so most lines end a block), with the SHA-256 the export's manifest lists
    taken from the bytes written: each line what ``json.dumps`` of its object gives."""
    import hashlib

    from annotator.io import doccano

    monkeypatch.setattr(doccano, "WRITE_BUFFER", 200)
    texts = ["Zoë à Paris.", 'Un "guillemet" \\ et\tun tab.', "Acme à Besançon, 東京.", "x" * 500]
    items = []
    for number, text in enumerate(texts, start=1):
        spans = [Span(id=f"s{number}", doc_id=number, start=0, end=2, label="LOC")]
        meta = {"ville": "Besançon", "n": number} if number % 2 else {}
        items.append(ExportDocument(Document(id=number, text=text, meta=meta), spans, []))
    output = tmp_path / "out.jsonl"
    report = registry.write("doccano", items, output)
    expected = "".join(
        json.dumps(
            {
                "id": number,
                "text": text,
                "entities": [{"id": number, "label": "LOC", "start_offset": 0, "end_offset": 2}],
                "relations": [],
                **({"meta": item.document.meta} if item.document.meta else {}),
            }
        )
        + "\n"
        for number, (text, item) in enumerate(zip(texts, items, strict=True), start=1)
    )
    assert output.read_text("ascii") == expected
    assert report.digests == {str(output): hashlib.sha256(output.read_bytes()).hexdigest()}
