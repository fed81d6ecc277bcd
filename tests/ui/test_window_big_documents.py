"""Long documents with thousands of suggestions: the screen keeps up with the keys, and an
acceptance that would spread to hundreds of places asks first without holding the keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from window_support import OFFSCREEN_WINDOW_WARNINGS, focus_window

from annotator.model import Document, Relation, Span
from annotator.store import Project
from annotator.ui.editor.propagation import ASK_ABOVE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)

# the full stop ends each sentence: "soir" next to the following "Alice" would look like a
# piece of a longer name, which propagation leaves alone
WORDS = ("Alice", "rejoint", "Acme", "à", "Paris", "selon", "le", "journal", "du", "soir", ".")
LABELS = {"Alice": "PER", "Acme": "ORG", "Paris": "LOC"}


def _long_document(path: Path, sentences: int, relations: int = 0) -> None:
    """``sentences`` times the same sentence, a paragraph every 8 sentences; every name a
    suggestion (model origin), ``relations`` of them linked."""
    parts, tokens, spans, position = [], [], [], 0
    for number in range(sentences):
        for index, word in enumerate(WORDS):
            if number or index:
                separator = "\n" if index == 0 and number % 8 == 0 else " "
                parts.append(separator)
                position += 1
            tokens.append((position, position + len(word)))
            parts.append(word)
            if word in LABELS:
                spans.append((position, position + len(word), LABELS[word]))
            position += len(word)
    with Project.create(path) as project:
        doc_id, _ = project.add_document(Document(text="".join(parts), tokens=tuple(tokens)))
        made = [
            Span(doc_id=doc_id, start=s, end=e, label=label, status="suggested", origin="model:m@1")
            for s, e, label in spans
        ]
        project.add_spans(made)
        project.add_relations(
            [
                Relation(
                    doc_id=doc_id,
                    head=made[3 * k].id,
                    child=made[3 * k + 1].id,
                    label="works_for",
                    status="suggested",
                    origin="rule:r",
                )
                for k in range(relations)
            ]
        )
        project.log_event("suggest", "suggested", {})  # no first-run offer


def _with_one_soir(path: Path, sentences: int) -> None:
    """``_long_document`` where the first "soir" is a suggestion too: accepting it would spread
    to every other "soir"."""
    _long_document(path, sentences)
    with Project.open(path) as project:
        start = project.document(1).text.index("soir")
        project.add_spans(
            [Span(doc_id=1, start=start, end=start + 4, label="MISC", status="suggested")]
        )


def _accept_soir(qtbot, window) -> None:
    soir = next(s for s in window.session.project.spans(1) if s.label == "MISC")
    window.view.select(soir.id)
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    qtbot.waitUntil(window.propagation_bar.isVisible, timeout=30_000)


def _statuses_shown(window) -> dict[str, str]:
    view = window.view
    return {item_id: view.shown_item(item_id).status for item_id in view.shown_item_ids()}


def _statuses_stored(window) -> dict[str, str]:
    project = window.session.project
    doc_id = window.session.current_doc_id
    found = {s.id: s.status for s in project.spans(doc_id) if s.status != "rejected"}
    found |= {r.id: r.status for r in project.relations(doc_id) if r.status != "rejected"}
    return found


def test_quick_keys_on_a_long_document_and_the_screen_shows_the_last_one(
    qtbot, launcher, tmp_path
) -> None:
    path = tmp_path / "long.annotator"
    _long_document(path, sentences=1_000, relations=100)  # 3,000 spans, 100 relations
    assert launcher.open_project(path)
    window = focus_window(qtbot, launcher.window)
    window.view.propagation().set_enabled(False)
    view = window.view
    painted: list[dict[str, str]] = []
    original = type(view).paintEvent

    def recording_paint(self, event) -> None:
        original(self, event)
        painted.append(dict(_statuses_shown(window)))

    view.paintEvent = recording_paint.__get__(view)
    for key in (Qt.Key.Key_Tab, Qt.Key.Key_A) * 5 + (Qt.Key.Key_Tab, Qt.Key.Key_X):
        qtbot.keyClick(view, key)  # as fast as the events come, no waiting between them
    QApplication.processEvents()  # one turn of the event loop: the next frame
    stored = _statuses_stored(window)
    assert sorted(stored.values()).count("accepted") == 5
    assert painted and painted[-1] == stored  # the last frame shows every key
    project = window.session.project
    [rejected] = [s for s in project.spans(1) if s.status == "rejected"]
    hanging = [r for r in project.relations(1) if rejected.id in (r.head, r.child)]
    # the rejected span is gone from both, with the relation suggestions hanging on it
    assert len(stored) == 3_000 + 100 - 1 - len(hanging)


def test_a_big_propagation_asks_first_and_the_keys_go_on(qtbot, launcher, tmp_path) -> None:
    path = tmp_path / "long.annotator"
    sentences = ASK_ABOVE + 100
    _with_one_soir(path, sentences)
    assert launcher.open_project(path)
    window = focus_window(qtbot, launcher.window)
    view, bar = window.view, window.propagation_bar
    _accept_soir(qtbot, window)
    assert f"{sentences - 1:,}" in bar.message.text()  # every other "soir"
    assert not [s for s in window.session.project.spans(1) if s.origin == "propagation"]

    # the keys go on meanwhile: Tab to a name and accept it
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    accepted = view.selected()
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert window.session.project.span(accepted.id).status == "accepted"
    assert view.hasFocus()

    qtbot.mouseClick(bar.add_button, Qt.MouseButton.LeftButton)
    assert bar.isHidden()
    qtbot.waitUntil(lambda: not view.propagation().busy(), timeout=60_000)
    stored = _statuses_stored(window)
    added = [s for s in window.session.project.spans(1) if s.origin == "propagation"]
    assert sum(1 for s in added if s.label == "MISC") == sentences - 1
    assert _statuses_shown(window) == stored  # the view added them without a re-read


def test_a_big_propagation_can_be_declined(qtbot, launcher, tmp_path) -> None:
    path = tmp_path / "long.annotator"
    _with_one_soir(path, ASK_ABOVE + 10)
    assert launcher.open_project(path)
    window = focus_window(qtbot, launcher.window)
    _accept_soir(qtbot, window)
    qtbot.mouseClick(window.propagation_bar.drop_button, Qt.MouseButton.LeftButton)
    assert window.propagation_bar.isHidden()
    assert not window.view.propagation().busy()
    assert not [s for s in window.session.project.spans(1) if s.origin == "propagation"]
