"""The ``prodigy`` export: Prodigy's task shape, and a real ``rel.manual`` file coming back."""

from __future__ import annotations

import json
from pathlib import Path

from export_corpus import add_annotated

from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project

SPAN_FIELDS = ("start", "end", "token_start", "token_end", "label")


def _tasks(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_task_shape(project: Project, tmp_path: Path) -> None:
    add_annotated(project, 7)
    export_project(project, "prodigy", tmp_path / "out.jsonl")
    (task,) = _tasks(tmp_path / "out.jsonl")
    assert task["text"] == "Brad Smith works for Microsoft in Redmond. 7"
    assert task["tokens"][1] == {"text": "Smith", "start": 5, "end": 10, "id": 1, "ws": True}
    assert task["tokens"][-2]["ws"] is True and task["tokens"][-1]["ws"] is False
    person = {"start": 0, "end": 10, "token_start": 0, "token_end": 1, "label": "PER"}
    assert {**person, "text": "Brad Smith"} in task["spans"]
    works_for = next(r for r in task["relations"] if r["label"] == "works_for")
    # head and child are the index of each span's LAST token
    assert (works_for["head"], works_for["child"]) == (1, 4)
    assert works_for["head_span"] == person
    assert works_for["child_span"]["token_end"] == 4
    assert task["answer"] == "accept"
    assert task["meta"] == {}


def test_rel_manual_file_comes_back_unchanged(
    project: Project, fixtures_dir: Path, tmp_path: Path
) -> None:
    source = fixtures_dir / "prodigy" / "rel_manual_bio_events.jsonl"
    import_sources(project, [source], format="prodigy")
    report = export_project(project, "prodigy", tmp_path / "back.jsonl")
    original, back = _tasks(source), _tasks(tmp_path / "back.jsonl")
    assert len(back) == len(original) == 149
    assert (report.spans, report.relations) == (466, 267)
    assert not report.warnings
    for before, after in zip(original, back, strict=True):
        assert after["text"] == before["text"]
        assert [[s[k] for k in SPAN_FIELDS] for s in after["spans"]] == [
            [s[k] for k in SPAN_FIELDS] for s in before["spans"]
        ]
        assert [(r["head"], r["child"], r["label"]) for r in after["relations"]] == [
            (r["head"], r["child"], r["label"]) for r in before["relations"]
        ]
        for key in ("tokens", "meta", "answer", "_input_hash", "_task_hash", "_view_id"):
            assert after[key] == before[key], key
        assert [s.get("type") for s in after["spans"]] == [s.get("type") for s in before["spans"]]


def test_a_file_with_unfinished_documents_says_their_spans_come_back_as_suggestions(
    project: Project, tmp_path: Path
) -> None:
    """A task without an answer is still to do: its accepted spans are read back as
    suggestions, and the report said nothing of it."""
    add_annotated(project, 1)
    add_annotated(project, 2, status="in_progress")
    out = tmp_path / "out.jsonl"
    report = export_project(project, "prodigy", out, status="all")
    assert (
        report.summaries[str(out)]
        .describe()
        .endswith(
            "; a document not done is a task without an answer, still to do: Prodigy, and "
            "annotator import, read its spans as suggestions to review, not as decisions"
        )
    )
    done_only = export_project(project, "prodigy", tmp_path / "done.jsonl")
    assert not done_only.summaries[str(tmp_path / "done.jsonl")].note
