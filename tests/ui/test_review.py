"""A team end to end: split the sample, disagree, merge, measure, review by keys, export."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from PySide6.QtCore import Qt
from spacy.tokens import DocBin
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.model import Span
from annotator.services import team
from annotator.services.agreement import agreement
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project
from annotator.store.listing import IN_DISPUTE, DocumentFilter, filtered_ids

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SHIFT = Qt.KeyboardModifier.ShiftModifier

# (phrase, label) each annotator accepts in the sample article, then marks it done
DECISIONS = {
    "alice": [("Microsoft", "ORG"), ("Donald Trump", "PER"), ("Wall Street Journal", "ORG")],
    "bob": [("Microsoft", "ORG"), ("Trump", "PER"), ("Wall Street Journal", "MISC")],
    "chloe": [("Microsoft", "ORG"), ("Donald Trump", "PER"), ("Wall Street Journal", "ORG")],
}


def _annotate(path: Path, decisions: list[tuple[str, str]]) -> None:
    with Project.open(path) as project:
        [doc_id] = project.document_ids()
        text = project.document(doc_id).text
        for phrase, label in decisions:
            start = text.index(phrase)
            project.insert_span(
                Span(doc_id=doc_id, start=start, end=start + len(phrase), label=label)
            )
        project.set_document_status(doc_id, "done")


@pytest.fixture
def merged(tmp_path: Path) -> Path:
    base = tmp_path / "sample.annotator"
    with Project.create(base) as project:
        import_sources(project, [SEEDS])
    report = team.split_project(base, list(DECISIONS), overlap=1.0, seed=1)
    for name, decisions in DECISIONS.items():
        _annotate(report.projects[name], decisions)
    paths = list(report.projects.values())
    figures = agreement(paths)
    # by hand, per pair: alice/chloe 3 of 3+3 exact; alice/bob and bob/chloe 1 of 3+3
    exact = {tuple(p["annotators"]): p["span_exact_f1"] for p in figures["pairs"]}
    assert exact == {
        ("alice", "bob"): pytest.approx(2 / 6, abs=1e-4),
        ("alice", "chloe"): 1.0,
        ("bob", "chloe"): pytest.approx(2 / 6, abs=1e-4),
    }
    overlap = {tuple(p["annotators"]): p["span_overlap_f1"] for p in figures["pairs"]}
    # "Trump" overlaps "Donald Trump" (same label); the WSJ label differs
    assert overlap[("alice", "bob")] == pytest.approx(4 / 6, abs=1e-4)
    # rows: the earlier annotator of each pair; bob's MISC is a row against chloe only
    assert figures["confusion"]["ORG"] == {"MISC": 1, "ORG": 4}
    assert figures["confusion"]["MISC"] == {"ORG": 1}
    out = tmp_path / "review.annotator"
    merge = team.merge_projects(out, paths)
    assert (merge.documents, merge.disputed) == (1, 1)
    return out


def _version(project: Project, phrase: str, label: str, who: str) -> Span:
    [doc_id] = project.document_ids()
    text = project.document(doc_id).text
    start = text.index(phrase)
    [found] = [
        s
        for s in project.spans(doc_id)
        if (s.start, s.end, s.label) == (start, start + len(phrase), label)
        and s.origin == f"annotator:{who}"
    ]
    return found


def test_review_by_keys_then_export_the_settled_version(qtbot, launcher, merged, tmp_path):
    window = open_window(qtbot, launcher, merged)
    project = window.session.project
    assert "Review" in [menu.title().replace("&", "") for menu in window.actions_.menus]
    assert filtered_ids(project, DocumentFilter(status=IN_DISPUTE)) == [1]
    # the versions are in place, with who made each on its tag
    wsj = _version(project, "Wall Street Journal", "ORG", "alice+chloe")
    assert "ORG · alice+chloe" in window.view.tag_texts()
    # one key takes a version and rejects the competing one
    window.view.select(wsj.id)
    qtbot.keyClick(window.view, Qt.Key.Key_T)
    assert project.span(wsj.id).status == "accepted"
    rival = _version(project, "Wall Street Journal", "MISC", "bob")
    assert rival.status == "rejected"
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.span(wsj.id).status == "suggested"
    assert _version(project, "Wall Street Journal", "MISC", "bob").status == "suggested"
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | SHIFT)
    assert project.span(wsj.id).status == "accepted"
    # "Donald Trump" over bob's "Trump"
    trump = _version(project, "Donald Trump", "PER", "alice+chloe")
    window.view.select(trump.id)
    qtbot.keyClick(window.view, Qt.Key.Key_T)
    # what all three made: accepted at once
    qtbot.keyClick(window.view, Qt.Key.Key_T, SHIFT)
    microsoft = _version(project, "Microsoft", "ORG", "alice+bob+chloe")
    assert microsoft.status == "accepted"
    assert filtered_ids(project, DocumentFilter(status=IN_DISPUTE)) == []
    project.set_document_status(1, "done")
    window.close()
    with Project.open(merged, read_only=True) as settled:
        report = export_project(settled, "spacy", tmp_path / "corpus", split=(1.0,))
    assert report.documents == 1
    nlp = spacy.blank("fr")
    [written] = [Path(f) for f in report.files if f.endswith(".spacy")]
    [doc] = DocBin().from_disk(written).get_docs(nlp.vocab)
    entities = {(e.text, e.label_) for e in doc.ents}
    assert {("Donald Trump", "PER"), ("Wall Street Journal", "ORG")} <= entities
    assert ("Trump", "PER") not in entities and ("Wall Street Journal", "MISC") not in entities


def test_the_annotator_name_is_set_in_the_window_and_logged(qtbot, launcher, tmp_path) -> None:
    from PySide6.QtWidgets import QDialogButtonBox, QInputDialog, QLineEdit

    path = tmp_path / "mine.annotator"
    with Project.create(path) as project:
        import_sources(project, [SEEDS])
    window = open_window(qtbot, launcher, path)
    window.actions_.actions["annotator_name"].trigger()
    dialog = window.findChild(QInputDialog, "annotator-name-dialog")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    field = dialog.findChild(QLineEdit)
    qtbot.keyClicks(field, "alice")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert window.session.project.settings.annotator == "alice"
    text = window.session.project.document(1, tokens=False).text  # tokens may be on the way
    window.view.set_text_selection(0, text.index(" "))
    qtbot.keyClick(window.view, "2")  # label it ORG
    assert window.session.project.edit_log(1)[-1]["actor"] == "alice"
    with Project.open(path, read_only=True) as reopened:
        assert reopened.settings.annotator == "alice"
