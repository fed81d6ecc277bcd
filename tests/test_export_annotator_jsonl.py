"""``annotator`` JSONL: export, import into a new project, export again: the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_corpus import add_annotated

from annotator import edits
from annotator.errors import FormatError
from annotator.io.registry import detect_format
from annotator.model import Document, Relation, Span
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project


def _rich_project(project: Project) -> None:
    """Every kind of annotation: pending, rejected, edited, scored, misaligned, and meta."""
    parts = add_annotated(project, 1, status="done")
    add_annotated(project, 2, status="skipped")
    doc_id, _ = project.add_document(
        Document(
            text="Élise  dîne à Lyon\u00a0ce soir.\n",
            tokens=((0, 5), (7, 11), (12, 13), (14, 18), (19, 21), (22, 26), (26, 27)),
            meta={"source": "carnet.txt", "page": 3, "tags": ["a", "é"]},
            status="in_progress",
        )
    )
    person = Span(doc_id=doc_id, start=0, end=5, label="PER", origin="model:fr@3.8", score=0.91)
    city = Span(
        doc_id=doc_id, start=14, end=18, label="LOC", origin="pattern:cities.jsonl", score=0.5
    )
    wrong = Span(
        doc_id=doc_id,
        start=7,
        end=11,
        label="ORG",
        status="rejected",
        origin="model:fr@3.8",
        score=0.3,
    )
    partial = Span(doc_id=doc_id, start=15, end=18, label="MISC", status="suggested")
    project.add_spans([person, city, wrong, partial])
    project.add_relations(
        [
            Relation(
                doc_id=doc_id,
                head=person.id,
                child=city.id,
                label="located_in",
                status="suggested",
                origin="rule:lives_in",
                score=0.7,
            )
        ]
    )
    project.apply(edits.relabel_span(person, "ORG"))
    place = parts["place"]
    project.apply(edits.resize_span(place, 34, 42))


def test_export_import_export_gives_the_same_bytes(project: Project, tmp_path: Path) -> None:
    _rich_project(project)
    first = tmp_path / "first.jsonl"
    report = export_project(project, "annotator", first, status="all", spans="all")
    assert report.documents == 3
    assert detect_format(first) == "annotator"
    with Project.create(tmp_path / "copy.annotator") as copy:
        imported = import_sources(copy, [first])
        assert imported.documents == 3
        export_project(copy, "annotator", tmp_path / "second.jsonl", status="all", spans="all")
    assert (tmp_path / "second.jsonl").read_bytes() == first.read_bytes()


def test_every_field_is_written(project: Project, tmp_path: Path) -> None:
    _rich_project(project)
    out = tmp_path / "out.jsonl"
    export_project(project, "annotator", out, status="all", spans="all")
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert {line["format"] for line in lines} == {"annotator/1"}
    assert [line["status"] for line in lines] == ["done", "skipped", "in_progress"]
    third = lines[2]
    assert third["meta"] == {"source": "carnet.txt", "page": 3, "tags": ["a", "é"]}
    assert third["tokens"][1] == [7, 11]
    spans = {(s["start"], s["end"], s["label"]): s for s in third["spans"]}
    assert spans[(0, 5, "ORG")] == {
        "start": 0,
        "end": 5,
        "label": "ORG",
        "status": "accepted",
        "origin": "model:fr@3.8",
        "score": 0.91,
        "edited": True,
    }
    assert spans[(7, 11, "ORG")]["status"] == "rejected"
    (relation,) = third["relations"]
    assert third["spans"][relation["head"]]["label"] == "ORG"
    assert third["spans"][relation["child"]]["label"] == "LOC"
    assert (relation["status"], relation["origin"], relation["score"]) == (
        "suggested",
        "rule:lives_in",
        0.7,
    )


def _write(path: Path, *lines: object) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _read(path: Path) -> list:
    from annotator.io.annotator_jsonl import read_annotator_jsonl

    return list(read_annotator_jsonl(path))


def test_a_newer_version_is_refused_by_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "new.jsonl",
        {"format": "annotator/1", "text": "a"},
        {"format": "annotator/2", "text": "b"},
    )
    with pytest.raises(FormatError, match=r"new.jsonl:2: written in annotator/2"):
        _read(path)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"format": "annotator/1", "text": "abc", "spans": [{"start": 2, "end": 9}]}, "outside"),
        (
            {
                "format": "annotator/1",
                "text": "ab",
                "spans": [{"start": 0, "end": 1, "label": "X"}],
                "relations": [{"head": 0, "child": 3, "label": "r"}],
            },
            "relation child 3",
        ),
        ({"format": "annotator/1", "text": "ab", "status": "finished"}, "document status"),
        ({"format": "annotator/1", "text": "ab", "tokens": [[1, 0]]}, "token 0"),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, line: dict, reason: str) -> None:
    path = _write(tmp_path / "bad.jsonl", line)
    with pytest.raises(FormatError, match=rf"bad.jsonl:1: .*{reason}"):
        _read(path)
