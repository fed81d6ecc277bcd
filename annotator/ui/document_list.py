"""The document list dock: filter box, the lazy list itself and the done / total summary."""

from __future__ import annotations

from contextlib import suppress

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.store import Project
from annotator.store.listing import IN_DISPUTE, DocumentFilter, status_counts
from annotator.store.pool import sample_fingerprint
from annotator.ui.document_list_model import STATUS_NAMES, DocumentListModel
from annotator.ui.icons import status_icon
from annotator.ui.session import ProjectSession

# Keys of the session state kept in the project file.
STATE_ORDER = "document_order"  # "id" or "sample": the order the person last chose by hand
STATE_SAMPLE_SEEN = "sample_seen"  # the sample (``sample_fingerprint``) the window last opened
STATE_FILTERS = "document_filters"  # {"text", "status", "label"}: shown again on reopening


def configure_table(table: QTableView) -> None:
    """Rows of one fixed height and no row header: the view never measures 100,000 rows."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    vertical = table.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(DocumentListModel.TITLE, QHeaderView.ResizeMode.Stretch)
    header.resizeSection(DocumentListModel.ID, 48)
    header.resizeSection(DocumentListModel.ACCEPTED, 50)
    header.resizeSection(DocumentListModel.PENDING, 70)


class DocumentListPanel(QWidget):
    """Choosing a row opens the document in the session; the session's moves select the row."""

    document_activated = Signal(int)
    filter_confirmed = Signal()  # Enter in the text filter: the keys go back to the text

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        project = session.project
        # After ``annotator sample`` ranked the project, the list opens with the sample first,
        # unless the person chose an order for this project by hand before.
        self.sample = sample_fingerprint(project)
        chosen = project.get_state(STATE_ORDER)
        by_priority = chosen == "sample" if chosen in ("id", "sample") else bool(self.sample)
        session.sample_first = by_priority
        self._show_top = False  # after an order change: the top of the list, not the document
        kept = _kept_filters(project)
        self.model = DocumentListModel(
            project,
            parent=self,
            document_filter=DocumentFilter(
                text=kept.get("text", ""),
                status=kept.get("status", ""),
                label=kept.get("label", ""),
                by_priority=by_priority,
            ),
        )

        self.text_filter = QLineEdit(placeholderText="Filter by text…", clearButtonEnabled=True)
        self.text_filter.setAccessibleName("Filter documents by text")
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Filter documents by status")
        self.status_filter.addItem("All statuses", "")
        for status, name in STATUS_NAMES.items():
            self.status_filter.addItem(status_icon(status), name, status)
        if session.project.settings.review_of:  # a merged project: its disagreements
            self.status_filter.insertItem(1, "In dispute", IN_DISPUTE)
        self.label_filter = QComboBox()
        self.label_filter.setAccessibleName("Filter documents by label")
        self._fill_labels()
        self.order_choice = QComboBox()
        self.order_choice.setAccessibleName("Order of the documents")
        self.order_choice.addItem("Id order", False)
        self.order_choice.addItem("Sample first", True)  # the ranks of ``annotator sample``
        self.order_choice.setToolTip(
            "Sample first: the documents annotator sample picked, in its order"
        )
        self.order_choice.setCurrentIndex(1 if by_priority else 0)
        # the filters as they were when the project closed (the model lists with them already)
        self.text_filter.setText(self.model.document_filter.text)
        for box, key in ((self.status_filter, "status"), (self.label_filter, "label")):
            box.setCurrentIndex(max(box.findData(kept.get(key, "")), 0))

        self.table = QTableView()
        self.table.setModel(self.model)
        configure_table(self.table)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Documents done")
        self.progress.setTextVisible(True)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.status_filter, 1)
        filters.addWidget(self.label_filter, 1)
        filters.addWidget(self.order_choice, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.text_filter)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)

        self.text_filter.returnPressed.connect(self._on_filter_return_pressed)
        self.text_filter.installEventFilter(self)  # Down walks into the list
        self._filter_timer = QTimer(self, singleShot=True, interval=200)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.text_filter.textChanged.connect(lambda _text: self._filter_timer.start())
        self.status_filter.currentIndexChanged.connect(self._apply_filter)
        self.label_filter.currentIndexChanged.connect(self._apply_filter)
        self.order_choice.currentIndexChanged.connect(self._on_order_changed)
        self.order_choice.activated.connect(self._on_order_activated)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        session.document_opened.connect(self._on_document_opened)
        # a row's counts follow an edit after the repaint, coalesced, like the status bar's:
        # counting 10,000 spans of a big document must not delay the keystroke's paint
        self._changed: set[int] = set()
        self._changed_timer = QTimer(self, singleShot=True, interval=60)
        self._changed_timer.timeout.connect(self._refresh_changed)
        session.annotations_changed.connect(self._on_annotations_changed)
        session.document_status_changed.connect(self._on_document_status_changed)
        session.schema_changed.connect(self._on_schema_changed)
        self.update_progress()

    def focus_filter(self) -> None:
        """Ctrl+F: the keys go to the text filter, its text selected to type over."""
        self.text_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_filter.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.text_filter or event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        key = event.key()  # type: ignore[attr-defined]
        if key == Qt.Key.Key_Down:  # into the list, on the open document or the first
            self._apply_pending_filter()
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            if not self.table.currentIndex().isValid() and self.model.rowCount():
                self.table.setCurrentIndex(self.model.index(0, DocumentListModel.TITLE))
            return True
        if key == Qt.Key.Key_Escape:  # the filter cleared, the keys back to the text
            self.text_filter.clear()
            self._apply_pending_filter()
            self.filter_confirmed.emit()
            return True
        return super().eventFilter(watched, event)

    def _on_filter_return_pressed(self) -> None:
        """Enter in the filter opens the first document it finds (the open one, when it is
        among them) and gives the keys back to the text."""
        self._apply_pending_filter()
        if not self.model.rowCount():
            self._session.noted.emit(f"No document matches {self.text_filter.text()!r}")
            return  # the keys stay in the filter, to change it
        current = self._session.current_doc_id
        if current is None or self.model.row_of(current) is None:
            self.table.setCurrentIndex(self.model.index(0, DocumentListModel.TITLE))
        self.filter_confirmed.emit()

    def _apply_pending_filter(self) -> None:
        if self._filter_timer.isActive():  # typed a moment ago: filter now
            self._filter_timer.stop()
            self._apply_filter()

    def reload(self) -> None:
        """After bulk work (import, suggestions): run the filter again and recount."""
        self.model.reload()
        self._select(self._session.current_doc_id)
        self.update_progress()

    def update_progress(self) -> None:
        counts = status_counts(self._session.project)
        total = sum(counts.values())
        done = counts.get("done", 0)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        skipped = counts.get("skipped", 0)
        extra = f" · {skipped:,} skipped" if skipped else ""
        self.progress.setFormat(f"{done:,} / {total:,} done{extra}")

    # -- filtering ----------------------------------------------------------------------------

    def _fill_labels(self) -> None:
        current = self.label_filter.currentData()
        self.label_filter.blockSignals(True)
        self.label_filter.clear()
        self.label_filter.addItem("All labels", "")
        for name in self._session.project.schema.entity_names:
            self.label_filter.addItem(name, name)
        found = self.label_filter.findData(current)
        self.label_filter.setCurrentIndex(max(found, 0))
        self.label_filter.blockSignals(False)

    def show_status(self, status: str) -> None:
        """Filter the list to one status (or ``IN_DISPUTE``), as the status box would."""
        found = self.status_filter.findData(status)
        if found >= 0:
            self.status_filter.setCurrentIndex(found)

    def opens_new_sample(self) -> bool:
        """The list shows a sample the window has not opened yet: the window opens its first
        unfinished document rather than the last one."""
        seen = self._session.project.get_state(STATE_SAMPLE_SEEN)
        return bool(self.sample) and self._session.sample_first and seen != self.sample

    def mark_sample_seen(self) -> None:
        if self.sample:
            self._session.project.set_state(STATE_SAMPLE_SEEN, self.sample)

    def _on_order_activated(self, _index: int) -> None:
        """Chosen by hand (not set by the window): remembered for this project."""
        order = "sample" if self.order_choice.currentData() else "id"
        self._session.project.set_state(STATE_ORDER, order)

    def _on_order_changed(self, _index: int) -> None:
        """A new order shows the top of the list (rank 1), not the open document's row far
        down; it stays selected, and shows if it is on that first screen anyway."""
        self._show_top = True
        self._apply_filter()
        self.table.scrollToTop()

    def _apply_filter(self) -> None:
        by_priority = bool(self.order_choice.currentData())
        self._session.sample_first = by_priority  # previous / next walk the list's order
        chosen = DocumentFilter(
            text=self.text_filter.text().strip(),
            status=self.status_filter.currentData() or "",
            label=self.label_filter.currentData() or "",
            by_priority=by_priority,
        )
        if chosen != self.model.document_filter and not self._session.project.read_only:
            with suppress(AnnotatorError):  # kept for the next opening, where it can be
                self._session.project.set_state(
                    STATE_FILTERS,
                    {"text": chosen.text, "status": chosen.status, "label": chosen.label},
                )
        self.model.set_filter(chosen)
        self._select(self._session.current_doc_id, scroll=not self._show_top)

    # -- following the session ----------------------------------------------------------------

    def _select(self, doc_id: int | None, scroll: bool = True) -> None:
        row = None if doc_id is None else self.model.row_of(doc_id)
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        if row is None:
            selection.clearSelection()
            selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
        else:
            index = self.model.index(row, DocumentListModel.TITLE)
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            if scroll:
                self.table.scrollTo(index)
        selection.blockSignals(False)
        self.table.viewport().update()

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        doc_id = self.model.doc_id_at(current.row()) if current.isValid() else None
        if doc_id is not None and doc_id != self._session.current_doc_id:
            self.document_activated.emit(doc_id)

    def _on_document_opened(self, doc_id: int) -> None:
        self._show_top = False  # a move: the list follows the open document again
        self._select(doc_id)

    def _on_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        """The list grows a chunk at a time: the open document is selected when its row
        arrives, unless a row was chosen meanwhile."""
        doc_id = self._session.current_doc_id
        if doc_id is None or self.table.selectionModel().currentIndex().isValid():
            return
        row = self.model.row_of(doc_id)
        if row is not None and first <= row <= last:
            self._select(doc_id, scroll=not self._show_top)

    def _on_annotations_changed(self, doc_id: int) -> None:
        self._changed.add(doc_id)
        self._changed_timer.start()

    def _refresh_changed(self) -> None:
        changed, self._changed = self._changed, set()
        for doc_id in sorted(changed):
            self.model.refresh_document(doc_id)

    def _on_document_status_changed(self, doc_id: int, _status: str) -> None:
        self.model.refresh_document(doc_id)
        self.update_progress()

    def _on_schema_changed(self) -> None:
        self._fill_labels()
        self.model.reload()
        self._select(self._session.current_doc_id)


def _kept_filters(project: Project) -> dict[str, str]:
    """The filters kept in the project (``STATE_FILTERS``) that still make sense: a label
    since removed from the schema, or a status it no longer offers, is left out, so that the
    list never filters by something its boxes cannot show."""
    state = project.get_state(STATE_FILTERS)
    if not isinstance(state, dict):
        return {}
    statuses = {*STATUS_NAMES, *([IN_DISPUTE] if project.settings.review_of else [])}
    kept = {"text": state.get("text"), "status": state.get("status"), "label": state.get("label")}
    allowed = {"status": statuses, "label": set(project.schema.entity_names)}
    return {
        key: value
        for key, value in kept.items()
        if isinstance(value, str) and (key not in allowed or value in allowed[key])
    }
