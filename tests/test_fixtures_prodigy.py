"""Real Prodigy files (``../shared/fixtures/prodigy``): each imports, with the counts it holds."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES

from annotator.services.importing import import_sources
from annotator.store import Project, project_stats

PRODIGY_FILES = sorted(p.name for p in (FIXTURES / "prodigy").glob("*.jsonl"))


def tasks(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_rel_manual_bio_events_imports_as_the_issue_says(
    fixtures_dir: Path, project: Project
) -> None:
    report = import_sources(project, [fixtures_dir / "prodigy" / "rel_manual_bio_events.jsonl"])
    stats = project_stats(project)
    assert stats["documents"]["by_status"] == {"done": 149}
    assert stats["spans"]["by_status"] == {"accepted": 466}
    assert stats["relations"]["by_status"] == {"accepted": 267}
    assert (report.documents, report.spans, report.relations, report.misaligned) == (
        149,
        466,
        267,
        0,
    )
    assert report.sources[0].format == "prodigy"
    assert set(report.relation_labels_added) == {"Binds", "Neg-Reg", "No-rel", "Pos-Reg", "Reg"}
    first = next(project.documents())
    assert isinstance(first.meta["_input_hash"], int)
    assert isinstance(first.meta["_task_hash"], int)
    assert first.meta["source"].startswith("BioNLP 2011")
    assert first.meta["prodigy"]["_view_id"] == "relations"
    # The file's own tokens are the document's tokens.
    [line] = tasks(fixtures_dir / "prodigy" / "rel_manual_bio_events.jsonl")[:1]
    assert first.tokens == tuple((t["start"], t["end"]) for t in line["tokens"])


@pytest.mark.parametrize("name", PRODIGY_FILES)
def test_every_prodigy_fixture_imports_with_its_counts(
    fixtures_dir: Path, project: Project, name: str
) -> None:
    path = fixtures_dir / "prodigy" / name
    lines = tasks(path)
    report = import_sources(project, [path])
    blank = [task for task in lines if task["text"].isspace()]  # nothing to annotate: left out
    lines = [task for task in lines if not task["text"].isspace()]
    texts = Counter(task["text"] for task in lines)
    assert report.sources[0].format == "prodigy"
    assert report.records == len(lines) + len(blank)
    assert report.empty == len(blank)
    assert report.documents == len(texts) == project.count_documents()
    assert report.repeated == len(lines) - len(texts)
    assert report.duplicates == 0
    spans_per_text = {
        task["text"]: {(s["start"], s["end"], s["label"]) for s in task.get("spans") or []}
        for task in lines
    }
    if report.repeated == 0:
        assert report.spans == sum(len(spans) for spans in spans_per_text.values())
    else:  # repeated texts are merged: the same span once
        merged: dict[str, set] = {}
        for task in lines:
            merged.setdefault(task["text"], set()).update(
                (s["start"], s["end"], s["label"]) for s in task.get("spans") or []
            )
        assert report.spans == sum(len(spans) for spans in merged.values())
    ignored = {task["text"] for task in lines if task.get("answer") == "ignore"}
    accepted = {task["text"] for task in lines if task.get("answer") == "accept"}
    by_status = project_stats(project)["documents"]["by_status"]
    assert by_status.get("skipped", 0) == len(ignored - accepted)


def test_answers_become_what_the_readme_says(fixtures_dir: Path, project: Project) -> None:
    folder = fixtures_dir / "prodigy"
    import_sources(
        project,
        [
            folder / "ner_manual_tweets_with_ignore.jsonl",
            folder / "textcat_binary_docs_issues.jsonl",
            folder / "choice_entity_linking_emerson.jsonl",
            folder / "rel_manual_input_bio_events.jsonl",
        ],
    )
    by_meta: dict[str, Counter] = {}
    for document in project.documents(tokens=False):  # meta and status only
        prodigy = document.meta.get("prodigy", {})
        kind = (
            "textcat"
            if "label" in prodigy
            else "choice"
            if "options" in prodigy
            else prodigy.get("answer", "input")
        )
        by_meta.setdefault(kind, Counter())[document.status] += 1
    assert by_meta["ignore"] == {"skipped": 4}
    # 508 accepted texts; one of them, a single space (in two tasks), is left out as blank
    assert by_meta["accept"] == {"done": 507}
    assert by_meta["textcat"] == {"new": 150}  # the answer judged a label, not entities
    assert by_meta["choice"] == {"suggested": 30}  # spans to link, left as suggestions
    assert by_meta["input"] == {"suggested": 129}  # pre-set spans with no answer yet
    textcat = next(
        d for d in project.documents(tokens=False) if "label" in d.meta.get("prodigy", {})
    )
    assert textcat.meta["prodigy"]["answer"] in ("accept", "reject")
