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
    fields = {key: inspector.value(key) for key in inspector.fields}  # as it reads
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


@pytest.mark.parametrize("change", ["start = start + 0.5", '"end" = 4000', '"end" = start'])
def test_inspector_says_a_span_from_a_damaged_file_is_to_be_deleted(
    qtbot, launcher, project_file, change: str
) -> None:
    """A real start raised TypeError (slicing the text) each time the span was selected: the
    window's unexpected-error dialog, where the export had said to delete the span here."""
    import sqlite3

    path = project_file(1)
    with Project.open(path, read_only=True) as project:
        person = next(s for s in project.spans(1) if s.label == "PER")
    db = sqlite3.connect(path)
    db.execute(f"UPDATE spans SET {change} WHERE id = ?", [person.id])
    db.commit()
    db.close()
    window = open_window(qtbot, launcher, path)
    window.view.select(person.id)
    fields = window.inspector.fields
    assert fields["text"].text() == ""
    assert fields["alignment"].text() == (
        "⚠ outside its text, or its offsets are not integers (a damaged file): delete it"
    )


@pytest.mark.parametrize("stored", ["'x'", "x'3231'"])
def test_a_span_whose_offset_is_not_a_number_is_left_out_of_the_view_and_said(
    qtbot, launcher, project_file, stored: str
) -> None:
    """Sorting the spans raised TypeError ('<' between str and int): the document showed no
    annotation at all and the window its unexpected-error dialog (a new-user run)."""
    import sqlite3

    path = project_file(1)
    with Project.open(path, read_only=True) as project:
        spans = project.spans(1)
    damaged = next(s for s in spans if s.label == "PER")
    db = sqlite3.connect(path)
    db.execute(f"UPDATE spans SET start = {stored} WHERE id = ?", [damaged.id])
    db.commit()
    db.close()
    window = open_window(qtbot, launcher, path)
    assert window.statusBar().currentMessage() == (
        "document 1: 1 span not shown: an offset is not a number (a damaged file; see the "
        "export's message)"
    )
    others = [s for s in spans if s.id != damaged.id and s.status != "rejected"]
    window.view.select(others[0].id)
    assert window.view.selected().id == others[0].id


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
    fields = {key: window.inspector.value(key) for key in window.inspector.fields}
    assert fields["kind"] == "Relation"
    assert fields["label"] == "works_for"
    assert fields["text"] == "Alice Martin → Acme"
    assert fields["origin"] == "rule:fr-works-for (relation rule)"
    assert (fields["score"], fields["status"]) == ("0.50", "suggested")
    assert not window.inspector.fields["offsets"].isVisibleTo(window.inspector)


def test_labels_an_import_adds_get_keys_that_work(qtbot, launcher, tmp_path) -> None:
    """A Prodigy-style file imported into a new project brings its labels: each gets a key
    (PER and LOC those and the colours of the default schema, GPE the first free digit), and
    the key relabels the selected span in the window."""
    import json

    from annotator.model.schema import default_schema
    from annotator.services.importing import import_into_file

    text = "Alice Martin visite Paris et Lyon ."
    spans = [(0, 12, "PER"), (20, 25, "LOC"), (29, 33, "GPE")]
    source = tmp_path / "tasks.jsonl"
    task = {"text": text, "spans": [{"start": s, "end": e, "label": x} for s, e, x in spans]}
    source.write_text(json.dumps(task) + "\n", encoding="utf-8")
    path = tmp_path / "new.annotator"
    report, created = import_into_file(path, [source])
    assert created and report.labels_added == ["GPE", "LOC", "PER"]

    window = open_window(qtbot, launcher, path)
    palette = window.palette_panel
    assert palette.button("PER").text() == "PER   1"
    assert palette.button("LOC").text() == "LOC   3"
    assert palette.button("GPE").text() == "GPE   2"
    schema = window.session.project.schema
    assert schema.entity("LOC").color == default_schema().entity("LOC").color  # not PER's red
    assert schema.entity("GPE").color not in {label.color for label in default_schema().entities}

    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "Alice Martin", PER
    assert window.view.selected().label == "PER"
    qtbot.keyClick(window.view, Qt.Key.Key_2)
    assert window.view.selected().label == "GPE"
    qtbot.keyClick(window.view, Qt.Key.Key_3)
    assert window.view.selected().label == "LOC"
    qtbot.keyClick(window.view, Qt.Key.Key_1)
    labels = sorted((s.start, s.label) for s in window.session.project.spans(1))
    assert labels == [(0, "PER"), (20, "LOC"), (29, "GPE")]


def test_the_tenth_label_an_import_adds_is_typed_with_0(qtbot, launcher, tmp_path) -> None:
    """Ten labels brought by a file: the tenth gets `0`, after `1`-`9` (it had no key), and
    the key relabels the selected span."""
    import json

    from annotator.services.importing import import_into_file

    labels = [f"L{number}" for number in range(10)]  # none of the default schema's
    text = " ".join(labels)
    spans = [
        {"start": text.index(label), "end": text.index(label) + 2, "label": label}
        for label in labels
    ]
    source = tmp_path / "tasks.jsonl"
    source.write_text(json.dumps({"text": text, "spans": spans}) + "\n", encoding="utf-8")
    path = tmp_path / "ten.annotator"
    import_into_file(path, [source])

    window = open_window(qtbot, launcher, path)
    assert window.palette_panel.button("L9").text() == "L9   0"
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)  # "L0"
    assert window.view.selected().label == "L0"
    qtbot.keyClick(window.view, Qt.Key.Key_0)
    assert window.view.selected().label == "L9"
    assert window.session.project.spans(1)[0].label == "L9"
