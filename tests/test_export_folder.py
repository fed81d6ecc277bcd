"""Exporting again into a folder: files the earlier export wrote and this one does not are
removed (a dropped test split must not linger beside the new train split); others stay."""

from __future__ import annotations

from pathlib import Path

from export_corpus import add_annotated

from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project


def test_a_dropped_split_does_not_linger(project: Project, tmp_path: Path) -> None:
    for number in range(10):
        add_annotated(project, number)
    out = tmp_path / "out"
    export_project(project, "spacy", out, split=(0.6, 0.2, 0.2))
    (out / "notes.txt").write_text("mine")
    report = export_project(project, "spacy", out)
    assert sorted(p.name for p in out.glob("*.spacy")) == ["dev.spacy", "train.spacy"]
    assert (out / "notes.txt").read_text() == "mine"  # not written by an export: kept
    removed = [warning for warning in report.warnings if "removed" in warning]
    assert removed == [f"{out / 'test.spacy'}: removed, left by an earlier export to {out}"]


def test_a_brat_folder_keeps_only_the_documents_exported_last(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    second = add_annotated(project, 2)
    out = tmp_path / "brat"
    export_project(project, "brat", out)
    first_files = sorted(p.name for p in out.iterdir())
    project.set_document_status(second["doc_id"], "in_progress")
    export_project(project, "brat", out)
    assert len(list(out.glob("*.ann"))) == 1
    assert len(first_files) > len(list(out.iterdir()))
    with Project.create(tmp_path / "back.annotator") as back:
        assert import_sources(back, [out]).documents == 1
