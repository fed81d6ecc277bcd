"""``--format auto``: formats told apart by content, not only by extension."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import annotator.io.formats  # noqa: F401  (registers every format)
from annotator.errors import FormatError
from annotator.io.registry import detect_format
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project

FIXTURE_FORMATS = {
    "brat": "brat",
    "brat/tutorials/news": "brat",
    "brat/NCBI-disease/PMID-1248000.ann": "brat",
    "brat/NCBI-disease/PMID-1248000.txt": "brat",  # a .txt with its .ann beside it
    "conll/fr_europeana_bnf_first2000.bio": "conll",
    "doccano/import_examples/sequence_labeling/example.txt": "conll",  # CoNLL in a .txt
    "doccano/import_tests/sequence_labeling/example.conll": "conll",
    "doccano/import_tests/sequence_labeling/labeling.invalid.conll": "conll",
    "doccano/relation_extraction_captier.jsonl": "doccano",
    "doccano/export_examples/relation_extraction/example.jsonl": "doccano",  # pretty-printed
    "doccano/export_examples/sequence_labeling/example.jsonl": "doccano",
    "doccano/export_examples/intent_detection/example.jsonl": "doccano",
    "doccano/export_examples/text_classification/example.json": "doccano",
    "doccano/export_examples/text_classification/example.csv": "doccano",
    "doccano/import_tests/example.utf16.csv": "doccano",
    "doccano/import_tests/text_classification/example_fasttext.txt": "doccano",
    "doccano/import_examples/task_agnostic/text_lines.txt": "text",
    "labelstudio/frontend-examples/named_entity/tasks.json": "labelstudio",
    "labelstudio/frontend-examples/named_entity/annotations/1.json": "labelstudio",
    "labelstudio/kiji-proxy/sample_predictions.json": "labelstudio",
    "labelstudio/converter-legacy-completions/348.json": "labelstudio",
    "prodigy/rel_manual_bio_events.jsonl": "prodigy",  # tokens + spans, not doccano
    "prodigy/ner_manual_fashion_brands_eval.jsonl": "prodigy",
    "prodigy/textcat_binary_docs_issues.jsonl": "prodigy",
}


@pytest.mark.parametrize(("name", "expected"), sorted(FIXTURE_FORMATS.items()))
def test_fixture_files(fixtures_dir: Path, name: str, expected: str) -> None:
    assert detect_format(fixtures_dir / name) == expected


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


DOCCANO_RE = {
    "text": "Paris",
    "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "LOC"}],
    "relations": [],
}
PRODIGY = {
    "text": "Paris",
    "tokens": [{"text": "Paris", "start": 0, "end": 5, "id": 0, "ws": False}],
    "spans": [{"start": 0, "end": 5, "token_start": 0, "token_end": 0, "label": "LOC"}],
}
LABEL_STUDIO = [{"data": {"text": "Paris"}, "annotations": [{"result": []}]}]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.jsonl", json.dumps(DOCCANO_RE) + "\n", "doccano"),
        ("a.json", json.dumps(DOCCANO_RE, indent=2), "doccano"),
        ("a.jsonl", json.dumps(PRODIGY) + "\n", "prodigy"),
        ("a.jsonl", json.dumps({"text": "Paris", "meta": {"id": 1}}) + "\n", "jsonl"),
        ("a.json", json.dumps(LABEL_STUDIO, indent=2), "labelstudio"),
        ("a.jsonl", json.dumps(LABEL_STUDIO), "labelstudio"),  # wrong extension
        ("a.txt", "EU B-ORG\nrejects O\n\nPeter B-PER\nBlackburn I-PER\n", "conll"),
        ("a.tsv", "EU\tS-ORG\nrejects\tO\n", "conll"),
        ("a.txt", "EU rejects German call.\nPeter Blackburn said so.\n", "text"),
    ],
)
def test_content_decides(tmp_path: Path, name: str, content: str, expected: str) -> None:
    assert detect_format(write(tmp_path / name, content)) == expected


def test_big_pretty_printed_label_studio_file_cut_short_by_the_sniffer(tmp_path: Path) -> None:
    tasks = [
        {"data": {"text": f"Text number {n} about Paris."}, "predictions": [{"result": []}]}
        for n in range(3000)
    ]
    path = write(tmp_path / "export.json", json.dumps(tasks, indent=4))
    assert path.stat().st_size > 64 * 1024
    assert detect_format(path) == "labelstudio"


def test_folders(tmp_path: Path) -> None:
    write(tmp_path / "brat" / "sub" / "a.txt", "Paris")
    write(tmp_path / "brat" / "sub" / "a.ann", "T1\tLOC 0 5\tParis\n")
    write(tmp_path / "plain" / "a.txt", "Paris")
    assert detect_format(tmp_path / "brat") == "brat"
    assert detect_format(tmp_path / "plain") == "text"


def _annotations(project: Project) -> list[tuple[str, list[str], list[tuple[str, str, str]]]]:
    """Per document: text, span texts with labels, and relations (head text, child text, label).

    Whitespace is taken out, as CoNLL rebuilds texts from tokens ("4, 1998" -> "4 , 1998").
    """

    def bare(text: str) -> str:
        return "".join(text.split())

    out = []
    for doc_id in project.document_ids():
        text = project.document(doc_id, tokens=False).text
        spans = {s.id: bare(text[s.start : s.end]) for s in project.spans(doc_id)}
        labels = sorted(f"{spans[s.id]}/{s.label}" for s in project.spans(doc_id))
        relations = sorted(
            (spans[r.head], spans[r.child], r.label) for r in project.relations(doc_id)
        )
        out.append((bare(text), labels, relations))
    return sorted(out)


@pytest.mark.parametrize(
    ("format", "output", "keeps_relations"),
    [
        ("brat", "out", True),
        ("doccano", "out.jsonl", True),
        ("labelstudio", "out.json", True),
        ("conll", "out.conll", False),
        ("conll-biluo", "out.conll", False),
    ],
)
def test_export_is_detected_and_imports_back_the_same(
    tmp_path: Path, fixtures_dir: Path, format: str, output: str, keeps_relations: bool
) -> None:
    """Through the services: import, export with our writer, import the export (auto)."""
    with Project.create(tmp_path / "first.annotator") as first:
        import_sources(
            first, [fixtures_dir / "doccano/import_tests/relation_extraction/example.jsonl"]
        )
        import_sources(first, [fixtures_dir / "brat/tutorials/news/110-note_annotation.txt"])
        export_project(first, format, tmp_path / output, status="all")
        before = _annotations(first)
    assert detect_format(tmp_path / output) == format.split("-")[0]
    with Project.create(tmp_path / "second.annotator") as second:
        import_sources(second, [tmp_path / output])
        after = _annotations(second)
    if not keeps_relations:
        before = [(text, spans, []) for text, spans, _ in before]
    assert after == before
    assert sum(len(spans) for _, spans, _ in after) == 18


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"", "the file is empty"), (b"\n\n  \n", "the file holds blank lines only")],
)
def test_an_empty_file_is_called_empty_not_of_an_unknown_format(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(content)
    with pytest.raises(FormatError) as error:
        detect_format(path)
    assert str(error.value) == f"{path}: {said}; nothing to import"


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        (
            "tasks.json",
            '[{"data": {"text": "abc',
            ":1: not valid JSON (Unterminated string starting",
        ),
        ("tasks.jsonl", '\n{"text": "a", \n', ":2: not valid JSON (Expecting property name"),
    ],
)
def test_a_cut_json_file_is_named_with_its_place_not_as_of_no_known_format(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    """A Label Studio export cut short was 'not a known annotation format; pass --format'."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with Project.create(tmp_path / "p.annotator") as project, pytest.raises(FormatError) as error:
        import_sources(project, [path])
    assert str(error.value).startswith(f"{path}{said}")
    assert "at column" in str(error.value)
