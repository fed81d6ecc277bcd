"""``--status`` picks documents, ``--spans`` picks annotations; rejected ones stay home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_corpus import add_annotated

from annotator import edits
from annotator.errors import ExportError
from annotator.model import Span
from annotator.services.exporting import export_project
from annotator.store import Project


def _tasks(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture
def mixed(project: Project) -> Project:
    """Document 1 done, 2 in progress, 3 skipped; document 1 has a pending and a rejected span."""
    first = add_annotated(project, 1, status="done")
    add_annotated(project, 2, status="in_progress")
    add_annotated(project, 3, status="skipped")
    doc_id = first["doc_id"]
    project.add_spans(
        [
            Span(doc_id=doc_id, start=11, end=16, label="MISC", status="suggested", score=0.4),
            Span(doc_id=doc_id, start=17, end=20, label="MISC", status="rejected", score=0.9),
        ]
    )
    return project


def test_status_done_exports_finished_documents_only(mixed: Project, tmp_path: Path) -> None:
    report = export_project(mixed, "prodigy", tmp_path / "out.jsonl")
    tasks = _tasks(tmp_path / "out.jsonl")
    assert [t["text"][-1] for t in tasks] == ["1"]
    assert tasks[0]["answer"] == "accept"
    assert report.documents == 1


def test_status_all_exports_every_document(mixed: Project, tmp_path: Path) -> None:
    export_project(mixed, "prodigy", tmp_path / "out.jsonl", status="all")
    tasks = _tasks(tmp_path / "out.jsonl")
    assert [t["text"][-1] for t in tasks] == ["1", "2", "3"]
    assert [t.get("answer") for t in tasks] == ["accept", None, "ignore"]


def test_spans_accepted_leaves_suggestions_out(mixed: Project, tmp_path: Path) -> None:
    export_project(mixed, "prodigy", tmp_path / "out.jsonl")
    labels = [s["label"] for s in _tasks(tmp_path / "out.jsonl")[0]["spans"]]
    assert "MISC" not in labels
    assert len(labels) == 4


def test_spans_all_adds_suggestions_but_never_rejected_ones(mixed: Project, tmp_path: Path) -> None:
    export_project(mixed, "prodigy", tmp_path / "out.jsonl", spans="all")
    spans = _tasks(tmp_path / "out.jsonl")[0]["spans"]
    assert [s["text"] for s in spans if s["label"] == "MISC"] == ["works"]


def test_the_lossless_format_keeps_rejected_annotations_with_spans_all(
    mixed: Project, tmp_path: Path
) -> None:
    export_project(mixed, "annotator", tmp_path / "accepted.jsonl")
    export_project(mixed, "annotator", tmp_path / "all.jsonl", spans="all")
    (accepted,) = _tasks(tmp_path / "accepted.jsonl")
    (every,) = _tasks(tmp_path / "all.jsonl")
    assert {s["status"] for s in accepted["spans"]} == {"accepted"}
    statuses = {(s["label"], s["status"], s["score"]) for s in every["spans"]}
    assert {("MISC", "suggested", 0.4), ("MISC", "rejected", 0.9)} <= statuses


def test_a_relation_on_an_unselected_span_is_reported(project: Project, tmp_path: Path) -> None:
    parts = add_annotated(project, 1)
    place = parts["place"]
    project.apply(
        edits.UpdateSpan(before=place, after=place.model_copy(update={"status": "suggested"}))
    )
    report = export_project(project, "prodigy", tmp_path / "out.jsonl")
    (task,) = _tasks(tmp_path / "out.jsonl")
    assert [r["label"] for r in task["relations"]] == ["works_for"]
    assert report.counts["relations_without_spans"] == 1
    assert any("located_in left out" in w for w in report.warnings)


def test_nothing_done_is_a_clear_error(project: Project, tmp_path: Path) -> None:
    add_annotated(project, 1, status="in_progress")
    with pytest.raises(ExportError, match="no document is done .*--status all"):
        export_project(project, "spacy", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_export_is_logged(mixed: Project, tmp_path: Path) -> None:
    export_project(mixed, "prodigy", tmp_path / "out.jsonl")
    (event,) = [e for e in mixed.edit_log() if e["kind"] == "export"]
    payload = json.loads(event["payload"])
    assert payload["format"] == "prodigy"
    assert payload["documents"] == 1
    assert payload["files"] == [str(tmp_path / "out.jsonl")]


def test_a_failed_export_leaves_the_previous_files(
    mixed: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.errors import Cancelled

    out = tmp_path / "out.jsonl"
    export_project(mixed, "prodigy", out)
    previous = out.read_bytes()
    with pytest.raises(Cancelled):
        export_project(mixed, "prodigy", out, status="all", cancel=lambda: True)
    assert out.read_bytes() == previous
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_progress_counts_every_document(mixed: Project, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    export_project(
        mixed, "spacy", tmp_path / "out", status="all", progress=lambda *a: seen.append(a)
    )
    assert sorted(seen) == [(1, 3), (2, 3), (3, 3)]


def test_a_project_open_elsewhere_is_exported_read_only(tmp_path: Path) -> None:
    from annotator.services.exporting import export_project_file

    path = tmp_path / "busy.annotator"
    with Project.create(path) as holder:  # holds the writer lock, as the window does
        add_annotated(holder, 1)
        report = export_project_file(path, format="prodigy", output=tmp_path / "out.jsonl")
        assert report.documents == 1
        assert any("not in its edit log" in w for w in report.warnings)
        assert not [e for e in holder.edit_log() if e["kind"] == "export"]
