"""The inspector dock: what the selected span or relation is, where it came from, how sure.

It follows the document view's ``selection_changed`` and re-reads the selected item from the
store after every edit, so it never shows a stale label or status.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import NotFoundError, TokensMissingError
from annotator.model import Relation, Span, is_aligned
from annotator.model.validation import offsets_within
from annotator.ui.editor.style import text_colour_on
from annotator.ui.plain_text import ZERO_WIDTH_SPACE, breakable, tooltip
from annotator.ui.session import ProjectSession

ORIGIN_KINDS = {
    "human": "typed by a person",
    "model": "spaCy model",
    "pattern": "pattern file",
    "rule": "relation rule",
    "propagation": "same text accepted elsewhere",
    "import": "imported",
    "annotator": "version by these annotators",
}


def describe_origin(origin: str) -> str:
    kind = origin.split(":", 1)[0]
    meaning = ORIGIN_KINDS.get(kind)
    return f"{origin} ({meaning})" if meaning and origin != kind else (meaning or origin)


class Inspector(QWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._item: Span | Relation | None = None
        self._texts: dict[int, str] = {}

        self.fields: dict[str, QLabel] = {}
        self._form_widget = form_widget = QWidget()
        form = QFormLayout(form_widget)
        # wrapped values take the height their width needs (a stacked layout would not ask)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(10, 10, 10, 10)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(7)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for key, title in (
            ("kind", "Selected"),
            ("label", "Label"),
            ("text", "Text"),
            ("offsets", "Offsets"),
            ("origin", "Origin"),
            ("precision", "Precision"),
            ("score", "Score"),
            ("status", "Status"),
            ("alignment", "Tokens"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)  # text shows exactly, never as HTML
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(f"inspector-{key}")
            # a long text wraps in the width the dock has, instead of widening the dock
            # and takes the height its lines need, no more: the rows stay at the top
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
            self.fields[key] = value
            form.addRow(f"{title}:", value)
        self._rows = form

        self.placeholder = QLabel("Select a span or a relation\nto see its details here.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #7a808a;")
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.placeholder)
        # the form has the whole height and lays its rows out from the top, each as tall as
        # its lines (QFormLayout's height for a width can be a line short: as its own widget
        # under a stretch it cut the text of a long span to three lines)
        column.addWidget(form_widget, 1)
        form_widget.hide()
        # a dock shorter than the details scrolls them, rather than cutting lines off
        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        session.annotations_changed.connect(self._on_annotations_changed)
        session.document_opened.connect(self._on_document_opened)
        session.schema_changed.connect(self._refresh)
        session.document_status_changed.connect(self._on_document_status_changed)
        self._precision: dict[tuple[str, str], float | None] | None = None

    @property
    def item(self) -> Span | Relation | None:
        return self._item

    def show_item(self, item: Span | Relation | None) -> None:
        """Slot for the view's ``selection_changed``."""
        self._item = item
        self._refresh()

    def _on_document_opened(self, _doc_id: int) -> None:
        self.show_item(None)

    def _on_annotations_changed(self, doc_id: int) -> None:
        if self._item is None or self._item.doc_id != doc_id:
            return
        project = self._session.project
        try:
            if isinstance(self._item, Span):
                self._item = project.span(self._item.id)
            else:
                self._item = project.relation(self._item.id)
        except NotFoundError:
            self._item = None
        self._refresh()

    def _refresh(self) -> None:
        item = self._item
        self.placeholder.setVisible(item is None)
        self._form_widget.setVisible(item is not None)
        if item is None:
            return
        schema = self._session.project.schema
        if isinstance(item, Span):
            colour = schema.entity(item.label).color if schema.entity(item.label) else "#a0a0a0"
            self.fields["kind"].setText("Span")
            text = self._text(item.doc_id)
            usable = offsets_within(item.start, item.end, len(text))
            self.fields["text"].setText(text[item.start : item.end] if usable else "")
            self.fields["offsets"].setText(
                f"{item.start}–{item.end} ({item.end - item.start} characters)"
            )
            try:
                tokens = self._session.project.tokens(item.doc_id)  # cached by the store
            except TokensMissingError:  # being made (the view holds edits meanwhile)
                tokens = None
            aligned = usable and (tokens is None or is_aligned(item.start, item.end, tokens))
            self.fields["alignment"].setText(
                "⚠ outside its text, or its offsets are not integers (a damaged file): delete it"
                if not usable
                else "tokens not made yet"
                if tokens is None
                else "on token boundaries"
                if aligned
                else "⚠ misaligned: not on token boundaries (spaCy would drop it; resize it)"
            )
            _set_style(self.fields["alignment"], "" if aligned else "color: #c0392b;")
        else:
            relation_label = schema.relation(item.label)
            colour = relation_label.color if relation_label else "#606060"
            self.fields["kind"].setText("Relation")
            self.fields["text"].setText(self._relation_text(item))
            self.fields["offsets"].setText("")
            self.fields["alignment"].setText("")
        self._set_breakable("label", item.label)
        _set_style(
            self.fields["label"],
            f"background: {colour}; color: {text_colour_on(colour)}; border-radius: 4px;"
            " padding: 2px 6px; font-weight: 600;",
        )
        self._set_breakable("origin", describe_origin(item.origin))
        precision = self._precision_text(item)
        self.fields["precision"].setText(precision or "")
        self._rows.setRowVisible(self.fields["precision"], bool(precision))
        self.fields["score"].setText("—" if item.score is None else f"{item.score:.2f}")
        edited = isinstance(item, Span) and item.edited
        self.fields["status"].setText(
            item.status + (" (edited before accepting)" if edited else "")
        )
        for key in ("offsets", "alignment"):
            visible = isinstance(item, Span)
            self._rows.setRowVisible(self.fields[key], visible)

    def _set_breakable(self, key: str, text: str) -> None:
        """An identifier wraps after ``:``, ``@``, ``_``, ``/``; the tooltip has it whole."""
        field = self.fields[key]
        field.setText(breakable(text))
        field.setToolTip(tooltip(text))

    def value(self, key: str) -> str:
        """What a field says, without the zero-width spaces it wraps at."""
        return self.fields[key].text().replace(ZERO_WIDTH_SPACE, "")

    def _on_document_status_changed(self, _doc_id: int, _status: str) -> None:
        self._precision = None  # measured over done documents: recomputed when next shown

    def _precision_text(self, item: Span | Relation) -> str | None:
        """A suggester's precision measured on the done documents; ``None`` for a person's
        or an import's annotation."""
        origin = item.origin
        if origin == "human" or origin.startswith("import:"):
            return None
        if self._precision is None:
            from annotator.services.evaluating import suggester_precision

            self._precision = suggester_precision(self._session.project)
        kind = "spans" if isinstance(item, Span) else "relations"
        precision = self._precision.get((origin, kind))
        if precision is None:
            return "not measured yet: none of its suggestions is in a done document"
        return f"{precision:.0%} of its suggestions in the done documents were right"

    def _text(self, doc_id: int) -> str:
        if doc_id not in self._texts:
            if len(self._texts) > 8:
                self._texts.clear()
            self._texts[doc_id] = self._session.project.document(doc_id, tokens=False).text
        return self._texts[doc_id]

    def _relation_text(self, relation: Relation) -> str:
        project = self._session.project
        text = self._text(relation.doc_id)
        try:
            head, child = project.span(relation.head), project.span(relation.child)
        except NotFoundError:
            return ""
        label = project.schema.relation(relation.label)
        arrow = "→" if label is None or label.directed else "—"
        return f"{text[head.start : head.end]} {arrow} {text[child.start : child.end]}"


def _set_style(label: QLabel, style: str) -> None:
    """Set a style sheet only when it changes: each call re-polishes the widget, a few
    milliseconds that Tab would pay at every press."""
    if label.styleSheet() != style:
        label.setStyleSheet(style)
