"""The label palette and the inspector, driven through the real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from window_support import OFFSCREEN_WINDOW_WARNINGS, open_window

from annotator.model import Relation, Span
from annotator.store import Project

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_WINDOW_WARNINGS)


def test_palette_click_labels_the_selected_text(qtbot, launcher, project_file) -> None:
    path = project_file(2)
    window = open_window(qtbot, launcher, path)
    window.session.open_document(2)  # no span there yet
    text = window.session.project.document(2).text
    start = text.index("Acme")
    window.view.set_text_selection(start, start + 4)
    button = window.palette_panel.button("ORG")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    with Project.open(path, read_only=True) as project:
        [span] = project.spans(2)
    assert (span.start, span.end, span.label, span.status) == (start, start + 4, "ORG", "accepted")


def test_palette_click_relabels_the_selected_span(qtbot, launcher, project_file) -> None:
    path = project_file(1)
    window = open_window(qtbot, launcher, path)
    person = next(s for s in window.session.project.spans(1) if s.label == "PER")
    window.view.select(person.id)
    qtbot.mouseClick(window.palette_panel.button("MISC"), Qt.MouseButton.LeftButton)
    assert window.session.project.span(person.id).label == "MISC"
    assert window.inspector.fields["label"].text() == "MISC"


def test_palette_follows_the_schema(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file(1))
    palette = window.palette_panel
    assert palette.button("PER").text() == "PER   1"
    assert palette.button("works_for", "relation").text() == "works_for   w"
    schema = window.session.project.schema
    extra = schema.model_copy(
        update={
            "entities": (
                *schema.entities,
                schema.entities[0].model_copy(
                    update={"name": "DATE", "key": "5", "color": "#123456"}
                ),
            )
        }
    )
    window.session.set_schema(extra)
    assert palette.button("DATE").text() == "DATE   5"


def test_inspector_shows_the_selected_suggestion(qtbot, launcher, project_file) -> None:
    window = open_window(qtbot, launcher, project_file(1))
    inspector = window.inspector
    assert inspector.placeholder.isVisible()
    suggestion = next(s for s in window.session.project.spans(1) if s.status == "suggested")
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    if window.view.selected() != suggestion:
        qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    assert inspector.item == suggestion
    fields = {key: label.text() for key, label in inspector.fields.items()}
    assert fields["kind"] == "Span"
    assert fields["label"] == "ORG"
    assert fields["text"] == "Acme"
    assert fields["offsets"].startswith(f"{suggestion.start}–{suggestion.end}")
    assert fields["origin"] == "model:test@1 (spaCy model)"
    assert fields["score"] == "0.80"
    assert fields["status"] == "suggested"
    assert fields["alignment"] == "on token boundaries"
    # accepting it (Enter) shows the new status without reselecting
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert inspector.fields["status"].text() == "accepted"


def test_inspector_flags_a_misaligned_span_and_shows_text_literally(
    qtbot, launcher, project_file
) -> None:
    path = project_file(1)
    with Project.open(path) as project:
        from annotator.model import Document

        doc_id, _ = project.add_document(
            Document(text="Voir <b>Acme</b> &amp; co", tokens=((0, 4), (5, 16), (17, 22), (23, 25)))
        )
        span = Span(doc_id=doc_id, start=5, end=8, label="ORG")  # "<b>": not a whole token
        project.insert_span(span)
    window = open_window(qtbot, launcher, path)
    window.session.open_document(doc_id)
    window.view.select(span.id)
    fields = window.inspector.fields
    assert fields["text"].text() == "<b>"
    assert fields["alignment"].text().startswith("⚠ misaligned")


def test_inspector_shows_a_selected_relation(qtbot, launcher, project_file) -> None:
    path = project_file(1)
    with Project.open(path) as project:
        person, org = project.spans(1)
        relation = Relation(
            doc_id=1,
            head=person.id,
            child=org.id,
            label="works_for",
            origin="rule:fr-works-for",
            status="suggested",
            score=0.5,
        )
        project.add_relations([relation])
    window = open_window(qtbot, launcher, path)
    window.view.select(relation.id)
    fields = {key: label.text() for key, label in window.inspector.fields.items()}
    assert fields["kind"] == "Relation"
    assert fields["label"] == "works_for"
    assert fields["text"] == "Alice Martin → Acme"
    assert fields["origin"] == "rule:fr-works-for (relation rule)"
    assert (fields["score"], fields["status"]) == ("0.50", "suggested")
    assert not window.inspector.fields["offsets"].isVisibleTo(window.inspector)
