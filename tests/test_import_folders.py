"""A folder as a source: read whole by a folder format (brat, spaCy, plain text), else file by
file, each by its own format, and a file of no known format named, never left out silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_corpus import add_annotated

from annotator.errors import FormatError
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project

TASK = {
    "data": {"text": "Brad Smith works for Microsoft."},
    "annotations": [
        {
            "result": [
                {
                    "id": "a",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": 0, "end": 10, "text": "Brad Smith", "labels": ["PER"]},
                }
            ]
        }
    ],
}


@pytest.mark.parametrize("format", ["auto", "annotator"])
def test_a_split_export_of_a_one_file_format_imports_back_whole(
    project: Project, tmp_path: Path, format: str
) -> None:
    for number in range(10):
        add_annotated(project, number)
    out = tmp_path / "split"
    export_project(project, "annotator", out, split=(0.6, 0.2, 0.2))
    assert (out / ".annotator-export.json").is_file()  # hidden: not read as a source
    with Project.create(tmp_path / "back.annotator") as back:
        report = import_sources(back, [out], format=format)
        assert [Path(s.source).name for s in report.sources] == [
            "dev.jsonl",
            "test.jsonl",
            "train.jsonl",
        ]
        assert {s.format for s in report.sources} == {"annotator"}
        assert back.count_documents() == 10 and report.spans == 40 and report.relations == 20
        assert not report.notes


def test_a_folder_of_tasks_beside_other_files_reads_each_and_names_what_it_skips(
    project: Project, tmp_path: Path
) -> None:
    """Before, the plain-text reader took such a folder for its .txt files alone: the tasks
    were left out without a word."""
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "tasks.json").write_text(json.dumps([TASK]), encoding="utf-8")
    (folder / "notes.txt").write_text("Where these tasks come from.", encoding="utf-8")
    (folder / "LICENSE").write_text("CC BY 4.0", encoding="utf-8")
    report = import_sources(project, [folder])
    assert [(Path(s.source).name, s.format, s.documents) for s in report.sources] == [
        ("notes.txt", "text", 1),
        ("tasks.json", "labelstudio", 1),
    ]
    assert report.spans == 1
    assert report.notes == [
        f"{folder}: 1 file of no known annotation format skipped: LICENSE (not a known "
        "annotation format)"
    ]


def test_a_folder_of_text_files_only_is_still_one_source(project: Project, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    (folder / "2024").mkdir(parents=True)
    (folder / "a.txt").write_text("First article.", encoding="utf-8")
    (folder / "2024" / "b.txt").write_text("Second article.", encoding="utf-8")
    report = import_sources(project, [folder])
    assert [(s.source, s.format, s.documents) for s in report.sources] == [(str(folder), "text", 2)]


def test_a_folder_with_no_file_of_a_known_format_is_refused(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "README.md").write_text("# read me", encoding="utf-8")
    with pytest.raises(FormatError) as error:
        import_sources(project, [folder])
    assert str(error.value) == (
        f"{folder}: no file of a known annotation format in this folder: README.md (a Markdown "
        "document, not annotations)"
    )
    assert project.count_documents() == 0


def test_a_folder_read_with_a_given_format_refuses_a_file_of_another(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps([TASK]), encoding="utf-8")
    (folder / "b.jsonl").write_text("not json\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"b\.jsonl"):
        import_sources(project, [folder], format="labelstudio")
    assert project.count_documents() == 0


def _prodigy_line() -> str:
    return json.dumps({"text": "Satya Nadella dirige Microsoft.", "answer": "accept", "spans": []})


@pytest.mark.parametrize("beside", ["spacy", "brat", "brat below"])
def test_a_folder_of_several_formats_reads_every_file(
    project: Project, tmp_path: Path, beside: str
) -> None:
    """A .spacy or an .ann file anywhere made the whole folder spaCy or brat: the other files
    were left out without a word (a doccano export of 500 documents beside a spaCy one)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "tasks.jsonl").write_text(_prodigy_line() + "\n", encoding="utf-8")
    if beside == "spacy":
        add_annotated(project, 1)
        export_project(project, "spacy", tmp_path / "spacy", split=(1.0,))
        (tmp_path / "spacy" / "train.spacy").rename(folder / "train.spacy")
        expected = {"tasks.jsonl": "prodigy", "train.spacy": "spacy"}
    else:
        brat = folder / "brat" if beside == "brat below" else folder
        brat.mkdir(exist_ok=True)
        (brat / "a.txt").write_text("Brad Smith works.", encoding="utf-8")
        (brat / "a.ann").write_text("T1\tPER 0 10\tBrad Smith\n", encoding="utf-8")
        (brat / "annotation.conf").write_text("[entities]\nPER\n", encoding="utf-8")
        expected = {"tasks.jsonl": "prodigy", "a.ann": "brat"}
    with Project.create(tmp_path / "back.annotator") as back:
        report = import_sources(back, [folder])
        assert {Path(s.source).name: s.format for s in report.sources} == expected
        assert back.count_documents() == 2 and not report.notes


def test_a_folder_read_with_a_folder_format_names_the_files_it_does_not_read(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("First article.", encoding="utf-8")
    (folder / "tasks.jsonl").write_text(_prodigy_line() + "\n", encoding="utf-8")
    report = import_sources(project, [folder], format="text")
    assert project.count_documents() == 1
    assert report.notes == [f"{folder}: 1 file not read as text skipped: tasks.jsonl"]
