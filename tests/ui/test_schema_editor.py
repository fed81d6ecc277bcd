"""The schema editor: renames keep annotations; refusals leave the project unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from annotator.model import Relation
from annotator.store import Project
from annotator.ui.schema_editor import COLOUR, KEY, NAME, SchemaEditor
from annotator.ui.session import ProjectSession


@pytest.fixture
def session(qtbot, make_project: Callable[..., Project]) -> ProjectSession:
    project = make_project(3)
    return ProjectSession(project)


@pytest.fixture
def editor(qtbot, session: ProjectSession) -> SchemaEditor:
    dialog = SchemaEditor(session)
    qtbot.addWidget(dialog)
    return dialog


LEFT = Qt.MouseButton.LeftButton


def _row(table, name: str) -> int:
    return next(r for r in range(table.rowCount()) if table.name(r) == name)


def test_renaming_a_label_keeps_its_annotations(editor: SchemaEditor, session) -> None:
    project = session.project
    before = [s.id for s in project.spans(1) if s.label == "PER"]
    row = _row(editor.entities, "PER")
    editor.entities.item(row, NAME).setText("PERSON")
    editor.entities.item(row, KEY).setText("p")
    editor.entities.set_colour(row, "#112233")
    editor.accept()
    assert editor.result() == editor.DialogCode.Accepted
    label = project.schema.entity("PERSON")
    assert label is not None and (label.key, label.color) == ("p", "#112233")
    assert project.schema.entity("PER") is None
    assert [s.id for s in project.spans(1) if s.label == "PERSON"] == before
    # the relations that allowed PER now allow PERSON
    assert ("PERSON", "ORG") in project.schema.relation("works_for").allowed


def test_renaming_a_relation_label_keeps_its_relations(editor, session) -> None:
    project = session.project
    spans = project.spans(1)
    person = next(s for s in spans if s.label == "PER")
    org = next(s for s in spans if s.label == "ORG")
    relation = Relation(doc_id=1, head=person.id, child=org.id, label="works_for")
    project.add_relations([relation])
    row = _row(editor.relations, "works_for")
    editor.relations.item(row, NAME).setText("employed_by")
    editor.accept()
    assert project.relation(relation.id).label == "employed_by"


def test_add_labels_and_choose_relation_pairs(qtbot, editor, session) -> None:
    qtbot.mouseClick(editor.findChild(QPushButton, "schema-entities-add"), LEFT)
    row = editor.entities.rowCount() - 1
    editor.entities.item(row, NAME).setText("DATE")
    editor.entities.item(row, KEY).setText("5")
    qtbot.mouseClick(editor.findChild(QPushButton, "schema-relations-add"), LEFT)
    relation_row = editor.relations.rowCount() - 1
    editor.relations.item(relation_row, NAME).setText("born_on")
    editor.relations.setCurrentCell(relation_row, NAME)
    # tick (PER, DATE) in the pair grid
    per, date = _row(editor.entities, "PER"), _row(editor.entities, "DATE")
    editor.pairs.item(per, date).setCheckState(Qt.CheckState.Checked)
    editor.accept()
    schema = session.project.schema
    assert schema.entity("DATE").key == "5"
    assert schema.relation("born_on").allowed == (("PER", "DATE"),)
    assert schema.relation_labels_for("PER", "DATE")[0].name == "born_on"
    assert editor.entities.item(row, COLOUR).text() == "#a0a0a0"


def test_removing_a_label_in_use_is_refused_and_changes_nothing(qtbot, editor, session) -> None:
    before = session.project.schema
    editor.entities.setCurrentCell(_row(editor.entities, "PER"), NAME)
    qtbot.mouseClick(editor.findChild(QPushButton, "schema-entities-remove"), LEFT)
    assert "PER" not in [editor.entities.name(r) for r in range(editor.entities.rowCount())]
    editor.accept()
    assert editor.result() != editor.DialogCode.Accepted
    assert "PER" in editor.error.text()
    assert session.project.schema == before
    assert {s.label for s in session.project.spans(1)} == {"PER", "ORG"}


def test_a_duplicate_key_is_shown_not_raised(editor, session) -> None:
    before = session.project.schema
    editor.entities.item(_row(editor.entities, "ORG"), KEY).setText("1")
    editor.accept()
    assert "key used by two labels: 1" in editor.error.text()
    assert session.project.schema == before
