"""The keyboard shortcuts overlay: every shortcut of the window, read from its actions.

It lists the actions as they are (menus, the document view's editing actions, label keys), so
it can never disagree with what the keys do. Any key or click closes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QKeyEvent, QKeySequence, QPainter
from PySide6.QtWidgets import QWidget


def shortcut_rows(groups: Iterable[tuple[str, Iterable[QAction]]]) -> list[tuple[str, str, str]]:
    """(group, keys, what) for each action that has a shortcut, in menu order, no duplicates."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for group, actions in groups:
        for action in actions:
            if not action.isVisible():  # e.g. Reopen for writing, in a writable window
                continue
            keys = [s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()]
            keys = [k for k in keys if k]
            if not keys:
                continue
            what = action.text().replace("&", "").rstrip(".…")
            key_text = " / ".join(keys)
            if (key_text, what) in seen:
                continue
            seen.add((key_text, what))
            rows.append((group, key_text, what))
    return rows


def fitted_keys(keys: str, metrics: QFontMetrics, width: int) -> str:
    """``keys`` ("Ctrl+Return / Ctrl+Enter") in ``width`` pixels: as many whole shortcuts as
    fit, the first one at least; cut mid-way, "Ctrl+Return / Ctrl+E…" named no key at all."""
    shown = keys.split(" / ")
    while len(shown) > 1 and metrics.horizontalAdvance(" / ".join(shown)) > width:
        shown.pop()
    return metrics.elidedText(" / ".join(shown), Qt.TextElideMode.ElideRight, width)


MIN_TEXT_WIDTH = 110  # pixels of an action's name beside its keys, at the least


class HelpOverlay(QWidget):
    """Covers its parent window; painted, not laid out, so it opens instantly."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("help-overlay")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.rows: list[tuple[str, str, str]] = []
        self.hide()
        parent.installEventFilter(self)

    def show_rows(self, rows: list[tuple[str, str, str]]) -> None:
        self.rows = rows
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
        self.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.hide()
        event.accept()

    def mousePressEvent(self, event: object) -> None:
        self.hide()

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(10, 12, 18, 140))
        card = self.rect().adjusted(24, 24, -24, -24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(27, 32, 43, 250))
        painter.drawRoundedRect(card, 12, 12)

        base = self.font().pointSizeF()
        title_font = QFont(self.font())
        title_font.setPointSizeF(base * 1.5)
        title_font.setBold(True)
        body = QFont(self.font())
        bold = QFont(body)
        bold.setBold(True)
        inner = card.adjusted(28, 20, -28, -16)
        painter.setFont(title_font)
        painter.setPen(QColor("#ffffff"))
        title_height = painter.fontMetrics().height() + 6
        title_box = QRect(inner.left(), inner.top(), inner.width(), title_height)
        left_middle = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(title_box, left_middle, "Keyboard shortcuts")
        painter.setFont(body)
        painter.setPen(QColor("#8d97a8"))
        painter.drawText(
            title_box,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            "any key or click closes this",
        )

        top = inner.top() + title_height + 14
        bottom = inner.bottom()
        gap = 36
        # as many columns as the height needs, each wide enough for every row's first
        # shortcut whole and some of its text; a window too small for that gets a smaller
        # font (at 800 pixels the keys were cut: "Ctrl+Sh…")
        for scale in (1.0, 0.9, 0.8, 0.7, 0.6):
            body.setPointSizeF(base * scale)
            bold.setPointSizeF(base * scale)
            metrics = QFontMetrics(bold)
            line = metrics.height() + 7
            first_keys = max(
                (metrics.horizontalAdvance(k.split(" / ")[0]) for _, k, _ in self.rows),
                default=0,
            )
            columns = 1
            while columns < 4 and not self._fits(columns, line, top, bottom):
                columns += 1
            column_width = (inner.width() - gap * (columns - 1)) // columns
            if first_keys + 16 + MIN_TEXT_WIDTH <= column_width:
                break
        all_keys = max((metrics.horizontalAdvance(k) for _, k, _ in self.rows), default=0)
        key_width = max(min(all_keys + 16, column_width // 2), first_keys + 16)
        x, y = inner.left(), top
        group = None
        for row_group, keys, what in self.rows:
            needed = line * (2 if row_group != group else 1)
            if y + needed > bottom and y > top:
                x += column_width + gap
                y = top
            if row_group != group:
                if y > top:
                    y += line // 3
                group = row_group
                painter.setFont(bold)
                painter.setPen(QColor("#f5c542"))
                painter.drawText(QRect(x, y, column_width, line), left_middle, row_group.upper())
                y += line
            painter.setFont(bold)
            painter.setPen(QColor("#ffffff"))
            key_box = QRect(x, y, key_width, line)
            painter.drawText(
                key_box, left_middle, fitted_keys(keys, painter.fontMetrics(), key_width - 8)
            )
            painter.setFont(body)
            painter.setPen(QColor("#d5dae3"))
            text_box = QRect(x + key_width, y, column_width - key_width, line)
            elided = painter.fontMetrics().elidedText(
                what, Qt.TextElideMode.ElideRight, text_box.width()
            )
            painter.drawText(text_box, left_middle, elided)
            y += line
        painter.end()

    def _fits(self, columns: int, line: int, top: int, bottom: int) -> bool:
        y, column, group = top, 1, None
        for row_group, _, _ in self.rows:
            needed = line * (2 if row_group != group else 1)
            if y + needed > bottom and y > top:
                column += 1
                y = top
            if row_group != group:
                y += line + (line // 3 if y > top else 0)
                group = row_group
            y += line
        return column <= columns
