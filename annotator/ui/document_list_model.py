"""The document list as a Qt table model: an adapter over the store, lazy and virtual.

The filter is run by SQLite and yields only the matching ids, in the list's order: the first
ones at once, the rest in chunks between events, appended as rows, so a million documents show
their first screen without waiting for the millionth id. The rows themselves are read a page at
a time, when the view first asks for one of them, and kept in a small LRU cache. So scrolling
reads only what is shown.

A damaged page of a big file (not checked page by page on opening) is met when a row on it is
painted: its rows show as unreadable, the list stays usable, and ``read_failed`` reports the
failure once (every paint would read the page again).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from annotator.errors import ProjectReadError
from annotator.store import Project
from annotator.store.listing import DocumentFilter, DocumentRow, IdReader, document_rows
from annotator.ui.icons import status_icon
from annotator.ui.plain_text import tooltip

STATUS_NAMES = {
    "new": "New",
    "suggested": "Suggested",
    "in_progress": "In progress",
    "done": "Done",
    "skipped": "Skipped",
}

UNREADABLE = "unreadable"  # the status of a row on a damaged page
UNREADABLE_TITLE = "(cannot be read: the project file is damaged)"

Index = QModelIndex | QPersistentModelIndex


class DocumentListModel(QAbstractTableModel):
    """Columns: id, title (with the status icon), accepted spans, suggestions to review."""

    ID, TITLE, ACCEPTED, PENDING = range(4)
    HEADERS = ("#", "Document", "Spans", "To review")
    StatusRole = Qt.ItemDataRole.UserRole + 2
    listing_finished = Signal()  # every matching document is a row now
    read_failed = Signal(str)  # one line naming the file, once per distinct failure
    first_ids = 10_000  # listed at once: the first screens, a few milliseconds
    ids_per_step = 50_000  # then one chunk between events: about 25 ms of CPU each

    def __init__(
        self,
        project: Project,
        page_size: int = 128,
        cached_pages: int = 32,
        parent: Any = None,
        document_filter: DocumentFilter | None = None,
    ) -> None:
        super().__init__(parent)
        self._project = project
        self._page_size = page_size
        self._cached_pages = cached_pages
        self._filter = document_filter or DocumentFilter()  # listed at once: set it here
        self._pages: OrderedDict[int, list[DocumentRow | None]] = OrderedDict()
        self.pages_read = 0  # how many page queries ran: what "lazy" means, observable
        self._failures: set[str] = set()  # reported already
        self._listing_timer = QTimer(self, interval=0)  # 0: once the pending events are done
        self._listing_timer.timeout.connect(self._list_more)
        self._start_listing()

    # -- what the window uses -----------------------------------------------------------------

    @property
    def document_filter(self) -> DocumentFilter:
        """What the list shows now."""
        return self._filter

    def set_filter(self, document_filter: DocumentFilter) -> None:
        if document_filter == self._filter:
            return
        self._filter = document_filter
        self.reload()

    def reload(self) -> None:
        """Run the filter again (after an import, a suggestion run, a schema change)."""
        self.beginResetModel()
        self._start_listing()
        self._pages.clear()
        self.endResetModel()

    def stop_listing(self) -> None:
        """Append no more rows (the project is about to close)."""
        self._listing_timer.stop()

    def is_listing(self) -> bool:
        """Whether ids are still being appended (``listing_finished`` follows)."""
        return self._listing_timer.isActive()

    def refresh_document(self, doc_id: int) -> None:
        """One document changed: re-read its row, if it is shown; the filter is not re-run so
        the row the annotator works on never jumps away."""
        row = self.row_of(doc_id)
        if row is None:
            return
        self._pages.pop(row // self._page_size, None)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def refresh_rows(self) -> None:
        """Many documents changed (propagation into other documents): forget the cached rows,
        so each is read again when painted; the filter is not re-run, so no row jumps."""
        self._pages.clear()
        if self._ids:
            last = self.index(len(self._ids) - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def row_of(self, doc_id: int) -> int | None:
        if self._filter.by_priority:  # not in id order: a scan in C, a few ms for a million
            try:
                return self._ids.index(doc_id)
            except ValueError:
                return None
        position = bisect_left(self._ids, doc_id)
        if position < len(self._ids) and self._ids[position] == doc_id:
            return position
        return None

    def doc_id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def cached_page_count(self) -> int:
        return len(self._pages)

    # -- QAbstractTableModel ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                "Document id",
                "Title, or the first words of the text",
                "Accepted spans",
                "Suggested spans and relations still to accept or reject",
            )[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self._row(index.row())
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.ID:
                return str(row.id)
            if column == self.TITLE:
                return row.title
            if column == self.ACCEPTED:
                return str(row.accepted) if row.status != UNREADABLE else ""
            if column == self.PENDING:
                return str(row.suggested) if row.suggested else ""
        elif role == Qt.ItemDataRole.DecorationRole and column == self.TITLE:
            return status_icon(row.status)
        elif role == Qt.ItemDataRole.ToolTipRole:
            status = STATUS_NAMES.get(row.status)
            return tooltip(f"{status} · {row.title}" if status else row.title)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column != self.TITLE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == Qt.ItemDataRole.ForegroundRole:
            if row.status in ("done", "skipped", UNREADABLE) or (column == self.ID):
                return QColor("#7a7f87")
        elif role == self.StatusRole:
            return row.status
        return None

    # -- listing: the first ids now, the rest between events -------------------------------

    def _start_listing(self) -> None:
        self._reader = IdReader(self._project, self._filter)
        self._ids = array("q", self._read_ids(self.first_ids))
        if self._reader.done:
            self._listing_timer.stop()
        else:
            self._listing_timer.start()

    def _read_ids(self, limit: int) -> list[int]:
        """The next ids; none, and no more listing, past a damaged page of the id index."""
        try:
            return self._reader.read(limit)
        except ProjectReadError as error:
            self._reader.done = True
            self._report(str(error))
            return []

    def _list_more(self) -> None:
        more = self._read_ids(self.ids_per_step)
        if more:
            first = len(self._ids)
            if first % self._page_size:  # the last page read is short of the new rows
                self._pages.pop(first // self._page_size, None)
            self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
            self._ids.extend(more)
            self.endInsertRows()
        if self._reader.done:
            self._listing_timer.stop()
            self.listing_finished.emit()

    # -- paging -------------------------------------------------------------------------------

    def _row(self, row: int) -> DocumentRow | None:
        page_number, offset = divmod(row, self._page_size)
        page = self._pages.get(page_number)
        if page is None:
            page = self._read_page(page_number)
        else:
            self._pages.move_to_end(page_number)
        return page[offset] if offset < len(page) else None

    def _read_page(self, page_number: int) -> list[DocumentRow | None]:
        first = page_number * self._page_size
        ids = list(self._ids[first : first + self._page_size])
        try:
            found = document_rows(self._project, ids)
        except ProjectReadError as error:
            self._report(str(error))
            found = self._rows_one_by_one(ids)
        page = [found.get(doc_id) for doc_id in ids]
        self.pages_read += 1
        self._pages[page_number] = page
        while len(self._pages) > self._cached_pages:
            self._pages.popitem(last=False)
        return page

    def _rows_one_by_one(self, ids: list[int]) -> dict[int, DocumentRow]:
        """A page holding a damaged row: every row that can be read, the others unreadable
        (kept in the page cache, so a paint does not read them again)."""
        found: dict[int, DocumentRow] = {}
        for doc_id in ids:
            try:
                found.update(document_rows(self._project, [doc_id]))
            except ProjectReadError as error:
                self._report(str(error))
                found[doc_id] = _unreadable(doc_id)
        return found

    def _report(self, message: str) -> None:
        """``read_failed`` once per distinct failure, after the paint that met it."""
        if message not in self._failures:
            self._failures.add(message)
            QTimer.singleShot(0, self, lambda: self.read_failed.emit(message))


def _unreadable(doc_id: int) -> DocumentRow:
    return DocumentRow(
        id=doc_id, title=UNREADABLE_TITLE, status=UNREADABLE, accepted=0, suggested=0
    )
